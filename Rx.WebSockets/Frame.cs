using System.Buffers.Binary;
using System.Text;

namespace Rx.WebSockets;

/// <summary>
/// A WebSocket frame (RFC 6455 §5.2): an opcode, the FIN and RSV1–3 bits, and an application payload
/// (unmasked, and after any extension has decoded it).
/// </summary>
/// <remarks>
/// <para>
/// A frame owns its payload: frames produced by the decoder hold a fresh copy, so observers may keep them
/// (Buffer, Replay, ObserveOn). The factories do not copy the memory they are given; do not change it afterwards.
/// </para>
/// <para>
/// Frames compare by content — opcode, flags and payload bytes — so that virtual-time message lists
/// (<c>OnNext(300, Frame.Text("hi"))</c>) compare as expected. Frames are immutable and thread-safe.
/// </para>
/// </remarks>
public abstract class Frame : IEquatable<Frame>
{
    /// <summary>The largest payload of a control frame (RFC 6455 §5.5: "125 bytes or less").</summary>
    public const int MaxControlPayloadLength = 125;

    private const int PreviewLength = 24;

    private protected Frame(Opcode opcode, bool isFinal, bool rsv1, bool rsv2, bool rsv3, ReadOnlyMemory<byte> payload)
    {
        Opcode = opcode;
        IsFinal = isFinal;
        Rsv1 = rsv1;
        Rsv2 = rsv2;
        Rsv3 = rsv3;
        Payload = payload;
    }

    /// <summary>The frame's opcode.</summary>
    public Opcode Opcode { get; }

    /// <summary>FIN: whether this is the final fragment of a message. Always true for control frames.</summary>
    public bool IsFinal { get; }

    /// <summary>RSV1, reserved for extensions (permessage-deflate's "Per-Message Compressed" bit).</summary>
    public bool Rsv1 { get; }

    /// <summary>RSV2, reserved for extensions.</summary>
    public bool Rsv2 { get; }

    /// <summary>RSV3, reserved for extensions.</summary>
    public bool Rsv3 { get; }

    /// <summary>The application data, unmasked.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Whether this is a control frame (Close, Ping or Pong).</summary>
    public bool IsControl => Opcode.IsControl();

    /// <summary>Creates a text frame holding <paramref name="text"/> encoded as UTF-8.</summary>
    /// <param name="text">The text.</param>
    /// <param name="isFinal">False for the first fragment of a fragmented message.</param>
    /// <returns>The frame.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static TextFrame Text(string text, bool isFinal = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new TextFrame(Encoding.UTF8.GetBytes(text), isFinal, rsv1: false);
    }

    /// <summary>Creates a text frame from bytes that are already UTF-8 (not copied, not validated).</summary>
    /// <param name="utf8">The UTF-8 payload.</param>
    /// <param name="isFinal">False for the first fragment of a fragmented message.</param>
    /// <returns>The frame.</returns>
    public static TextFrame Text(ReadOnlyMemory<byte> utf8, bool isFinal = true) => new(utf8, isFinal, rsv1: false);

    /// <summary>Creates a binary frame (the memory is not copied).</summary>
    /// <param name="data">The payload.</param>
    /// <param name="isFinal">False for the first fragment of a fragmented message.</param>
    /// <returns>The frame.</returns>
    public static BinaryFrame Binary(ReadOnlyMemory<byte> data, bool isFinal = true) => new(data, isFinal, rsv1: false);

    /// <summary>Creates a continuation frame: a later fragment of a fragmented message (RFC 6455 §5.4).</summary>
    /// <param name="data">The fragment's payload (not copied).</param>
    /// <param name="isFinal">True for the last fragment.</param>
    /// <returns>The frame.</returns>
    public static ContinuationFrame Continuation(ReadOnlyMemory<byte> data, bool isFinal) => new(data, isFinal, rsv1: false);

    /// <summary>Creates a Ping frame (RFC 6455 §5.5.2).</summary>
    /// <param name="payload">Application data, at most 125 bytes (not copied).</param>
    /// <returns>The frame.</returns>
    /// <exception cref="ArgumentException">The payload is longer than 125 bytes.</exception>
    public static PingFrame Ping(ReadOnlyMemory<byte> payload = default) => new(CheckControlPayload(payload));

    /// <summary>Creates a Pong frame (RFC 6455 §5.5.3).</summary>
    /// <param name="payload">Application data, at most 125 bytes (not copied).</param>
    /// <returns>The frame.</returns>
    /// <exception cref="ArgumentException">The payload is longer than 125 bytes.</exception>
    public static PongFrame Pong(ReadOnlyMemory<byte> payload = default) => new(CheckControlPayload(payload));

    /// <summary>Creates a Close frame (RFC 6455 §5.5.1).</summary>
    /// <param name="reason">The reason to send, or <see langword="null"/> for an empty payload.</param>
    /// <returns>The frame.</returns>
    /// <exception cref="ArgumentException">The reason's code may not be sent on the wire (1005, 1006, 1015, or undefined).</exception>
    public static CloseFrame Close(CloseReason? reason = null)
    {
        if (reason is null)
        {
            return new CloseFrame(ReadOnlyMemory<byte>.Empty, null);
        }

        if (!reason.Code.IsSendable)
        {
            throw new ArgumentException($"Close code {reason.Code} must not be sent in a Close frame (RFC 6455 §7.4).", nameof(reason));
        }

        var payload = new byte[2 + Encoding.UTF8.GetByteCount(reason.Message)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, reason.Code.Value);
        Encoding.UTF8.GetBytes(reason.Message, payload.AsSpan(2));
        return new CloseFrame(payload, reason);
    }

    /// <summary>
    /// Creates the frame of the type that <paramref name="opcode"/> names, as a decoder does: no validation
    /// beyond what each type requires. A Close payload of two or more bytes is read as a code and a UTF-8
    /// message (invalid bytes become U+FFFD); validating it is the decoder's job.
    /// </summary>
    /// <param name="opcode">A defined opcode.</param>
    /// <param name="isFinal">FIN; must be true for control frames.</param>
    /// <param name="rsv1">RSV1.</param>
    /// <param name="rsv2">RSV2.</param>
    /// <param name="rsv3">RSV3.</param>
    /// <param name="payload">The unmasked payload, owned by the new frame.</param>
    /// <returns>The frame.</returns>
    /// <exception cref="ArgumentException">The opcode is reserved, or a control frame is not final, has RSV bits or is over 125 bytes.</exception>
    public static Frame Create(Opcode opcode, bool isFinal, bool rsv1, bool rsv2, bool rsv3, ReadOnlyMemory<byte> payload)
    {
        if (opcode.IsControl() && (!isFinal || rsv1 || rsv2 || rsv3))
        {
            throw new ArgumentException("A control frame must be final and have no RSV bits set.", nameof(opcode));
        }

        return opcode switch
        {
            Opcode.Text => new TextFrame(payload, isFinal, rsv1, rsv2, rsv3),
            Opcode.Binary => new BinaryFrame(payload, isFinal, rsv1, rsv2, rsv3),
            Opcode.Continuation => new ContinuationFrame(payload, isFinal, rsv1, rsv2, rsv3),
            Opcode.Ping => new PingFrame(CheckControlPayload(payload)),
            Opcode.Pong => new PongFrame(CheckControlPayload(payload)),
            Opcode.Close => new CloseFrame(CheckControlPayload(payload), ReadCloseReason(payload.Span)),
            _ => throw new ArgumentException($"Opcode 0x{(byte)opcode:X} is reserved.", nameof(opcode)),
        };
    }

    /// <inheritdoc/>
    public bool Equals(Frame? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (Opcode == other.Opcode && IsFinal == other.IsFinal && Rsv1 == other.Rsv1 && Rsv2 == other.Rsv2 && Rsv3 == other.Rsv3
                && Payload.Span.SequenceEqual(other.Payload.Span)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Frame other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Opcode);
        hash.Add(IsFinal);
        hash.Add(Rsv1);
        hash.Add(Payload.Length);
        hash.AddBytes(Payload.Span[..Math.Min(Payload.Length, 32)]);
        return hash.ToHashCode();
    }

    /// <summary>Shows the opcode, flags, length and a short preview: <c>Text(fin, 5 bytes: "Hello")</c>.</summary>
    /// <returns>The display form.</returns>
    public override string ToString()
    {
        var builder = new StringBuilder();
        builder.Append(Opcode).Append('(').Append(IsFinal ? "fin" : "more");
        if (Rsv1)
        {
            builder.Append(", rsv1");
        }

        if (Rsv2)
        {
            builder.Append(", rsv2");
        }

        if (Rsv3)
        {
            builder.Append(", rsv3");
        }

        builder.Append(", ").Append(Payload.Length).Append(Payload.Length == 1 ? " byte" : " bytes");
        if (Payload.Length > 0)
        {
            builder.Append(": ");
            AppendPreview(builder);
        }

        return builder.Append(')').ToString();
    }

    /// <summary>Appends a preview of the payload to a display string.</summary>
    /// <param name="builder">The builder.</param>
    private protected virtual void AppendPreview(StringBuilder builder)
    {
        var span = Payload.Span;
        int count = Math.Min(span.Length, PreviewLength);
        builder.Append(Convert.ToHexString(span[..count]));
        if (count < span.Length)
        {
            builder.Append('…');
        }
    }

    /// <summary>Appends a quoted text preview of a UTF-8 payload.</summary>
    /// <param name="builder">The builder.</param>
    private protected void AppendTextPreview(StringBuilder builder)
    {
        var span = Payload.Span;
        int count = Math.Min(span.Length, PreviewLength);
        builder.Append('"').Append(Encoding.UTF8.GetString(span[..count]).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        if (count < span.Length)
        {
            builder.Append('…');
        }
    }

    private static ReadOnlyMemory<byte> CheckControlPayload(ReadOnlyMemory<byte> payload)
    {
        if (payload.Length > MaxControlPayloadLength)
        {
            throw new ArgumentException(
                $"A control frame payload is at most {MaxControlPayloadLength} bytes (RFC 6455 §5.5); got {payload.Length}.", nameof(payload));
        }

        return payload;
    }

    private static CloseReason? ReadCloseReason(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2)
        {
            return null;
        }

        var code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        return CloseReason.Truncated(code, Encoding.UTF8.GetString(payload[2..]));
    }
}
