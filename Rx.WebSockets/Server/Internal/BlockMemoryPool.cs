using System.Buffers;
using System.Collections.Concurrent;
using System.Threading;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of fixed-size blocks shared by the connections of one server, for the pipes that hold
/// responses until their turn (Kestrel's pinned block pool, without the eviction).
/// </summary>
/// <remarks>
/// <para>
/// Pipelined responses wait in their pipes while the ones before them are written: with 16 in flight on each of many
/// connections, thousands of blocks are live at once. <see cref="ArrayPool{T}.Shared"/> keeps a few dozen arrays of a
/// size per core, so most of those rentals missed it and allocated a fresh array, which the pool then dropped on
/// return; that garbage cost more than the rest of the response. This pool keeps what it hands out, up to
/// <see cref="MaxRetainedBlocks"/> blocks, and rents beyond that allocate as before.
/// </para>
/// <para>Thread-safety: any thread. A block is returned by disposing it, once.</para>
/// </remarks>
internal sealed class BlockMemoryPool : MemoryPool<byte>
{
    /// <summary>The size of every block: the pipe's default minimum segment size.</summary>
    public const int BlockSize = 4096;

    /// <summary>The most blocks kept for reuse (8 MiB); returns beyond it are left to the GC.</summary>
    public const int MaxRetainedBlocks = 2048;

    private readonly ConcurrentQueue<Block> _blocks = new();
    private int _retained;

    /// <inheritdoc/>
    public override int MaxBufferSize => BlockSize;

    /// <inheritdoc/>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_blocks.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _retained);
            block.Lease();
            return block;
        }

        return new Block(this);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        // The blocks are plain managed arrays: whatever is retained goes with the pool.
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _retained) <= MaxRetainedBlocks)
        {
            _blocks.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _retained);
        }
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly BlockMemoryPool _pool;
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
        private int _leased = 1;

        public Block(BlockMemoryPool pool) => _pool = pool;

        public Memory<byte> Memory => _array;

        public void Lease() => Volatile.Write(ref _leased, 1);

        public void Dispose()
        {
            // A second dispose must not put the block in the queue twice (two owners would share it).
            if (Interlocked.Exchange(ref _leased, 0) == 1)
            {
                _pool.Return(this);
            }
        }
    }
}
