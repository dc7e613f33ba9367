using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Rx.WebSockets.Internal;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> of bytes backed by one array rented from an <see cref="ArrayPool{T}"/>:
/// <see cref="ArrayBufferWriter{T}"/>'s contract, but the array goes back to the pool on growth and on
/// <see cref="Dispose"/>, and <see cref="Reset"/> keeps it for the next use.
/// </summary>
/// <remarks>
/// <para>
/// The write loop and the tests reuse one instance: encode, hand <see cref="WrittenMemory"/> on, <see cref="Reset"/>.
/// After warm-up that cycle allocates nothing. Memory obtained from <see cref="GetSpan"/>, <see cref="GetMemory"/>,
/// <see cref="WrittenSpan"/> or <see cref="WrittenMemory"/> is valid only until the next call that may grow the
/// buffer, and never after <see cref="Dispose"/>: the array then belongs to the pool again.
/// </para>
/// <para>
/// Returned arrays are not cleared: they hold frames about to be sent on the wire, nothing more private.
/// </para>
/// <para>Thread-safety: not thread-safe; one owner at a time.</para>
/// </remarks>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private readonly ArrayPool<byte> _pool;
    private byte[] _buffer;
    private int _written;
    private bool _disposed;

    /// <summary>Creates a writer that rents from <see cref="ArrayPool{T}.Shared"/>.</summary>
    /// <param name="initialCapacity">The capacity to rent up front; 0 rents on the first <see cref="GetSpan"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCapacity"/> is negative.</exception>
    public PooledBufferWriter(int initialCapacity = 0)
        : this(ArrayPool<byte>.Shared, initialCapacity)
    {
    }

    /// <summary>Creates a writer that rents from <paramref name="pool"/>.</summary>
    /// <param name="pool">The pool that lends the buffer and takes it back.</param>
    /// <param name="initialCapacity">The capacity to rent up front; 0 rents on the first <see cref="GetSpan"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="pool"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCapacity"/> is negative.</exception>
    public PooledBufferWriter(ArrayPool<byte> pool, int initialCapacity = 0)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        _pool = pool;
        _buffer = initialCapacity == 0 ? [] : pool.Rent(initialCapacity);
    }

    /// <summary>The number of bytes written since creation or the last <see cref="Reset"/>.</summary>
    public int WrittenCount => _written;

    /// <summary>The size of the current buffer (at least what was asked for; the pool may lend more).</summary>
    public int Capacity => _buffer.Length;

    /// <summary>The bytes that can be written before the buffer must grow.</summary>
    public int FreeCapacity => _buffer.Length - _written;

    /// <summary>The bytes written so far.</summary>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public ReadOnlyMemory<byte> WrittenMemory
    {
        get
        {
            ThrowIfDisposed();
            return _buffer.AsMemory(0, _written);
        }
    }

    /// <summary>The bytes written so far.</summary>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public ReadOnlySpan<byte> WrittenSpan
    {
        get
        {
            ThrowIfDisposed();
            return _buffer.AsSpan(0, _written);
        }
    }

    /// <summary>Commits <paramref name="count"/> bytes of the span or memory last obtained.</summary>
    /// <param name="count">The number of bytes written into it.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="count"/> goes past the end of the buffer.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public void Advance(int count)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written)
        {
            ThrowAdvancedTooFar(count, _buffer.Length - _written);
        }

        _written += count;
    }

    /// <summary>Returns memory of at least <paramref name="sizeHint"/> bytes (at least one when 0) after the written bytes.</summary>
    /// <param name="sizeHint">The minimum length wanted.</param>
    /// <returns>The free memory; valid until the next <see cref="Advance"/>, Get* or <see cref="Dispose"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sizeHint"/> is negative.</exception>
    /// <exception cref="OutOfMemoryException">The buffer would have to exceed <see cref="Array.MaxLength"/>.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsMemory(_written);
    }

    /// <summary>Returns a span of at least <paramref name="sizeHint"/> bytes (at least one when 0) after the written bytes.</summary>
    /// <param name="sizeHint">The minimum length wanted.</param>
    /// <returns>The free span; valid until the next <see cref="Advance"/>, Get* or <see cref="Dispose"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sizeHint"/> is negative.</exception>
    /// <exception cref="OutOfMemoryException">The buffer would have to exceed <see cref="Array.MaxLength"/>.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Forgets the written bytes and keeps the buffer, so the next use allocates nothing.</summary>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public void Reset()
    {
        ThrowIfDisposed();
        _written = 0;
    }

    /// <summary>Returns the buffer to the pool. Later calls other than <see cref="Dispose"/> throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            _pool.Return(buffer);
        }
    }

    [DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowAdvancedTooFar(int count, int free) =>
        throw new InvalidOperationException($"Cannot advance {count} bytes: only {free} are free in the buffer.");

    private void EnsureFree(int sizeHint)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        if (sizeHint == 0)
        {
            sizeHint = 1;
        }

        if (sizeHint <= _buffer.Length - _written)
        {
            return;
        }

        Grow(sizeHint);
    }

    private void Grow(int sizeHint)
    {
        // Double to keep the number of copies logarithmic in the final size, but never below what was asked for.
        long needed = (long)_written + sizeHint;
        if (needed > Array.MaxLength)
        {
            throw new OutOfMemoryException($"A buffer of {needed} bytes exceeds the largest array ({Array.MaxLength} bytes).");
        }

        int newSize = (int)Math.Min(Math.Max(needed, 2L * _buffer.Length), Array.MaxLength);
        var newBuffer = _pool.Rent(newSize);
        Debug.Assert(newBuffer.Length >= needed, $"The pool lent {newBuffer.Length} bytes for a request of {newSize}.");
        var oldBuffer = _buffer;
        oldBuffer.AsSpan(0, _written).CopyTo(newBuffer);
        _buffer = newBuffer;
        if (oldBuffer.Length > 0)
        {
            _pool.Return(oldBuffer);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
