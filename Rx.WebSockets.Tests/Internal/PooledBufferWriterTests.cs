using System.Buffers;
using System.Collections.Generic;
using Rx.WebSockets.Internal;

namespace Rx.WebSockets.Tests.Internal;

/// <summary>PooledBufferWriter: the IBufferWriter contract over a rented array, reuse through Reset, return on Dispose.</summary>
public sealed class PooledBufferWriterTests
{
    [Fact]
    public void NewWriter_ZeroInitialCapacity_RentsNothingUntilFirstGetSpan()
    {
        var pool = new RecordingPool();
        using var writer = new PooledBufferWriter(pool);

        Assert.Equal(0, writer.WrittenCount);
        Assert.True(writer.WrittenSpan.IsEmpty);
        Assert.True(writer.WrittenMemory.IsEmpty);
        Assert.Empty(pool.Rented);

        Assert.True(writer.GetSpan().Length >= 1);
        Assert.Single(pool.Rented);
    }

    [Fact]
    public void NewWriter_InitialCapacity_RentsThatMuchUpFront()
    {
        var pool = new RecordingPool();
        using var writer = new PooledBufferWriter(pool, 100);

        Assert.Equal(100, writer.Capacity);
        Assert.Equal(100, writer.FreeCapacity);
        Assert.Equal(100, writer.GetSpan(100).Length);
        Assert.Single(pool.Rented);
    }

    [Fact]
    public void GetSpan_SizeHintBeyondFreeCapacity_GrowsAndKeepsWrittenBytes()
    {
        var pool = new RecordingPool();
        using var writer = new PooledBufferWriter(pool, 16);
        Write(writer, [1, 2, 3, 4, 5]);

        var span = writer.GetSpan(1000);

        Assert.True(span.Length >= 1000);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, writer.WrittenSpan.ToArray());
        Assert.Equal(5, writer.WrittenCount);
        Assert.Equal(2, pool.Rented.Count);
        Assert.Same(pool.Rented[0], Assert.Single(pool.Returned));
    }

    [Fact]
    public void GetSpan_SmallHints_GrowByDoubling()
    {
        var pool = new RecordingPool();
        using var writer = new PooledBufferWriter(pool, 1);
        for (int i = 0; i < 10_000; i++)
        {
            Write(writer, [(byte)i]);
        }

        Assert.Equal(10_000, writer.WrittenCount);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.Equal((byte)i, writer.WrittenSpan[i]);
        }

        // 1, 2, 4, ... 16384: fifteen arrays, not ten thousand.
        Assert.Equal(15, pool.Rented.Count);
        Assert.Equal(14, pool.Returned.Count);
    }

    [Fact]
    public void GetSpan_ZeroHintWhenFull_ReturnsAtLeastOneByte()
    {
        using var writer = new PooledBufferWriter(new RecordingPool(), 4);
        Write(writer, [1, 2, 3, 4]);
        Assert.Equal(0, writer.FreeCapacity);

        Assert.True(writer.GetSpan(0).Length >= 1);
        Assert.True(writer.GetMemory(0).Length >= 1);
    }

    [Fact]
    public void GetMemory_SizeHintBeyondFreeCapacity_GrowsAndAdvanceCommitsWhatWasWritten()
    {
        using var writer = new PooledBufferWriter(new RecordingPool(), 2);
        Write(writer, [9]);

        var memory = writer.GetMemory(300);
        Assert.True(memory.Length >= 300);
        memory.Span[0] = 7;
        memory.Span[299] = 8;
        writer.Advance(300);

        Assert.Equal(301, writer.WrittenCount);
        Assert.Equal(9, writer.WrittenMemory.Span[0]);
        Assert.Equal(7, writer.WrittenMemory.Span[1]);
        Assert.Equal(8, writer.WrittenMemory.Span[300]);
    }

    [Fact]
    public void GetSpan_NegativeSizeHint_Throws()
    {
        using var writer = new PooledBufferWriter();

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.GetSpan(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.GetMemory(-1));
    }

    [Fact]
    public void Advance_BeyondCapacity_ThrowsAndCommitsNothing()
    {
        using var writer = new PooledBufferWriter(new RecordingPool(), 8);
        Write(writer, [1, 2, 3]);

        Assert.Throws<InvalidOperationException>(() => writer.Advance(6));
        Assert.Equal(3, writer.WrittenCount);

        writer.Advance(5);
        Assert.Equal(8, writer.WrittenCount);
        Assert.Throws<InvalidOperationException>(() => writer.Advance(1));
    }

    [Fact]
    public void Advance_Negative_Throws()
    {
        using var writer = new PooledBufferWriter(new RecordingPool(), 8);

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(-1));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Reset_ForgetsWrittenBytesAndKeepsTheBuffer()
    {
        var pool = new RecordingPool();
        using var writer = new PooledBufferWriter(pool);
        Write(writer, new byte[500]);
        int capacity = writer.Capacity;
        int rents = pool.Rented.Count;

        writer.Reset();

        Assert.Equal(0, writer.WrittenCount);
        Assert.True(writer.WrittenSpan.IsEmpty);
        Assert.Equal(capacity, writer.Capacity);
        Write(writer, [42]);
        Assert.Equal(new byte[] { 42 }, writer.WrittenMemory.ToArray());
        Assert.True(writer.GetSpan(capacity - 1).Length >= capacity - 1);
        Assert.Equal(rents, pool.Rented.Count);
        Assert.Empty(pool.Returned);
    }

    [Fact]
    public void Dispose_ReturnsTheBufferToThePoolOnce()
    {
        var pool = new RecordingPool();
        var writer = new PooledBufferWriter(pool, 64);
        Write(writer, [1, 2, 3]);

        writer.Dispose();
        writer.Dispose();

        Assert.Same(Assert.Single(pool.Rented), Assert.Single(pool.Returned));
    }

    [Fact]
    public void Dispose_NothingRented_ReturnsNothing()
    {
        var pool = new RecordingPool();

        new PooledBufferWriter(pool).Dispose();

        Assert.Empty(pool.Returned);
    }

    [Fact]
    public void Disposed_EveryUse_ThrowsObjectDisposedException()
    {
        var writer = new PooledBufferWriter(new RecordingPool(), 8);
        writer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => writer.GetSpan());
        Assert.Throws<ObjectDisposedException>(() => writer.GetMemory());
        Assert.Throws<ObjectDisposedException>(() => writer.Advance(0));
        Assert.Throws<ObjectDisposedException>(() => writer.WrittenMemory);
        Assert.Throws<ObjectDisposedException>(() => writer.WrittenSpan.Length);
        Assert.Throws<ObjectDisposedException>(writer.Reset);
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PooledBufferWriter(-1));
        Assert.Throws<ArgumentNullException>(() => new PooledBufferWriter(null!, 0));
    }

    [Fact]
    public void DefaultPool_WriteGrowResetDispose_Works()
    {
        var writer = new PooledBufferWriter(ArrayPool<byte>.Shared, 4);
        var data = new byte[5000];
        new Random(7).NextBytes(data);
        Write(writer, data);
        Assert.Equal(data, writer.WrittenSpan.ToArray());
        writer.Reset();
        Write(writer, data.AsSpan(0, 10));
        Assert.Equal(data.AsSpan(0, 10).ToArray(), writer.WrittenMemory.ToArray());
        writer.Dispose();
    }

    private static void Write(PooledBufferWriter writer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
    }

    /// <summary>Lends arrays of exactly the requested size and records every rent and return.</summary>
    private sealed class RecordingPool : ArrayPool<byte>
    {
        public List<byte[]> Rented { get; } = [];

        public List<byte[]> Returned { get; } = [];

        public override byte[] Rent(int minimumLength)
        {
            var array = new byte[minimumLength];
            Rented.Add(array);
            return array;
        }

        public override void Return(byte[] array, bool clearArray = false) => Returned.Add(array);
    }
}
