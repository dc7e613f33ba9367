using System.Runtime.InteropServices;

namespace Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;

/// <summary>
/// The compressing half of the system zlib (<c>libz.so.1</c>), bound for the one thing <c>System.IO.Compression</c>
/// cannot do on .NET 10: raw DEFLATE with an LZ77 window smaller than 15 bits (RFC 7692 §7.1.2).
/// </summary>
/// <remarks>
/// <para>
/// Only deflate is bound. Inflating with a 15-bit window reads every stream made with 15 bits or fewer, so the
/// receive side stays on <see cref="System.IO.Compression.DeflateStream"/>.
/// </para>
/// <para>
/// <see cref="IsAvailable"/> loads the library once, looks up every export used, and creates and ends one
/// compressor at 9 bits; any failure (no zlib, another ABI) makes it false, and the negotiator then declines offers
/// that need a small window, as it would without this binding.
/// </para>
/// <para>
/// ABI: <see cref="ZStream"/> mirrors zlib's <c>z_stream</c>, whose <c>uLong</c> fields are <see cref="CULong"/> (8
/// bytes on 64-bit Linux, where the struct is 112 bytes; 4 on Windows). zlib keeps a pointer back to the struct, so
/// it lives in native memory for the compressor's whole life (<see cref="ZLibDeflateHandle"/>), never in a movable
/// managed object.
/// </para>
/// </remarks>
internal static unsafe partial class ZLibNative
{
    /// <summary>The system zlib's soname on Linux.</summary>
    public const string LibraryName = "libz.so.1";

    /// <summary>zlib's <c>Z_OK</c>.</summary>
    public const int ZOk = 0;

    /// <summary>zlib's <c>Z_BUF_ERROR</c>: no progress was possible (not fatal: here, nothing was left to flush).</summary>
    public const int ZBufError = -5;

    /// <summary>zlib's <c>Z_SYNC_FLUSH</c>: flush to a byte boundary, ending with an empty stored block (00 00 FF FF).</summary>
    public const int ZSyncFlush = 2;

    /// <summary>zlib's <c>Z_DEFLATED</c>, the only compression method.</summary>
    public const int ZDeflated = 8;

    /// <summary>zlib's default <c>memLevel</c> (8), as python-websockets, Node's zlib and the .NET runtime use.</summary>
    public const int DefaultMemLevel = 8;

    /// <summary>zlib's <c>Z_DEFAULT_STRATEGY</c>.</summary>
    public const int DefaultStrategy = 0;

    /// <summary>
    /// The smallest window zlib's deflate accepts for raw streams: <c>deflateInit2</c> refuses -8 (Z_STREAM_ERROR)
    /// since zlib 1.2.9, because its 256-byte window never worked and was silently widened to 512 bytes.
    /// </summary>
    public const int MinDeflateWindowBits = 9;

    private static readonly Lazy<bool> s_available = new(Probe);

    /// <summary>Whether the system zlib could be loaded and compresses raw DEFLATE with a small window.</summary>
    public static bool IsAvailable => s_available.Value;

    /// <summary>zlib's <c>deflateInit2_</c>: the version and struct size let the library refuse an ABI it does not share.</summary>
    [LibraryImport(LibraryName, EntryPoint = "deflateInit2_")]
    internal static partial int DeflateInit2(ZStream* stream, int level, int method, int windowBits, int memLevel, int strategy, byte* version, int streamSize);

    /// <summary>zlib's <c>deflate</c>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "deflate")]
    internal static partial int Deflate(ZStream* stream, int flush);

    /// <summary>zlib's <c>deflateReset</c>: an empty window without freeing and allocating the state again.</summary>
    [LibraryImport(LibraryName, EntryPoint = "deflateReset")]
    internal static partial int DeflateReset(ZStream* stream);

    /// <summary>zlib's <c>deflateEnd</c>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "deflateEnd")]
    internal static partial int DeflateEnd(ZStream* stream);

    /// <summary>zlib's <c>zlibVersion</c>: the library's own version string, passed back to <c>deflateInit2_</c>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "zlibVersion")]
    internal static partial byte* ZLibVersion();

    private static bool Probe()
    {
        if (!NativeLibrary.TryLoad(LibraryName, typeof(ZLibNative).Assembly, searchPath: null, out nint library))
        {
            return false;
        }

        // The handle stays loaded: the imports above resolve the same library by the same name.
        foreach (string export in (ReadOnlySpan<string>)["deflateInit2_", "deflate", "deflateReset", "deflateEnd", "zlibVersion"])
        {
            if (!NativeLibrary.TryGetExport(library, export, out _))
            {
                return false;
            }
        }

        try
        {
            // deflateInit2_ checks the major version and sizeof(z_stream): a mismatch returns Z_VERSION_ERROR here
            // rather than corrupting memory later.
            using var probe = ZLibDeflateHandle.Create(level: 6, windowBits: MinDeflateWindowBits);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>zlib's <c>z_stream</c>, field for field (zlib.h), with C's natural alignment.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ZStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public CULong TotalIn;
        public byte* NextOut;
        public uint AvailOut;
        public CULong TotalOut;
        public byte* Msg;
        public void* State;
        public void* ZAlloc;
        public void* ZFree;
        public void* Opaque;
        public int DataType;
        public CULong Adler;
        public CULong Reserved;
    }
}

/// <summary>
/// One zlib raw-DEFLATE compressor: its <c>z_stream</c> in native memory, ended and freed exactly once (also by the
/// finalizer if the owner forgot).
/// </summary>
/// <remarks>Thread-safety: none; one owner (the connection's write side).</remarks>
internal sealed unsafe class ZLibDeflateHandle : SafeHandle
{
    private const int MinimumOutputSpan = 256;

    private ZLibDeflateHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == IntPtr.Zero;

    private ZLibNative.ZStream* Stream => (ZLibNative.ZStream*)handle;

    /// <summary>Creates a raw-DEFLATE compressor.</summary>
    /// <param name="level">zlib level, 0–9.</param>
    /// <param name="windowBits">The LZ77 window, 9–15 bits.</param>
    /// <returns>The compressor.</returns>
    /// <exception cref="InvalidOperationException">zlib refused the parameters or the ABI.</exception>
    public static ZLibDeflateHandle Create(int level, int windowBits)
    {
        var result = new ZLibDeflateHandle();
        var stream = (ZLibNative.ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZLibNative.ZStream));

        // Negative windowBits: raw DEFLATE, no zlib header or trailer (RFC 7692 §7.2.1 compresses "using DEFLATE").
        int rc = ZLibNative.DeflateInit2(
            stream, level, ZLibNative.ZDeflated, -windowBits, ZLibNative.DefaultMemLevel, ZLibNative.DefaultStrategy, ZLibNative.ZLibVersion(), sizeof(ZLibNative.ZStream));
        if (rc != ZLibNative.ZOk)
        {
            NativeMemory.Free(stream);
            throw new InvalidOperationException($"zlib deflateInit2_ failed with {rc} (level {level}, window bits {windowBits}).");
        }

        result.SetHandle((IntPtr)stream);
        return result;
    }

    /// <summary>
    /// Compresses <paramref name="data"/> and sync-flushes (Z_SYNC_FLUSH), appending everything produced to
    /// <paramref name="output"/>.
    /// </summary>
    /// <param name="data">The bytes to compress (may be empty).</param>
    /// <param name="output">Receives the compressed bytes.</param>
    /// <exception cref="InvalidOperationException">zlib reported an error.</exception>
    public void CompressAndFlush(ReadOnlySpan<byte> data, System.Buffers.IBufferWriter<byte> output)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        var stream = Stream;
        fixed (byte* input = data)
        {
            stream->NextIn = input;
            stream->AvailIn = (uint)data.Length;
            try
            {
                while (true)
                {
                    // Whatever room the writer has (at least a little): a full buffer just means another round.
                    var span = output.GetSpan(MinimumOutputSpan);
                    int produced;
                    int rc;
                    fixed (byte* target = span)
                    {
                        stream->NextOut = target;
                        stream->AvailOut = (uint)span.Length;
                        rc = ZLibNative.Deflate(stream, ZLibNative.ZSyncFlush);
                        produced = span.Length - (int)stream->AvailOut;
                    }

                    output.Advance(produced);

                    // Z_BUF_ERROR only means no progress was possible: no input and nothing pending (an empty flush
                    // after a message emits nothing).
                    if (rc != ZLibNative.ZOk && rc != ZLibNative.ZBufError)
                    {
                        throw new InvalidOperationException($"zlib deflate failed with {rc}.");
                    }

                    // zlib's contract for a flush: output space left over means the input is consumed and the flush
                    // is complete; a full buffer means call again with the same flush value.
                    if (stream->AvailOut != 0)
                    {
                        return;
                    }
                }
            }
            finally
            {
                // The pointers are into pinned spans that are about to be unpinned.
                stream->NextIn = null;
                stream->AvailIn = 0;
                stream->NextOut = null;
                stream->AvailOut = 0;
            }
        }
    }

    /// <summary>Starts a new, empty window (RFC 7692 §7.1.1: no context takeover) keeping the allocated state.</summary>
    /// <exception cref="InvalidOperationException">zlib reported an error.</exception>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        int rc = ZLibNative.DeflateReset(Stream);
        if (rc != ZLibNative.ZOk)
        {
            throw new InvalidOperationException($"zlib deflateReset failed with {rc}.");
        }
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        // deflateEnd returns Z_DATA_ERROR when ended mid-stream, which is how every long-lived compressor ends:
        // the state is freed all the same.
        _ = ZLibNative.DeflateEnd(Stream);
        NativeMemory.Free((void*)handle);
        return true;
    }
}
