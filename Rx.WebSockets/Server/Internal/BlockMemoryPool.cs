using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;
using System.Threading;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of blocks in power-of-two sizes, shared by the connections of a server: by default one
/// size of 4 KiB for the pipes that hold responses until their turn (Kestrel's pinned block pool, without the eviction),
/// and 4–64 KiB for the socket transport's pipes (<see cref="CreateForTransport"/>).
/// </summary>
/// <remarks>
/// <para>
/// Pipelined responses wait in their pipes while the ones before them are written: with 16 in flight on each of many
/// connections, thousands of blocks are live at once. <see cref="ArrayPool{T}.Shared"/> keeps a few dozen arrays of a
/// size per core, so most of those rentals missed it and allocated a fresh array, which the pool then dropped on
/// return; that garbage cost more than the rest of the response. The same happens to a multi-megabyte WebSocket frame,
/// which sits whole in the receive pipe (the decoder takes a frame only once all of it is there) and again in the send
/// pipe: 64 blocks of 64 KiB each. This pool keeps what it hands out, up to a byte budget per size, and rents beyond
/// that allocate as before.
/// </para>
/// <para>Thread-safety: any thread. A block is returned by disposing it, once.</para>
/// </remarks>
internal sealed class BlockMemoryPool : MemoryPool<byte>
{
    /// <summary>The size of the smallest block: the pipe's default minimum segment size.</summary>
    public const int BlockSize = 4096;

    /// <summary>The most 4 KiB blocks a default pool keeps for reuse (8 MiB); returns beyond it are left to the GC.</summary>
    public const int MaxRetainedBlocks = 2048;

    /// <summary>The largest block of a transport pool: the receive pump's largest read and the encoder's piece size.</summary>
    public const int MaxTransportBlockSize = 64 * 1024;

    /// <summary>
    /// Bytes a transport pool keeps per block size: a 4 MiB frame in flight each way (receive and send pipe) with room
    /// for a second connection doing the same.
    /// </summary>
    public const long TransportRetainedBytesPerSize = 16L * 1024 * 1024;

    private readonly Bucket[] _buckets;
    private readonly int _minBlockSizeLog2;

    /// <summary>Creates a pool of 4 KiB blocks keeping up to <see cref="MaxRetainedBlocks"/> of them.</summary>
    public BlockMemoryPool()
        : this(BlockSize, BlockSize, (long)MaxRetainedBlocks * BlockSize)
    {
    }

    /// <summary>Creates a pool of blocks from <paramref name="minBlockSize"/> to <paramref name="maxBlockSize"/> bytes.</summary>
    /// <param name="minBlockSize">The smallest block; a power of two.</param>
    /// <param name="maxBlockSize">The largest block (<see cref="MaxBufferSize"/>); a power of two, at least <paramref name="minBlockSize"/>.</param>
    /// <param name="maxRetainedBytesPerSize">How many bytes of blocks of each size are kept for reuse.</param>
    public BlockMemoryPool(int minBlockSize, int maxBlockSize, long maxRetainedBytesPerSize)
    {
        if (!BitOperations.IsPow2(minBlockSize) || !BitOperations.IsPow2(maxBlockSize) || maxBlockSize < minBlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBlockSize), "Block sizes must be powers of two, the largest at least the smallest.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maxRetainedBytesPerSize);
        _minBlockSizeLog2 = BitOperations.Log2((uint)minBlockSize);
        _buckets = new Bucket[BitOperations.Log2((uint)maxBlockSize) - _minBlockSizeLog2 + 1];
        for (int i = 0; i < _buckets.Length; i++)
        {
            int size = minBlockSize << i;
            _buckets[i] = new Bucket(size, (int)Math.Min(int.MaxValue, maxRetainedBytesPerSize / size));
        }
    }

    /// <inheritdoc/>
    public override int MaxBufferSize => _buckets[^1].Size;

    /// <summary>A pool for the pipes of <see cref="SocketTransport"/>: blocks of 4 to 64 KiB.</summary>
    /// <returns>The pool.</returns>
    public static BlockMemoryPool CreateForTransport() => new(BlockSize, MaxTransportBlockSize, TransportRetainedBytesPerSize);

    /// <inheritdoc/>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, MaxBufferSize);
        int index = minBufferSize <= _buckets[0].Size
            ? 0
            : BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)minBufferSize)) - _minBlockSizeLog2;
        return _buckets[index].Rent();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        // The blocks are plain managed arrays: whatever is retained goes with the pool.
    }

    /// <summary>The blocks of one size that are not leased (for tests).</summary>
    /// <param name="size">A block size of this pool.</param>
    /// <returns>How many blocks of that size the pool holds.</returns>
    internal int RetainedCount(int size) => Array.Find(_buckets, b => b.Size == size)?.Retained ?? 0;

    private sealed class Bucket
    {
        private readonly ConcurrentQueue<Block> _blocks = new();
        private readonly int _maxRetained;
        private int _retained;

        public Bucket(int size, int maxRetained)
        {
            Size = size;
            _maxRetained = maxRetained;
        }

        public int Size { get; }

        public int Retained => Volatile.Read(ref _retained);

        public Block Rent()
        {
            if (_blocks.TryDequeue(out var block))
            {
                Interlocked.Decrement(ref _retained);
                block.Lease();
                return block;
            }

            return new Block(this);
        }

        public void Return(Block block)
        {
            if (Interlocked.Increment(ref _retained) <= _maxRetained)
            {
                _blocks.Enqueue(block);
            }
            else
            {
                Interlocked.Decrement(ref _retained);
            }
        }
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly Bucket _bucket;
        private readonly byte[] _array;
        private int _leased = 1;

        public Block(Bucket bucket)
        {
            _bucket = bucket;
            _array = GC.AllocateUninitializedArray<byte>(bucket.Size, pinned: true);
        }

        public Memory<byte> Memory => _array;

        public void Lease() => Volatile.Write(ref _leased, 1);

        public void Dispose()
        {
            // A second dispose must not put the block in the queue twice (two owners would share it).
            if (Interlocked.Exchange(ref _leased, 0) == 1)
            {
                _bucket.Return(this);
            }
        }
    }
}
