using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Rx.WebSockets.Internal;

namespace Rx.WebSockets.Protocol;

/// <summary>
/// The fixed part of a WebSocket frame (RFC 6455 §5.2): FIN, RSV1–3, opcode, MASK, payload length and masking key.
/// </summary>
/// <remarks>
/// <para>Wire layout (RFC 6455 §5.2), most significant bit first, network byte order:</para>
/// <code>
///  byte 0                byte 1                bytes 2..             then
///  +---+---+---+---+-------+---+-------------+---------------------+-----------------+
///  |FIN|RSV|RSV|RSV|opcode |MASK| length (7) | extended length     | masking key     |
///  |   | 1 | 2 | 3 | (4)   |   |  0..127     | 0, 2 or 8 bytes     | 0 or 4 bytes    |
///  +---+---+---+---+-------+---+-------------+---------------------+-----------------+
///  length 0–125: that is the payload length; 126: a 16-bit length follows; 127: a 64-bit length
///  follows whose most significant bit MUST be 0. The key is present only when MASK is 1.
///  So a header is 2 + {0, 2, 8} + {0, 4} bytes: 2 to 14.
/// </code>
/// <para>
/// <see cref="TryRead"/> is a syntax reader only. It rejects the one thing that cannot be represented (a 64-bit
/// length with its most significant bit set, RFC 6455 §5.2, close code 1002) and nothing else: RSV bits,
/// reserved opcodes, masking direction, control-frame rules and limits depend on the negotiated extensions,
/// the side and the message state, so <see cref="FrameDecoder"/> checks them. Like python-websockets and the
/// .NET runtime, it accepts a length written in more bytes than needed (the minimal-encoding MUST of §5.2 binds
/// the sender); <see cref="HeaderLength"/> then tells how many bytes were actually read.
/// </para>
/// <para>Thread-safety: an immutable value.</para>
/// </remarks>
public readonly struct FrameHeader : IEquatable<FrameHeader>
{
    /// <summary>The shortest header: two bytes (unmasked, payload of at most 125 bytes).</summary>
    public const int MinLength = 2;

    /// <summary>The longest header: 2 + 8 (64-bit length) + 4 (masking key) = 14 bytes.</summary>
    public const int MaxLength = 14;

    private const byte FinBit = 0x80;
    private const byte Rsv1Bit = 0x40;
    private const byte Rsv2Bit = 0x20;
    private const byte Rsv3Bit = 0x10;
    private const byte OpcodeBits = 0x0F;
    private const byte MaskBit = 0x80;
    private const byte LengthBits = 0x7F;
    private const byte MaxSevenBitLength = 125;
    private const byte SixteenBitLengthMarker = 126;
    private const byte SixtyFourBitLengthMarker = 127;
    private const int MaskKeyLength = 4;

    /// <summary>Creates a header; <see cref="HeaderLength"/> is the minimal encoding's length.</summary>
    /// <param name="fin">FIN: this is the final fragment of a message.</param>
    /// <param name="rsv1">RSV1.</param>
    /// <param name="rsv2">RSV2.</param>
    /// <param name="rsv3">RSV3.</param>
    /// <param name="opcode">The opcode; any 4-bit value, reserved ones included (to build invalid frames in tests).</param>
    /// <param name="isMasked">MASK: a masking key follows the length.</param>
    /// <param name="payloadLength">The payload length, 0 to <see cref="long.MaxValue"/>.</param>
    /// <param name="maskKey">The masking key as <see cref="Masking.ReadMaskKey"/> returns it; must be 0 when <paramref name="isMasked"/> is false.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="opcode"/> does not fit in 4 bits, or <paramref name="payloadLength"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="maskKey"/> is not 0 on an unmasked header.</exception>
    public FrameHeader(bool fin, bool rsv1, bool rsv2, bool rsv3, Opcode opcode, bool isMasked, long payloadLength, uint maskKey)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((byte)opcode, OpcodeBits, nameof(opcode));
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        if (!isMasked && maskKey != 0)
        {
            throw new ArgumentException("An unmasked header has no masking key.", nameof(maskKey));
        }

        Fin = fin;
        Rsv1 = rsv1;
        Rsv2 = rsv2;
        Rsv3 = rsv3;
        Opcode = opcode;
        IsMasked = isMasked;
        PayloadLength = payloadLength;
        MaskKey = maskKey;
        HeaderLength = GetHeaderLength(payloadLength, isMasked);
    }

    private FrameHeader(byte byte0, bool isMasked, long payloadLength, uint maskKey, int headerLength)
    {
        Fin = (byte0 & FinBit) != 0;
        Rsv1 = (byte0 & Rsv1Bit) != 0;
        Rsv2 = (byte0 & Rsv2Bit) != 0;
        Rsv3 = (byte0 & Rsv3Bit) != 0;
        Opcode = (Opcode)(byte0 & OpcodeBits);
        IsMasked = isMasked;
        PayloadLength = payloadLength;
        MaskKey = maskKey;
        HeaderLength = headerLength;
    }

    /// <summary>FIN: whether this is the final fragment of a message.</summary>
    public bool Fin { get; }

    /// <summary>RSV1 (permessage-deflate's "compressed" bit when that extension is negotiated).</summary>
    public bool Rsv1 { get; }

    /// <summary>RSV2.</summary>
    public bool Rsv2 { get; }

    /// <summary>RSV3.</summary>
    public bool Rsv3 { get; }

    /// <summary>The opcode; may be a reserved value (the decoder rejects those).</summary>
    public Opcode Opcode { get; }

    /// <summary>MASK: whether the payload is masked with <see cref="MaskKey"/>.</summary>
    public bool IsMasked { get; }

    /// <summary>The payload length in bytes (never negative).</summary>
    public long PayloadLength { get; }

    /// <summary>The masking key as <see cref="Masking.ReadMaskKey"/> returns it; 0 when <see cref="IsMasked"/> is false.</summary>
    public uint MaskKey { get; }

    /// <summary>
    /// The header's length in bytes, 2 to 14: as read from the wire for a header from <see cref="TryRead"/>,
    /// the minimal encoding's length otherwise (0 for <c>default(FrameHeader)</c>).
    /// </summary>
    public int HeaderLength { get; }

    /// <summary>The length of a header with minimal length encoding (RFC 6455 §5.2).</summary>
    /// <param name="payloadLength">The payload length.</param>
    /// <param name="masked">Whether a masking key is included.</param>
    /// <returns>2, 4 or 10 bytes, plus 4 when masked.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="payloadLength"/> is negative.</exception>
    public static int GetHeaderLength(long payloadLength, bool masked)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        int length = payloadLength <= MaxSevenBitLength ? MinLength
            : payloadLength <= ushort.MaxValue ? MinLength + sizeof(ushort)
            : MinLength + sizeof(ulong);
        return masked ? length + MaskKeyLength : length;
    }

    /// <summary>
    /// Reads a header. On <see cref="OperationStatus.Done"/> the reader is advanced past the header (to the first
    /// payload byte); on <see cref="OperationStatus.NeedMoreData"/> it is not moved.
    /// </summary>
    /// <param name="reader">The input; the header may straddle any number of segments.</param>
    /// <param name="header">The header read, or <c>default</c> when more data is needed.</param>
    /// <returns><see cref="OperationStatus.Done"/> or <see cref="OperationStatus.NeedMoreData"/>.</returns>
    /// <exception cref="WebSocketProtocolException">A 64-bit payload length has its most significant bit set (close code 1002).</exception>
    public static OperationStatus TryRead(ref SequenceReader<byte> reader, out FrameHeader header)
    {
        var status = Parse(reader.UnreadSpan, out header);
        if (status == OperationStatus.NeedMoreData && reader.Remaining > reader.UnreadSpan.Length)
        {
            // The header straddles segments: gather at most one header's worth into the stack and parse that.
            Span<byte> gathered = stackalloc byte[MaxLength];
            int count = (int)Math.Min(reader.Remaining, MaxLength);
            reader.TryCopyTo(gathered[..count]);
            status = Parse(gathered[..count], out header);
        }

        if (status == OperationStatus.Done)
        {
            reader.Advance(header.HeaderLength);
        }

        return status;
    }

    /// <summary>Writes the header with minimal length encoding, including the masking key when <see cref="IsMasked"/>.</summary>
    /// <param name="destination">At least <see cref="GetHeaderLength"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public int Write(Span<byte> destination)
    {
        int length = GetHeaderLength(PayloadLength, IsMasked);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The header needs {length} bytes; the destination has {destination.Length}.", nameof(destination));
        }

        // RFC 6455 §5.2: RSV1–3 "MUST be 0 unless an extension is negotiated that defines meanings for non-zero
        // values" — that is the extension's decision, taken before the header is built, so they go out as given.
        destination[0] = (byte)((Fin ? FinBit : 0) | (Rsv1 ? Rsv1Bit : 0) | (Rsv2 ? Rsv2Bit : 0) | (Rsv3 ? Rsv3Bit : 0) | (byte)Opcode);
        byte maskBit = IsMasked ? MaskBit : (byte)0;
        int written = MinLength;

        // RFC 6455 §5.2: "in all cases, the minimal number of bytes MUST be used to encode the length".
        if (PayloadLength <= MaxSevenBitLength)
        {
            destination[1] = (byte)(maskBit | (byte)PayloadLength);
        }
        else if (PayloadLength <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | SixteenBitLengthMarker);
            BinaryPrimitives.WriteUInt16BigEndian(destination[written..], (ushort)PayloadLength);
            written += sizeof(ushort);
        }
        else
        {
            // The most significant bit "MUST be 0": PayloadLength is never negative, so it is clear.
            destination[1] = (byte)(maskBit | SixtyFourBitLengthMarker);
            BinaryPrimitives.WriteUInt64BigEndian(destination[written..], (ulong)PayloadLength);
            written += sizeof(ulong);
        }

        if (IsMasked)
        {
            Masking.WriteMaskKey(MaskKey, destination[written..]);
            written += MaskKeyLength;
        }

        return written;
    }

    /// <inheritdoc/>
    public bool Equals(FrameHeader other) =>
        Fin == other.Fin && Rsv1 == other.Rsv1 && Rsv2 == other.Rsv2 && Rsv3 == other.Rsv3 && Opcode == other.Opcode
        && IsMasked == other.IsMasked && PayloadLength == other.PayloadLength && MaskKey == other.MaskKey
        && HeaderLength == other.HeaderLength;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is FrameHeader other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Fin, Rsv1, Rsv2, Rsv3, Opcode, IsMasked, PayloadLength, MaskKey);

    /// <summary>Whether two headers have the same fields.</summary>
    /// <param name="left">A header.</param>
    /// <param name="right">Another header.</param>
    /// <returns><see langword="true"/> when every field, the header length included, is equal.</returns>
    public static bool operator ==(FrameHeader left, FrameHeader right) => left.Equals(right);

    /// <summary>Whether two headers differ in any field.</summary>
    /// <param name="left">A header.</param>
    /// <param name="right">Another header.</param>
    /// <returns><see langword="true"/> when any field differs.</returns>
    public static bool operator !=(FrameHeader left, FrameHeader right) => !left.Equals(right);

    /// <summary>Shows the fields: <c>Text fin rsv1 masked(37FA213D) 5 bytes, header 6</c> (the key in wire order).</summary>
    /// <returns>The display form.</returns>
    public override string ToString() =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{Opcode} {(Fin ? "fin" : "more")}{(Rsv1 ? " rsv1" : "")}{(Rsv2 ? " rsv2" : "")}{(Rsv3 ? " rsv3" : "")}{(IsMasked ? $" masked({BinaryPrimitives.ReverseEndianness(MaskKey):X8})" : "")} {PayloadLength} bytes, header {HeaderLength}");

    private static OperationStatus Parse(ReadOnlySpan<byte> span, out FrameHeader header)
    {
        header = default;
        if (span.Length < MinLength)
        {
            return OperationStatus.NeedMoreData;
        }

        byte byte1 = span[1];
        bool isMasked = (byte1 & MaskBit) != 0;
        int lengthCode = byte1 & LengthBits;
        int lengthBytes = lengthCode switch
        {
            SixteenBitLengthMarker => sizeof(ushort),
            SixtyFourBitLengthMarker => sizeof(ulong),
            _ => 0,
        };

        // RFC 6455 §5.2: "If 127, the following 8 bytes interpreted as a 64-bit unsigned integer (the most
        // significant bit MUST be 0)". Checked on the first length byte, so a bad length fails before the rest arrives.
        if (lengthBytes == sizeof(ulong) && span.Length > MinLength && (span[MinLength] & 0x80) != 0)
        {
            ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "The 64-bit payload length has its most significant bit set (RFC 6455 §5.2).");
        }

        int headerLength = MinLength + lengthBytes + (isMasked ? MaskKeyLength : 0);
        if (span.Length < headerLength)
        {
            return OperationStatus.NeedMoreData;
        }

        long payloadLength = lengthBytes switch
        {
            sizeof(ushort) => BinaryPrimitives.ReadUInt16BigEndian(span[MinLength..]),
            sizeof(ulong) => (long)BinaryPrimitives.ReadUInt64BigEndian(span[MinLength..]),
            _ => lengthCode,
        };

        uint maskKey = isMasked ? Masking.ReadMaskKey(span.Slice(MinLength + lengthBytes, MaskKeyLength)) : 0;
        header = new FrameHeader(span[0], isMasked, payloadLength, maskKey, headerLength);
        return OperationStatus.Done;
    }
}
