using System.Buffers;
using System.Linq;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Protocol;

/// <summary>
/// RFC 6455 §5.5.1 Close (an optional body: a 2-byte status code, then UTF-8 reason) and §7.4 Status Codes
/// (which codes may appear in a Close frame).
/// </summary>
public sealed class ClosePayloadTests
{
    [Fact]
    public void Decoder_CloseWithEmptyPayload_HasNoReason()
    {
        DecoderAssert.Decodes(Side.Client, "88 00", Frame.Close());
        DecoderAssert.Decodes(Side.Server, "88 80 37 FA 21 3D", Frame.Close());
    }

    [Fact]
    public void Decoder_CloseWithCodeOnly_ReadsCode()
    {
        DecoderAssert.Decodes(Side.Client, "88 02 03 E8", Frame.Close(CloseReason.Normal));
        var frame = Decode(Side.Client, "88 02 03 E8");
        Assert.Equal(CloseReason.Normal, frame.Reason);
    }

    [Fact]
    public void Decoder_MaskedCloseWithReason_ReadsCodeAndReason()
    {
        var wire = DecoderAssert.FromClient(Opcode.Close, Hex.Parse("03 E9 62 79 65"));
        var expected = Frame.Close(new CloseReason(CloseCode.GoingAway, "bye"));
        DecoderAssert.Decodes(Side.Server, DecoderAssert.Unlimited, wire, expected);
    }

    [Fact]
    public void Decoder_CloseWithMultiByteReasonOf123Bytes_IsAccepted()
    {
        // 41 × "€" = 123 bytes: the longest reason a control frame can carry.
        string reason = string.Concat(Enumerable.Repeat("€", 41));
        var expected = Frame.Close(new CloseReason(CloseCode.InternalError, reason));
        Assert.Equal(125, expected.Payload.Length);
        DecoderAssert.Decodes(Side.Client, DecoderAssert.Unlimited, DecoderAssert.Wire(Opcode.Close, expected.Payload.Span), expected);
    }

    [Fact]
    public void Decoder_CloseWithOneBytePayload_Throws1002() =>
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse("88 01 03"), CloseCode.ProtocolError);

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)] // reserved
    [InlineData(1005)] // "MUST NOT be set as a status code in a Close control frame"
    [InlineData(1006)] // idem
    [InlineData(1015)] // idem
    [InlineData(1016)]
    [InlineData(1100)]
    [InlineData(2000)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public void Decoder_CloseCodeNotValidOnReceive_Throws1002(int code)
    {
        var payload = new[] { (byte)(code >> 8), (byte)code };
        DecoderAssert.FailsConnection(Side.Client, DecoderAssert.Wire(Opcode.Close, payload), CloseCode.ProtocolError);
        DecoderAssert.FailsConnection(Side.Server, DecoderAssert.FromClient(Opcode.Close, payload), CloseCode.ProtocolError);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1002)]
    [InlineData(1003)]
    [InlineData(1007)]
    [InlineData(1008)]
    [InlineData(1009)]
    [InlineData(1010)]
    [InlineData(1011)]
    [InlineData(1012)]
    [InlineData(1013)]
    [InlineData(1014)]
    [InlineData(3000)]
    [InlineData(3999)]
    [InlineData(4000)]
    [InlineData(4999)]
    public void Decoder_CloseCodeValidOnReceive_IsDelivered(int code)
    {
        var payload = new[] { (byte)(code >> 8), (byte)code, (byte)'o', (byte)'k' };
        var expected = Frame.Close(new CloseReason((ushort)code, "ok"));
        var wire = DecoderAssert.Wire(Opcode.Close, payload);
        DecoderAssert.Decodes(Side.Client, DecoderAssert.Unlimited, wire, expected);
        Assert.Equal(new CloseReason((ushort)code, "ok"), Decode(Side.Client, Hex.Format(wire)).Reason);
    }

    [Theory]
    [InlineData("03 E8 C0 80")] // overlong
    [InlineData("03 E8 ED A0 80")] // surrogate
    [InlineData("03 E8 61 CE")] // truncated at the end of the frame
    [InlineData("03 E8 FF")]
    [InlineData("03 E8 CE BA E1 BD B9 CF 83 CE BC CE B5 ED A0 80 65 64 69 74 65 64")]
    public void Decoder_CloseReasonNotValidUtf8_Throws1007(string hex)
    {
        var payload = Hex.Parse(hex);
        DecoderAssert.FailsConnection(Side.Client, DecoderAssert.Wire(Opcode.Close, payload), CloseCode.NotConsistent);
        DecoderAssert.FailsConnection(Side.Server, DecoderAssert.FromClient(Opcode.Close, payload), CloseCode.NotConsistent);
    }

    [Fact]
    public void Decoder_CloseBetweenFragments_IsDeliveredAndLeavesMessageOpen() =>
        // RFC 6455 §5.4: control frames may be injected in the middle of a fragmented message; ending the read is the session's call.
        DecoderAssert.Decodes(
            Side.Client,
            "01 01 48 88 02 03 E8 80 01 69",
            Frame.Text("H", isFinal: false), Frame.Close(CloseReason.Normal), Frame.Continuation("i"u8.ToArray(), isFinal: true));

    private static CloseFrame Decode(Side side, string hex)
    {
        var decoder = new FrameDecoder(side, FrameLimits.Default);
        var frames = DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(Hex.Parse(hex)), out _);
        return Assert.IsType<CloseFrame>(Assert.Single(frames));
    }
}
