using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Rx.WebSockets.Internal;

namespace Rx.WebSockets.Protocol;

/// <summary>
/// The read side of RFC 6455, sans I/O: turns received bytes into <see cref="Frame"/>s, one wire frame at a time,
/// and fails the connection (RFC 6455 §7.1.7) by throwing when the peer breaks the protocol.
/// </summary>
/// <remarks>
/// <para>
/// Frames are delivered as they arrive on the wire: a fragmented message yields its Text or Binary frame and then
/// <see cref="ContinuationFrame"/>s (no reassembly); control frames may come between them. Each frame owns a fresh
/// payload array (an empty payload shares the empty array), unmasked while it is copied out of the input, so
/// observers may keep it. Decoding a frame allocates that array and the frame object and nothing else (a Close
/// frame also allocates its reason).
/// </para>
/// <para>
/// Input contract. <see cref="TryDecode"/> consumes one whole frame or nothing. After
/// <see cref="OperationStatus.NeedMoreData"/> the caller must present the same unconsumed bytes again, followed
/// by whatever has arrived since — exactly what a <c>PipeReader</c> loop does with
/// <c>AdvanceTo(consumed: reader.Position, examined: buffer.End)</c>. The decoder relies on it: while a text frame
/// is incomplete it validates the payload bytes that are already there (so invalid UTF-8 fails the connection as
/// soon as it arrives, not when the frame ends) and remembers how far it got, so that the next call validates only
/// the new bytes and the work stays linear in the frame's length.
/// </para>
/// <para>
/// Rules enforced (each throws <see cref="WebSocketProtocolException"/> with the code shown, or
/// <see cref="FrameTooBigException"/> for 1009): masking direction (§5.1, 1002); RSV bits not claimed by an
/// extension (§5.2, 1002); reserved opcodes (§5.2, 1002); 64-bit length with its top bit set (§5.2, 1002);
/// fragmented or over-125-byte control frames (§5.5, 1002); continuation without a message, or a new message
/// inside one (§5.4, 1002); frame over <see cref="FrameLimits.MaxFrameSize"/> and message over
/// <see cref="FrameLimits.MaxMessageSize"/>, both known from the header before any payload is buffered (1009);
/// a 1-byte Close payload or a close code not valid on receive (§5.5.1, §7.4, 1002); invalid UTF-8 in a text
/// message or a close reason (§8.1, 1007). Ktor checks none of masking, RSV, UTF-8 or the 64-bit rule; we follow
/// the RFC instead. Frames after a Close frame are still decoded: stopping is the session's decision.
/// </para>
/// <para>
/// Thread-safety: none. A decoder has a single owner, the connection's read loop; its state (the open message,
/// the UTF-8 validator, the partial-frame bookmark) changes on every call. It never touches the write side.
/// </para>
/// </remarks>
public sealed class FrameDecoder
{
    // Unmasked text is validated in stack chunks of this size while a frame is incomplete; a multiple of 4 keeps
    // the masking key aligned from chunk to chunk (Masking.Apply also returns the offset, which is what we use).
    private const int ValidationChunkLength = 256;

    // The open data message (RFC 6455 §5.4): its first opcode, whether its first frame had RSV1 (compressed by an
    // extension), and the payload bytes of its complete fragments.
    private bool _messageOpen;
    private Opcode _messageOpcode;
    private bool _messageCompressed;
    private long _messageLength;

    // UTF-8 state at the end of the last complete fragment of the open text message.
    private Utf8Validator _messageUtf8;

    // Bookmark into an incomplete text frame: its header, how many payload bytes have been validated, and the
    // validator state after them. Valid only while the caller re-presents the same frame (see remarks).
    private bool _hasPending;
    private FrameHeader _pendingHeader;
    private long _pendingValidated;
    private Utf8Validator _pendingUtf8;

    /// <summary>Creates a decoder for one connection.</summary>
    /// <param name="side">Which end we are: a server requires masked frames, a client unmasked ones (RFC 6455 §5.1).</param>
    /// <param name="limits">The frame and message size limits.</param>
    /// <exception cref="ArgumentNullException"><paramref name="limits"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="side"/> is not a defined value.</exception>
    public FrameDecoder(Side side, FrameLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (side is not (Side.Server or Side.Client))
        {
            throw new ArgumentOutOfRangeException(nameof(side), side, "Unknown side.");
        }

        Side = side;
        Limits = limits;
    }

    /// <summary>Which end of the connection the decoder reads for.</summary>
    public Side Side { get; }

    /// <summary>The limits applied to received frames and messages.</summary>
    public FrameLimits Limits { get; }

    /// <summary>
    /// Whether a fragmented data message is open: its first frame had FIN = 0 and its final fragment has not been
    /// decoded yet. While it is, only continuation and control frames are accepted (RFC 6455 §5.4).
    /// </summary>
    public bool IsMessageInProgress => _messageOpen;

    /// <summary>
    /// Extension hook: when true, RSV1 may be set on the first frame of a Text or Binary message (RFC 7692 §6:
    /// permessage-deflate's "Per-Message Compressed" bit) and never elsewhere. A message flagged so is delivered
    /// with <see cref="Frame.Rsv1"/> set and its payload as received; the extension that inflates it is then
    /// responsible for UTF-8 validation and <see cref="FrameLimits.MaxMessageSize"/>, which only make sense on the
    /// inflated bytes. <see cref="FrameLimits.MaxFrameSize"/> still applies to each wire frame. Default false.
    /// </summary>
    public bool AllowRsv1OnFirstDataFrame { get; init; }

    /// <summary>Decodes the next frame, if the input holds all of it.</summary>
    /// <param name="input">
    /// The received bytes. On <see cref="OperationStatus.Done"/> it is advanced past the frame; on
    /// <see cref="OperationStatus.NeedMoreData"/> it is not moved, and the next call must present the same bytes
    /// again followed by any new ones.
    /// </param>
    /// <param name="frame">The decoded frame, or <see langword="null"/> when more data is needed.</param>
    /// <returns><see cref="OperationStatus.Done"/> or <see cref="OperationStatus.NeedMoreData"/>.</returns>
    /// <exception cref="FrameTooBigException">A frame or message exceeds <see cref="Limits"/> (close code 1009).</exception>
    /// <exception cref="WebSocketProtocolException">The peer violated RFC 6455; <see cref="WebSocketProtocolException.CloseCode"/> is 1002 or 1007.</exception>
    public OperationStatus TryDecode(ref SequenceReader<byte> input, out Frame? frame)
    {
        frame = null;
        var reader = input;
        if (FrameHeader.TryRead(ref reader, out var header) == OperationStatus.NeedMoreData)
        {
            return OperationStatus.NeedMoreData;
        }

        bool isText = CheckHeader(in header);
        if (reader.Remaining < header.PayloadLength)
        {
            if (isText)
            {
                ValidateArrivedText(reader, in header);
            }

            return OperationStatus.NeedMoreData;
        }

        var payload = ReadPayload(ref reader, in header);
        var opcode = header.Opcode;
        if (isText)
        {
            ValidateText(payload, in header);
        }
        else if (opcode == Opcode.Close)
        {
            CheckClosePayload(payload);
        }

        _hasPending = false;
        if (opcode.IsData())
        {
            if (opcode != Opcode.Continuation)
            {
                _messageOpcode = opcode;
                _messageCompressed = header.Rsv1;
                _messageLength = 0;
            }

            _messageOpen = !header.Fin;
            _messageLength = header.Fin ? 0 : _messageLength + payload.Length;
        }

        frame = Frame.Create(opcode, header.Fin, header.Rsv1, header.Rsv2, header.Rsv3, payload);
        input = reader;
        return OperationStatus.Done;
    }

    /// <summary>Applies every rule that the header alone decides, before any payload is buffered.</summary>
    /// <returns>Whether the payload is UTF-8 text that this decoder must validate.</returns>
    private bool CheckHeader(in FrameHeader header)
    {
        var opcode = header.Opcode;

        // RFC 6455 §5.2: "RSV1, RSV2, RSV3: 1 bit each. MUST be 0 unless an extension is negotiated that defines
        // meanings for non-zero values." RFC 7692 §6 gives RSV1 to permessage-deflate, on a message's first frame only.
        if (header.Rsv2 || header.Rsv3 || (header.Rsv1 && !(AllowRsv1OnFirstDataFrame && opcode is Opcode.Text or Opcode.Binary)))
        {
            ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "An RSV bit is set but no negotiated extension defines it (RFC 6455 §5.2).");
        }

        // RFC 6455 §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_."
        if (opcode.IsReserved())
        {
            ThrowReservedOpcode(opcode);
        }

        if (Side == Side.Server && !header.IsMasked)
        {
            // RFC 6455 §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
            ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "The client sent an unmasked frame (RFC 6455 §5.1).");
        }
        else if (Side == Side.Client && header.IsMasked)
        {
            // RFC 6455 §5.1: "A client MUST close a connection if it detects a masked frame."
            ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "The server sent a masked frame (RFC 6455 §5.1).");
        }

        if (opcode.IsControl())
        {
            // RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
            if (!header.Fin)
            {
                ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "A control frame is fragmented (RFC 6455 §5.5).");
            }

            if (header.PayloadLength > Frame.MaxControlPayloadLength)
            {
                ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "A control frame payload is longer than 125 bytes (RFC 6455 §5.5).");
            }

            CheckFrameSize(header.PayloadLength);
            return false;
        }

        bool compressed;
        bool text;
        long messageLengthSoFar;
        if (opcode == Opcode.Continuation)
        {
            // RFC 6455 §5.4: a fragmented message is "a single frame with the FIN bit clear and an opcode other than 0,
            // followed by zero or more frames with the FIN bit clear and the opcode set to 0, and terminated by a
            // single frame with the FIN bit set and an opcode of 0".
            if (!_messageOpen)
            {
                ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "A continuation frame arrived with no message to continue (RFC 6455 §5.4).");
            }

            compressed = _messageCompressed;
            text = _messageOpcode == Opcode.Text;
            messageLengthSoFar = _messageLength;
        }
        else
        {
            // RFC 6455 §5.4: "The fragments of one message MUST NOT be interleaved between the fragments of another message."
            if (_messageOpen)
            {
                ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "A new data frame arrived while a fragmented message was open (RFC 6455 §5.4).");
            }

            compressed = header.Rsv1;
            text = opcode == Opcode.Text;
            messageLengthSoFar = 0;
        }

        CheckFrameSize(header.PayloadLength, compressed);

        // A compressed message's size is checked by its extension after inflating (see AllowRsv1OnFirstDataFrame).
        if (!compressed && messageLengthSoFar + header.PayloadLength > Limits.MaxMessageSize)
        {
            ThrowHelper.ThrowTooBig(messageLengthSoFar + header.PayloadLength, Limits.MaxMessageSize);
        }

        return text && !compressed;
    }

    private void CheckFrameSize(long payloadLength, bool compressed = false)
    {
        // Rejected from the header: the payload is never buffered (RFC 6455 §10.4: "implementations SHOULD impose
        // a limit on frame sizes"). MaxFrameSize is at most int.MaxValue, so payload lengths fit an int past this.
        // A frame of a compressed message (RFC 7692) may be larger on the wire than the data it carries (incompressible
        // data costs deflate a few bytes per block), so it gets deflate's worst-case expansion of the limit; what it
        // inflates to is held to MaxMessageSize by the extension.
        long limit = compressed ? CompressedFrameLimit(Limits.MaxFrameSize) : Limits.MaxFrameSize;
        if (payloadLength > limit)
        {
            ThrowHelper.ThrowTooBig(payloadLength, limit);
        }
    }

    /// <summary>
    /// The wire-size limit of a compressed frame whose data may be <paramref name="maxFrameSize"/> bytes: zlib's
    /// conservative deflateBound (about 14% over), which holds for any compressor settings a peer may use — python's
    /// zlib, for one, expands 1 MiB of random bytes to 1,051,137, past the tight bound for default settings.
    /// </summary>
    internal static long CompressedFrameLimit(long maxFrameSize) =>
        Math.Min(FrameLimits.MaxSupportedSize, maxFrameSize + ((maxFrameSize + 7) >> 3) + ((maxFrameSize + 63) >> 6) + 5);

    /// <summary>Copies the payload out of the input into a fresh array, unmasking segment by segment.</summary>
    private static byte[] ReadPayload(ref SequenceReader<byte> reader, in FrameHeader header)
    {
        int length = (int)header.PayloadLength;
        if (length == 0)
        {
            return [];
        }

        // Every byte is overwritten below, so the array need not be zeroed first.
        var payload = GC.AllocateUninitializedArray<byte>(length);
        if (!header.IsMasked)
        {
            bool copied = reader.TryCopyTo(payload);
            Debug.Assert(copied, "The caller checked that the whole payload is available.");
            reader.Advance(length);
            return payload;
        }

        int written = 0;
        int maskOffset = 0;
        while (written < length)
        {
            var source = reader.UnreadSpan;
            int count = Math.Min(source.Length, length - written);
            Debug.Assert(count > 0, "The caller checked that the whole payload is available.");
            maskOffset = Masking.Apply(source[..count], payload.AsSpan(written), header.MaskKey, maskOffset);
            written += count;
            reader.Advance(count);
        }

        return payload;
    }

    /// <summary>Validates a complete text fragment, resuming after the bytes already validated while it was arriving.</summary>
    private void ValidateText(byte[] payload, in FrameHeader header)
    {
        var validator = ResumeText(in header, out long start);
        if (!validator.Advance(payload.AsSpan((int)start)))
        {
            ThrowInvalidUtf8InText();
        }

        // RFC 6455 §5.6: the text of a whole message is UTF-8; fragments may split a character, the final one may not.
        if (header.Fin && !validator.IsComplete)
        {
            ThrowHelper.ThrowProtocolError(CloseCode.NotConsistent, "A text message ends in the middle of a UTF-8 sequence (RFC 6455 §8.1).");
        }

        _messageUtf8 = header.Fin ? default : validator;
    }

    /// <summary>
    /// Validates the payload bytes of an incomplete text frame that have arrived so far, so that invalid UTF-8 fails
    /// the connection without waiting for the rest of the frame (a peer could announce 1 MiB and stall after the
    /// bad byte). Remembers where it stopped.
    /// </summary>
    /// <param name="reader">A copy of the input, positioned at the first payload byte; all of it is payload.</param>
    /// <param name="header">The frame's header.</param>
    private void ValidateArrivedText(SequenceReader<byte> reader, in FrameHeader header)
    {
        var validator = ResumeText(in header, out long start);
        long arrived = reader.Remaining;
        if (arrived <= start)
        {
            return;
        }

        reader.Advance(start);
        if (header.IsMasked)
        {
            Span<byte> chunk = stackalloc byte[ValidationChunkLength];
            int maskOffset = (int)(start & 3);
            while (!reader.End)
            {
                var source = reader.UnreadSpan;
                int count = Math.Min(source.Length, chunk.Length);
                maskOffset = Masking.Apply(source[..count], chunk, header.MaskKey, maskOffset);
                if (!validator.Advance(chunk[..count]))
                {
                    ThrowInvalidUtf8InText();
                }

                reader.Advance(count);
            }
        }
        else
        {
            while (!reader.End)
            {
                var source = reader.UnreadSpan;
                if (!validator.Advance(source))
                {
                    ThrowInvalidUtf8InText();
                }

                reader.Advance(source.Length);
            }
        }

        _hasPending = true;
        _pendingHeader = header;
        _pendingValidated = arrived;
        _pendingUtf8 = validator;
    }

    /// <summary>
    /// Where UTF-8 validation of a text frame resumes: after the payload bytes validated while this same frame was
    /// arriving, else at its first byte with the state the message's previous fragments left.
    /// </summary>
    /// <param name="header">The frame's header; a bookmark for any other frame does not apply.</param>
    /// <param name="validated">How many payload bytes are already validated.</param>
    /// <returns>The validator state after those bytes.</returns>
    private Utf8Validator ResumeText(in FrameHeader header, out long validated)
    {
        if (_hasPending && _pendingHeader == header)
        {
            validated = _pendingValidated;
            return _pendingUtf8;
        }

        validated = 0;
        return _messageUtf8;
    }

    private static void CheckClosePayload(byte[] payload)
    {
        // RFC 6455 §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer
        // (in network byte order) representing a status code" — so a body of one byte is malformed.
        if (payload.Length == 1)
        {
            ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "A Close frame has a 1-byte payload (RFC 6455 §5.5.1).");
        }

        if (payload.Length < 2)
        {
            return;
        }

        // RFC 6455 §7.4.1/§7.4.2: 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close control frame",
        // and codes outside the defined ranges are not valid either.
        var code = new CloseCode(BinaryPrimitives.ReadUInt16BigEndian(payload));
        if (!code.IsValidOnReceive)
        {
            ThrowInvalidCloseCode(code);
        }

        // RFC 6455 §5.5.1: "the data MAY contain a body ... The data is not guaranteed to be human readable", but
        // it is "UTF-8-encoded data", and §8.1 applies to it.
        if (!Utf8Validator.IsValid(payload.AsSpan(2)))
        {
            ThrowHelper.ThrowProtocolError(CloseCode.NotConsistent, "The Close frame reason is not valid UTF-8 (RFC 6455 §5.5.1, §8.1).");
        }
    }

    [DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowInvalidUtf8InText() =>
        ThrowHelper.ThrowProtocolError(CloseCode.NotConsistent, "A text message is not valid UTF-8 (RFC 6455 §8.1).");

    [DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowReservedOpcode(Opcode opcode) =>
        ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, $"Reserved opcode 0x{(byte)opcode:X} (RFC 6455 §5.2).");

    [DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowInvalidCloseCode(CloseCode code) =>
        ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, $"Close code {code.Value} is not valid in a Close frame (RFC 6455 §7.4).");
}
