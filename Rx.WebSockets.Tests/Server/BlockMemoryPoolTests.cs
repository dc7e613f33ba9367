using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Threading.Tasks;
using Rx.WebSockets.Server.Internal;

namespace Rx.WebSockets.Tests.Server;

/// <summary>The block pool of the server's pipes: power-of-two sizes, reuse, a retention budget per size.</summary>
public sealed class BlockMemoryPoolTests
{
    [Theory]
    [InlineData(-1, 4096)]
    [InlineData(1, 4096)]
    [InlineData(4096, 4096)]
    [InlineData(4097, 8192)]
    [InlineData(16 * 1024 + 14, 32 * 1024)]
    [InlineData(65536, 65536)]
    public void Rent_AnySizeUpToTheLargest_GetsTheSmallestBlockThatFits(int requested, int expected)
    {
        using var pool = BlockMemoryPool.CreateForTransport();

        using var block = pool.Rent(requested);

        Assert.Equal(expected, block.Memory.Length);
    }

    [Fact]
    public void Rent_MoreThanTheLargestBlock_Throws()
    {
        using var pool = BlockMemoryPool.CreateForTransport();

        Assert.Equal(BlockMemoryPool.MaxTransportBlockSize, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(BlockMemoryPool.MaxTransportBlockSize + 1));
    }

    [Fact]
    public void Rent_AfterReturn_ReusesTheSameMemoryOfThatSizeOnly()
    {
        using var pool = BlockMemoryPool.CreateForTransport();
        var first = pool.Rent(64 * 1024);
        var memory = first.Memory;
        first.Dispose();

        using var small = pool.Rent(4096);
        using var again = pool.Rent(60 * 1024);

        Assert.False(small.Memory.Span.Overlaps(memory.Span));
        Assert.True(again.Memory.Span.Overlaps(memory.Span));
        Assert.Equal(0, pool.RetainedCount(64 * 1024));
    }

    [Fact]
    public void Dispose_Twice_ReturnsTheBlockOnce()
    {
        using var pool = BlockMemoryPool.CreateForTransport();
        var block = pool.Rent(8192);

        block.Dispose();
        block.Dispose();

        Assert.Equal(1, pool.RetainedCount(8192));
        using var a = pool.Rent(8192);
        using var b = pool.Rent(8192);
        Assert.False(a.Memory.Span.Overlaps(b.Memory.Span));
    }

    [Fact]
    public void Return_BeyondTheBudgetOfASize_IsLeftToTheGc()
    {
        // A budget of two 16 KiB blocks, which is eight 4 KiB ones.
        using var pool = new BlockMemoryPool(4096, 16 * 1024, 32 * 1024);
        var large = new List<IMemoryOwner<byte>>();
        var small = new List<IMemoryOwner<byte>>();
        for (int i = 0; i < 10; i++)
        {
            large.Add(pool.Rent(16 * 1024));
            small.Add(pool.Rent(4096));
        }

        large.ForEach(b => b.Dispose());
        small.ForEach(b => b.Dispose());

        Assert.Equal(2, pool.RetainedCount(16 * 1024));
        Assert.Equal(8, pool.RetainedCount(4096));
        Assert.Equal(0, pool.RetainedCount(8192));
    }

    [Fact]
    public void DefaultPool_HasOnlyFourKiBBlocks()
    {
        using var pool = new BlockMemoryPool();

        using var block = pool.Rent();

        Assert.Equal(BlockMemoryPool.BlockSize, pool.MaxBufferSize);
        Assert.Equal(BlockMemoryPool.BlockSize, block.Memory.Length);
    }

    [Fact]
    public async Task Pipe_LargeWritesInGrowingPieces_RoundTripAndReturnEveryBlock()
    {
        // The transport's use: reads growing from 4 to 64 KiB, a whole multi-block unit examined before it is consumed.
        using var pool = BlockMemoryPool.CreateForTransport();
        var pipe = new Pipe(new PipeOptions(pool: pool, minimumSegmentSize: 4096, pauseWriterThreshold: 0, useSynchronizationContext: false));
        var expected = new byte[1024 * 1024 + 123];
        new Random(6).NextBytes(expected);
        int written = 0;
        int size = 4096;
        while (written < expected.Length)
        {
            var memory = pipe.Writer.GetMemory(size);
            int count = Math.Min(memory.Length, expected.Length - written);
            expected.AsMemory(written, count).CopyTo(memory);
            pipe.Writer.Advance(count);
            written += count;
            size = Math.Min(size * 2, BlockMemoryPool.MaxTransportBlockSize);
        }

        await pipe.Writer.CompleteAsync();
        var result = await pipe.Reader.ReadAsync();
        Assert.Equal(expected, result.Buffer.ToArray());
        pipe.Reader.AdvanceTo(result.Buffer.End);
        await pipe.Reader.CompleteAsync();

        Assert.Equal(1, pool.RetainedCount(4096));
        Assert.Equal(1, pool.RetainedCount(8192));
        Assert.Equal(1, pool.RetainedCount(16 * 1024));
        Assert.Equal(1, pool.RetainedCount(32 * 1024));
        Assert.Equal(16, pool.RetainedCount(64 * 1024));
    }
}
