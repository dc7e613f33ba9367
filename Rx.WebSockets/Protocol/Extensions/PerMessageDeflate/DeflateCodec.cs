using System.Buffers;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using Rx.WebSockets.Internal;

namespace Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;

/// <summary>
/// Constants of the RFC 7692 §7.2 payload transformation: raw DEFLATE (RFC 1951) ended by a sync flush whose
/// marker is stripped on send and put back on receive.
/// </summary>
/// <remarks>
/// Built on <see cref="DeflateStream"/>, which is raw DEFLATE with a 15-bit window in both directions.
/// <see cref="DeflateStream.Flush()"/> is a zlib <c>Z_SYNC_FLUSH</c>, which ends in <see cref="FlushMarker"/> (the
/// tests check it on this runtime). The BCL of .NET 10 exposes no window-bits setting, so a compressor limited to a
/// smaller window (9–14 bits) uses the system zlib through <see cref="ZLibNative"/> instead (ADR 0006); without it
/// the negotiator declines such offers.
/// </remarks>
internal static class DeflateCodec
{
    /// <summary>
    /// The empty stored block that a sync flush ends with, byte-aligned: RFC 7692 §7.2.1 "Remove 4 octets (that are
    /// 0x00 0x00 0xff 0xff) from the tail end", and §7.2.2 "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of
    /// the payload of the message" before inflating.
    /// </summary>
    public static ReadOnlySpan<byte> FlushMarker => [0x00, 0x00, 0xFF, 0xFF];

    /// <summary>
    /// RFC 7692 §7.2.3.6: "The single octet 0x00 contains the header bits with "BFINAL" set to 0 and "BTYPE" set to
    /// 00, and 5 padding bits of 0" — the compressed form of nothing, completed by the receiver's marker.
    /// </summary>
    public const byte EmptyBlockHeader = 0x00;
}

/// <summary>
/// The compressing half: one long-lived compressor for context takeover (RFC 7692 §7.2.1: the LZ77 window carries
/// over from message to message), or a fresh one per message when it must not. The compressor is a
/// <see cref="DeflateStream"/> (15-bit window) or, for a smaller window, a <see cref="ZLibDeflateHandle"/>.
/// </summary>
/// <remarks>Thread-safety: none; it belongs to the connection's write side.</remarks>
internal sealed class MessageDeflater : IDisposable
{
    private const int MinimumOutputCapacity = 256;
    private const int MaximumInitialOutputCapacity = 64 * 1024;

    private readonly CompressionLevel _level;
    private readonly bool _resetPerMessage;
    private readonly int _windowBits;
    private readonly BufferWriterStream _sink = new();
    private DeflateStream? _stream;
    private ZLibDeflateHandle? _native;
    private bool _disposed;

    /// <summary>Creates the compressor.</summary>
    /// <param name="level">The compression level.</param>
    /// <param name="noContextTakeover">Whether every message starts with an empty window (the stream is dropped after each).</param>
    /// <param name="windowBits">
    /// The largest LZ77 window this end may use, 9–15 bits (RFC 7692 §7.1.2); below 15 the system zlib compresses,
    /// so <see cref="ZLibNative.IsAvailable"/> must be true.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="windowBits"/> is not 9–15.</exception>
    /// <exception cref="PlatformNotSupportedException">A window below 15 bits is asked for and the system zlib is not available.</exception>
    public MessageDeflater(CompressionLevel level, bool noContextTakeover, int windowBits = PerMessageDeflateParameters.MaxWindowBits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBits, ZLibNative.MinDeflateWindowBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowBits, PerMessageDeflateParameters.MaxWindowBits);
        if (windowBits < PerMessageDeflateParameters.MaxWindowBits && !ZLibNative.IsAvailable)
        {
            throw new PlatformNotSupportedException($"A {windowBits}-bit window needs the system zlib ({ZLibNative.LibraryName}), which could not be loaded.");
        }

        _level = level;
        _resetPerMessage = noContextTakeover;
        _windowBits = windowBits;
    }

    /// <summary>Whether a compressor (and its native state) is currently held.</summary>
    public bool HasStream => _stream is not null || _native is not null;

    /// <summary>Whether the system zlib compresses (a window below 15 bits) rather than <see cref="DeflateStream"/>.</summary>
    public bool UsesSystemZLib => _windowBits < PerMessageDeflateParameters.MaxWindowBits;

    /// <summary>
    /// Compresses the next part of the message being sent and returns it as a new array. At the end of the message
    /// the flush marker is removed (RFC 7692 §7.2.1); before it the output is sent whole, since an empty stored block
    /// inside the stream is valid DEFLATE.
    /// </summary>
    /// <param name="data">The uncompressed bytes (may be empty).</param>
    /// <param name="endOfMessage">Whether these are the message's last bytes.</param>
    /// <returns>The compressed bytes; at the end of a message never empty.</returns>
    /// <exception cref="InvalidOperationException">zlib did not end a sync flush with <c>00 00 FF FF</c> (a runtime change).</exception>
    public byte[] Compress(ReadOnlySpan<byte> data, bool endOfMessage)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var output = new PooledBufferWriter(Math.Clamp(data.Length / 2, MinimumOutputCapacity, MaximumInitialOutputCapacity));
        if (UsesSystemZLib)
        {
            var native = _native ??= ZLibDeflateHandle.Create(ToZLibLevel(_level), _windowBits);
            try
            {
                native.CompressAndFlush(data, output);
            }
            catch
            {
                DropStream();
                throw;
            }
        }
        else
        {
            var stream = _stream ??= new DeflateStream(_sink, _level, leaveOpen: true);
            _sink.Target = output;
            try
            {
                stream.Write(data);
                stream.Flush();
            }
            catch
            {
                DropStream();
                throw;
            }
            finally
            {
                _sink.Target = null;
            }
        }

        ReadOnlySpan<byte> compressed = output.WrittenSpan;
        byte[] result;
        if (!endOfMessage)
        {
            result = compressed.ToArray();
        }
        else if (compressed.IsEmpty)
        {
            // Only when the last fragment of a message adds nothing: the receiver appends the marker to what came
            // before, which already ended at a flush, so it needs a block header to complete (RFC 7692 §7.2.3.6).
            result = [DeflateCodec.EmptyBlockHeader];
        }
        else
        {
            if (!compressed.EndsWith(DeflateCodec.FlushMarker))
            {
                DropStream();
                throw new InvalidOperationException("zlib did not end a sync flush with 00 00 FF FF; this compressor cannot be used for RFC 7692.");
            }

            // RFC 7692 §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
            result = compressed[..^DeflateCodec.FlushMarker.Length].ToArray();
        }

        if (endOfMessage && _resetPerMessage)
        {
            DropStream();
        }

        return result;
    }

    /// <summary>Releases the compression stream.</summary>
    public void Dispose()
    {
        _disposed = true;
        DropStream();
    }

    /// <summary>
    /// zlib's level for a <see cref="CompressionLevel"/>, as <see cref="DeflateStream"/> maps it: Optimal is zlib's
    /// default 6 (what ManagedWebSocket, Ktor and python-websockets use), so both codecs compress alike.
    /// </summary>
    internal static int ToZLibLevel(CompressionLevel level) => level switch
    {
        CompressionLevel.NoCompression => 0,
        CompressionLevel.Fastest => 1,
        CompressionLevel.SmallestSize => 9,
        _ => 6,
    };

    private void DropStream()
    {
        if (_stream is { } stream)
        {
            _stream = null;

            // Disposing writes a final block; with no target it goes nowhere.
            _sink.Target = null;
            stream.Dispose();
        }

        if (_native is { } native)
        {
            _native = null;
            native.Dispose();
        }
    }

    /// <summary>A write-only stream that forwards to the current <see cref="IBufferWriter{T}"/>, or discards.</summary>
    private sealed class BufferWriterStream : Stream
    {
        public IBufferWriter<byte>? Target { get; set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => Target?.Write(buffer);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

/// <summary>
/// The decompressing half: one long-lived <see cref="DeflateStream"/> fed message by message for context takeover,
/// or a fresh one per message when the peer does not take over its window. A message may arrive in fragments;
/// each is inflated as it comes, and the flush marker is appended after the last (RFC 7692 §7.2.2).
/// </summary>
/// <remarks>
/// <para>
/// The inflated size of a message is capped: inflating stops one byte past the cap and fails with 1009, so a small
/// message cannot make the server allocate more than the cap (a decompression bomb).
/// </para>
/// <para>Thread-safety: none; it belongs to the connection's read side.</para>
/// </remarks>
internal sealed class MessageInflater : IDisposable
{
    private const int MinimumReadLength = 4096;
    private const int MaximumInitialOutputCapacity = 1024 * 1024;

    // Deflate rarely does better than 1:4 on text, so this usually avoids growing the output buffer.
    private const int ExpectedRatio = 4;

    private readonly bool _resetPerMessage;
    private readonly MessageInput _input = new();
    private DeflateStream? _stream;
    private long _messageInputLength;
    private long _messageOutputLength;
    private bool _streamEndedInMessage;
    private bool _disposed;

    /// <summary>Creates the decompressor.</summary>
    /// <param name="noContextTakeover">Whether the peer starts every message with an empty window (the stream is dropped after each).</param>
    public MessageInflater(bool noContextTakeover)
    {
        _resetPerMessage = noContextTakeover;
    }

    /// <summary>Whether a decompression stream (and its native state) is currently held.</summary>
    public bool HasStream => _stream is not null;

    /// <summary>Inflates the next fragment of the compressed message being received into a new array.</summary>
    /// <param name="compressed">The fragment's payload.</param>
    /// <param name="endOfMessage">Whether it is the message's last fragment.</param>
    /// <param name="maxMessageSize">The most bytes the whole message may inflate to.</param>
    /// <returns>The bytes this fragment inflated to (possibly none).</returns>
    /// <exception cref="FrameTooBigException">The message inflates to more than <paramref name="maxMessageSize"/> (1009).</exception>
    /// <exception cref="WebSocketProtocolException">The data is not valid DEFLATE (1007).</exception>
    public byte[] Inflate(ReadOnlyMemory<byte> compressed, bool endOfMessage, long maxMessageSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _messageInputLength += compressed.Length;

        // A compressed message with no payload at all is an empty message. Appending the marker to nothing would
        // be wrong: after a previous message the inflater would read it as the start of a 65,280-byte stored block.
        bool appendMarker = endOfMessage && _messageInputLength > 0;
        // Once a BFINAL block has ended the DEFLATE stream, the rest of the message is not DEFLATE data: DeflateStream
        // ignores what follows the final block within one fragment, so later fragments are ignored too, and the
        // result does not depend on how the peer fragmented the message (found by fuzzing, fuzz/README.md).
        byte[] result = _streamEndedInMessage || (compressed.IsEmpty && !appendMarker) ? [] : InflateCore(compressed, appendMarker, maxMessageSize);

        if (endOfMessage)
        {
            _messageInputLength = 0;
            _messageOutputLength = 0;
            _streamEndedInMessage = false;

            // RFC 7692 §7.2.2: without context takeover the peer "MUST start a new sliding window" for each message,
            // so nothing of this one is needed for the next.
            if (_resetPerMessage)
            {
                DropStream();
            }
        }

        return result;
    }

    /// <summary>Releases the decompression stream.</summary>
    public void Dispose()
    {
        _disposed = true;
        DropStream();
    }

    private byte[] InflateCore(ReadOnlyMemory<byte> compressed, bool appendMarker, long maxMessageSize)
    {
        var stream = _stream ??= new DeflateStream(_input, CompressionMode.Decompress, leaveOpen: true);
        _input.Reset(compressed, appendMarker);
        long initialCapacity = Math.Min((long)compressed.Length * ExpectedRatio, maxMessageSize - _messageOutputLength);
        using var output = new PooledBufferWriter((int)Math.Clamp(initialCapacity, MinimumReadLength, MaximumInitialOutputCapacity));
        Span<byte> probe = stackalloc byte[1];
        bool finished = false;
        bool zeroAfterInput = false;
        try
        {
            while (true)
            {
                // Never ask for more than the cap allows; at the cap, one byte into a probe proves it is exceeded.
                // The buffer so never grows past the cap, however much the data would inflate to.
                long allowed = maxMessageSize - _messageOutputLength;
                Span<byte> span = allowed == 0 ? probe : output.GetSpan((int)Math.Min(allowed, MinimumReadLength));
                if (span.Length > allowed && allowed > 0)
                {
                    span = span[..(int)allowed];
                }

                int readsBefore = _input.ReadCount;
                int read = stream.Read(span);
                if (read == 0)
                {
                    // DeflateStream returns 0 without asking for input only once the DEFLATE stream has ended (a
                    // block with BFINAL set, RFC 7692 §7.2.3.4); every later read returns 0 too.
                    if (_input.ReadCount == readsBefore)
                    {
                        finished = true;
                        break;
                    }

                    // A read that fetched input and returned 0 may have met the end of the stream in that input (an
                    // empty final block such as 03 00 produces nothing), or may need more: ask once more, which tells
                    // them apart. Missing the end left a finished stream that silently inflated every later message
                    // of the connection to nothing (found by fuzzing, fuzz/README.md).
                    if (zeroAfterInput)
                    {
                        break;
                    }

                    zeroAfterInput = true;
                    continue;
                }

                zeroAfterInput = false;

                if (allowed == 0)
                {
                    // RFC 6455 §10.4: "implementations SHOULD impose a limit on frame sizes and the total message size
                    // after reassembly from multiple frames" — here, after inflating.
                    ThrowHelper.ThrowTooBig(_messageOutputLength + read, maxMessageSize);
                }

                output.Advance(read);
                _messageOutputLength += read;
            }
        }
        catch (InvalidDataException)
        {
            DropStream();
            ThrowCorrupt();
        }

        Debug.Assert(finished || _input.IsConsumed, "Unless the stream ended, zlib asked for input until none was left.");
        if (finished)
        {
            // A BFINAL block ended the DEFLATE stream (RFC 7692 §7.2.3.4): the next message starts a new one, as other
            // implementations do (the peer finished its compressor, so nothing can refer back past it); the rest of
            // this message is ignored (see Inflate).
            _streamEndedInMessage = true;
            DropStream();
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Fails the connection over data that does not inflate. RFC 7692 §8 leaves the code open; 1007 ("data within a
    /// message that was not consistent with the type of the message", RFC 6455 §7.4.1) fits because the frames
    /// themselves are well-formed and it is the payload of a compressed message that is not valid for its type, as
    /// with invalid UTF-8 in a text message. Node's <c>ws</c> sends 1007 too.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowCorrupt() =>
        ThrowHelper.ThrowProtocolError(CloseCode.NotConsistent, "A compressed message is not valid DEFLATE data (RFC 7692 §7.2.2).");

    private void DropStream()
    {
        if (_stream is { } stream)
        {
            _stream = null;
            stream.Dispose();
        }
    }

    /// <summary>A read-only stream over one fragment's payload, then the flush marker when asked, then end of data.</summary>
    /// <remarks>
    /// Returning 0 does not latch in <see cref="DeflateStream"/>: the next message is fed through <see cref="Reset"/>
    /// and read by the same inflater, which is what keeps its window (context takeover).
    /// </remarks>
    private sealed class MessageInput : Stream
    {
        private ReadOnlyMemory<byte> _payload;
        private int _markerRemaining;

        /// <summary>How many times the inflater asked for input; tells "needs input" from "stream ended".</summary>
        public int ReadCount { get; private set; }

        public bool IsConsumed => _payload.IsEmpty && _markerRemaining == 0;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public void Reset(ReadOnlyMemory<byte> payload, bool appendMarker)
        {
            _payload = payload;
            _markerRemaining = appendMarker ? DeflateCodec.FlushMarker.Length : 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            ReadCount++;
            int count = Math.Min(buffer.Length, _payload.Length);
            _payload.Span[..count].CopyTo(buffer);
            _payload = _payload[count..];
            int total = count;
            if (_payload.IsEmpty && _markerRemaining > 0 && total < buffer.Length)
            {
                var marker = DeflateCodec.FlushMarker[^_markerRemaining..];
                int markerCount = Math.Min(buffer.Length - total, marker.Length);
                marker[..markerCount].CopyTo(buffer[total..]);
                _markerRemaining -= markerCount;
                total += markerCount;
            }

            return total;
        }

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
