using System.Buffers;
using System.Collections.Generic;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// What a handler wrote to <see cref="HttpResponse.Body"/> since its last flush: a growable list of arrays rented
/// from <see cref="ArrayPool{T}.Shared"/>, returned by <see cref="Clear"/>.
/// </summary>
/// <remarks>
/// A <see cref="System.IO.Pipelines.Pipe"/> did this job before; it costs a pipe, its options, its reader and writer
/// and a segment object per response, where a typical body fits in one rented array. Segments are cut the way the pipe
/// cut them (a new one when the current cannot hold the size hint, at least <see cref="SegmentSize"/> bytes), so a
/// chunked response keeps the same chunk boundaries.
/// A struct, held in a field of its response (one object less per response): never copy it, a copy would share and
/// then double-return its arrays.
/// Thread-safety: one thread at a time (the response's writer).
/// </remarks>
internal struct ResponseBuffer : IBufferWriter<byte>
{
    /// <summary>The smallest array rented (the pipe's default minimum segment size).</summary>
    public const int SegmentSize = 4096;

    private List<(byte[] Array, int Length)>? _full;
    private byte[]? _current;
    private int _currentLength;
    private long _fullLength;

    /// <summary>How many bytes are buffered.</summary>
    public long Length => _fullLength + _currentLength;

    /// <inheritdoc/>
    public void Advance(int count)
    {
        if (count < 0 || count > (_current?.Length ?? 0) - _currentLength)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "Advanced past the end of the buffer that was returned.");
        }

        _currentLength += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(_currentLength);

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(_currentLength);

    /// <summary>How many segments hold bytes; <see cref="GetSegment"/> returns them in order.</summary>
    public int SegmentCount => (_full?.Count ?? 0) + (_currentLength > 0 ? 1 : 0);

    /// <summary>The bytes of segment <paramref name="index"/> (0 to <see cref="SegmentCount"/> - 1).</summary>
    /// <param name="index">The segment's index.</param>
    /// <returns>The segment's bytes; valid until the buffer is written to or cleared.</returns>
    public ReadOnlySpan<byte> GetSegment(int index)
    {
        int full = _full?.Count ?? 0;
        if (index < full)
        {
            var (array, length) = _full![index];
            return array.AsSpan(0, length);
        }

        ArgumentOutOfRangeException.ThrowIfNotEqual(index, full);
        return _current.AsSpan(0, _currentLength);
    }

    /// <summary>Forgets the buffered bytes and returns every array to the pool.</summary>
    public void Clear()
    {
        if (_full is not null)
        {
            foreach (var (array, _) in _full)
            {
                ArrayPool<byte>.Shared.Return(array);
            }

            _full.Clear();
        }

        if (_current is not null)
        {
            ArrayPool<byte>.Shared.Return(_current);
            _current = null;
        }

        _currentLength = 0;
        _fullLength = 0;
    }

    private byte[] Ensure(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        int needed = Math.Max(sizeHint, 1);
        if (_current is not null && _current.Length - _currentLength >= needed)
        {
            return _current;
        }

        if (_current is not null)
        {
            if (_currentLength > 0)
            {
                (_full ??= new List<(byte[], int)>()).Add((_current, _currentLength));
                _fullLength += _currentLength;
            }
            else
            {
                ArrayPool<byte>.Shared.Return(_current);
            }
        }

        _current = ArrayPool<byte>.Shared.Rent(Math.Max(needed, SegmentSize));
        _currentLength = 0;
        return _current;
    }
}
