using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Rx.WebSockets.Protocol;

/// <summary>
/// The write side of RFC 6455 framing (§5.2): turns <see cref="Frame"/>s into wire bytes in an
/// <see cref="IBufferWriter{T}"/>, masking them when this end is a client (§5.3) and keeping outgoing
/// fragments in order (§5.4).
/// </summary>
/// <remarks>
/// <para>
/// The encoder writes frames as given: the opcode, FIN and RSV1–3 bits come from the frame (extensions set the RSV
/// bits before the frame gets here), the length uses the minimal encoding, and the payload is copied — XORed with
/// a fresh masking key when masking — straight into the output. <see cref="Encode"/> allocates nothing.
/// </para>
/// <para>
/// Unlike Ktor's serializer, which rewrites later Text/Binary fragments into continuations, the encoder expects
/// the caller to send <see cref="ContinuationFrame"/>s (see <see cref="Fragmentation.Fragment"/>) and refuses an
/// out-of-order frame instead of guessing.
/// </para>
/// <para>
/// Thread-safety: not thread-safe. An encoder belongs to one writer (the session's write loop); its calls must not
/// overlap. The fragmentation state is the only state it keeps.
/// </para>
/// </remarks>
public sealed class FrameEncoder
{
    // A frame up to this size is written with one GetSpan/Advance of exactly its size. Larger ones go out in
    // pieces: PipeWriters lend blocks of a few KiB and serve a bigger size hint from ArrayPool<byte>.Shared, and
    // asking for one contiguous multi-megabyte span invites an unpooled allocation of that size.
    private const int MaxSingleWriteLength = 1024 * 1024;

    // Size hint for each piece of a larger frame; always far more than a header, so the header and the first
    // payload bytes share the first piece.
    private const int PieceSizeHint = 64 * 1024;

    private readonly IMaskKeySource? _maskKeySource;
    private bool _isMessageInProgress;

    /// <summary>Creates an encoder for one end of a connection, masking as RFC 6455 §5.1 requires of that end.</summary>
    /// <param name="side">
    /// <see cref="Side.Client"/> masks every frame with a fresh key (RFC 6455 §5.3); <see cref="Side.Server"/> masks none.
    /// </param>
    /// <param name="maskKeySource">
    /// Where masking keys come from; defaults to a new <see cref="RandomMaskKeySource"/>. Ignored by a server encoder.
    /// </param>
    public FrameEncoder(Side side, IMaskKeySource? maskKeySource = null)
        : this(side, side == Side.Client, maskKeySource)
    {
    }

    /// <summary>Creates an encoder with masking chosen explicitly (Ktor's <c>masking</c> option for servers).</summary>
    /// <param name="side">The end this encoder writes for.</param>
    /// <param name="mask">
    /// Whether to mask every frame. Must be true for a client. True for a server breaks RFC 6455 §5.1 ("A server
    /// MUST NOT mask any frames that it sends to the client") and conforming clients will fail the connection; it
    /// exists for parity with Ktor and for building test input.
    /// </param>
    /// <param name="maskKeySource">Where masking keys come from when masking; defaults to a new <see cref="RandomMaskKeySource"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="side"/> is not a defined <see cref="Side"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="side"/> is <see cref="Side.Client"/> and <paramref name="mask"/> is false.</exception>
    public FrameEncoder(Side side, bool mask, IMaskKeySource? maskKeySource)
    {
        if (side is not (Side.Client or Side.Server))
        {
            throw new ArgumentOutOfRangeException(nameof(side), side, "Unknown side.");
        }

        // RFC 6455 §5.1: "a client MUST mask all frames that it sends to the server".
        if (side == Side.Client && !mask)
        {
            throw new ArgumentException("A client must mask every frame it sends (RFC 6455 §5.1).", nameof(mask));
        }

        Side = side;
        IsMasking = mask;
        _maskKeySource = mask ? maskKeySource ?? new RandomMaskKeySource() : null;
    }

    /// <summary>The end of the connection this encoder writes for.</summary>
    public Side Side { get; }

    /// <summary>Whether every frame is masked: always for a client, for a server only when asked.</summary>
    public bool IsMasking { get; }

    /// <summary>
    /// Whether a fragmented outgoing message is open: a Text or Binary frame without FIN was encoded and the final
    /// continuation has not been. Only continuations and control frames are accepted meanwhile.
    /// </summary>
    public bool IsMessageInProgress => _isMessageInProgress;

    /// <summary>The number of wire bytes of <paramref name="frame"/>: header (with masking key if masked) plus payload.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="masked">Whether the frame would be masked.</param>
    /// <returns>The encoded length.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="frame"/> is null.</exception>
    public static long GetEncodedLength(Frame frame, bool masked)
    {
        ArgumentNullException.ThrowIfNull(frame);
        int payloadLength = frame.Payload.Length;
        return FrameHeader.GetHeaderLength(payloadLength, masked) + (long)payloadLength;
    }

    /// <summary>
    /// Writes the wire bytes of <paramref name="frame"/> (header, then the payload, masked if this encoder masks)
    /// into <paramref name="output"/>. A frame of up to 1 MiB takes exactly one <c>GetSpan</c> of its encoded
    /// length and one <c>Advance</c>; a larger one is written in pieces of about 64 KiB.
    /// </summary>
    /// <param name="frame">The frame to send.</param>
    /// <param name="output">Where the bytes go; nothing is flushed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="frame"/> or <paramref name="output"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The frame would break the order of fragments (RFC 6455 §5.4): a continuation with no fragmented message
    /// open, or a Text/Binary frame while one is open. Nothing is written and the state is unchanged.
    /// </exception>
    /// <remarks>
    /// If <paramref name="output"/> throws, part of the frame may have been committed and the state is unchanged;
    /// the connection cannot be used any more.
    /// </remarks>
    public void Encode(Frame frame, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(output);

        // Decided before anything is written, committed only once the frame is out.
        bool isMessageInProgress = NextMessageState(frame);

        ReadOnlySpan<byte> payload = frame.Payload.Span;
        bool masked = IsMasking;
        Debug.Assert(!frame.IsControl || (frame.IsFinal && payload.Length <= Frame.MaxControlPayloadLength), "Control frames are final and at most 125 bytes by construction.");

        // RFC 6455 §5.3: "When preparing a masked frame, the client MUST pick a fresh masking key from the set
        // of allowed 32-bit values."
        uint maskKey = masked ? _maskKeySource!.NextMaskKey() : 0;
        var header = new FrameHeader(frame.IsFinal, frame.Rsv1, frame.Rsv2, frame.Rsv3, frame.Opcode, masked, payload.Length, maskKey);
        int headerLength = header.HeaderLength;
        long frameLength = headerLength + (long)payload.Length;

        if (frameLength <= MaxSingleWriteLength)
        {
            int length = (int)frameLength;
            Span<byte> destination = output.GetSpan(length)[..length];
            header.Write(destination);
            CopyPayload(payload, destination[headerLength..], masked, maskKey, 0);
            output.Advance(length);
        }
        else
        {
            WriteInPieces(in header, payload, output);
        }

        _isMessageInProgress = isMessageInProgress;
    }

    private static int CopyPayload(ReadOnlySpan<byte> source, Span<byte> destination, bool masked, uint maskKey, int maskOffset)
    {
        if (masked)
        {
            return Masking.Apply(source, destination, maskKey, maskOffset);
        }

        source.CopyTo(destination);
        return 0;
    }

    [DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowOutOfOrder(string message) => throw new InvalidOperationException(message);

    private static void WriteInPieces(in FrameHeader header, ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        Span<byte> span = output.GetSpan(PieceSizeHint);
        int used = header.Write(span);
        bool masked = header.IsMasked;
        uint maskKey = header.MaskKey;
        int maskOffset = 0;
        while (true)
        {
            // Fill whatever the writer lent, which may be more than was asked for; the masking key
            // resumes at the right octet in the next piece.
            int count = Math.Min(payload.Length, span.Length - used);
            maskOffset = CopyPayload(payload[..count], span.Slice(used, count), masked, maskKey, maskOffset);
            output.Advance(used + count);
            payload = payload[count..];
            if (payload.IsEmpty)
            {
                return;
            }

            span = output.GetSpan(Math.Min(payload.Length, PieceSizeHint));
            used = 0;
        }
    }

    /// <summary>Checks <paramref name="frame"/> against the fragmentation order and returns the state after it.</summary>
    private bool NextMessageState(Frame frame)
    {
        switch (frame.Opcode)
        {
            case Opcode.Continuation:
                // RFC 6455 §5.4: a fragmented message is "a single frame with the FIN bit clear and an opcode
                // other than 0, followed by zero or more frames with the FIN bit clear and the opcode set to 0,
                // and terminated by a single frame with the FIN bit set and an opcode of 0".
                if (!_isMessageInProgress)
                {
                    ThrowOutOfOrder("A continuation frame needs an open fragmented message; send a Text or Binary frame with IsFinal = false first (RFC 6455 §5.4).");
                }

                return !frame.IsFinal;

            case Opcode.Text:
            case Opcode.Binary:
                // RFC 6455 §5.4: "The fragments of one message MUST NOT be interleaved between the fragments of
                // another message unless an extension has been negotiated that can interpret the interleaving."
                if (_isMessageInProgress)
                {
                    ThrowOutOfOrder("A fragmented message is open; finish it with a final continuation frame before starting another message (RFC 6455 §5.4).");
                }

                return !frame.IsFinal;

            default:
                // RFC 6455 §5.4: "Control frames (see Section 5.5) MAY be injected in the middle of a fragmented
                // message."
                Debug.Assert(frame.IsControl, $"Unexpected opcode {frame.Opcode}.");
                return _isMessageInProgress;
        }
    }
}
