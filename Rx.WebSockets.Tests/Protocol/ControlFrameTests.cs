using System.Buffers;
using System.Linq;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Protocol;

/// <summary>
/// RFC 6455 §5.5 Control Frames: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT
/// be fragmented", and they "MAY be injected in the middle of a fragmented message" (§5.4).
/// </summary>
public sealed class ControlFrameTests
{
    [Theory]
    [InlineData(Opcode.Ping)]
    [InlineData(Opcode.Pong)]
    [InlineData(Opcode.Close)]
    public void Decoder_ControlFrameWith125BytePayload_IsAccepted(Opcode opcode)
    {
        // A Close payload must be a valid code plus UTF-8, so use one for all three.
        var payload = DecoderAssert.Concat(Hex.Parse("03 E8"), Enumerable.Repeat((byte)'x', 123).ToArray());
        var expected = Frame.Create(opcode, true, false, false, false, payload);
        DecoderAssert.Decodes(Side.Server, DecoderAssert.Unlimited, DecoderAssert.FromClient(opcode, payload), expected);
    }

    [Theory]
    [InlineData("89 7E 00 7E")] // Ping, 126 bytes
    [InlineData("8A 7E 00 7E")] // Pong, 126 bytes
    [InlineData("88 7E 00 7E")] // Close, 126 bytes
    [InlineData("89 7F 00 00 00 00 00 01 00 00")] // Ping, 64 KiB
    public void Decoder_ControlFramePayloadOver125Bytes_Throws1002FromHeader(string hex) =>
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse(hex), CloseCode.ProtocolError);

    [Fact]
    public void Decoder_ControlFrameWithNonMinimalLengthEncoding_IsJudgedByItsLength() =>
        // 5 bytes written in the 16-bit form: §5.5 limits the payload length, not the encoding (see FrameHeader remarks).
        DecoderAssert.Decodes(Side.Client, "89 7E 00 05 01 02 03 04 05", Frame.Ping(new byte[] { 1, 2, 3, 4, 5 }));

    [Fact]
    public void Decoder_ControlFrame126BytesFullyArrived_Throws1002()
    {
        var wire = DecoderAssert.Concat(Hex.Parse("89 7E 00 7E"), new byte[126]);
        DecoderAssert.FailsConnection(Side.Client, wire, CloseCode.ProtocolError);
    }

    [Theory]
    [InlineData("09 00")] // Ping without FIN
    [InlineData("0A 00")] // Pong without FIN
    [InlineData("08 02 03 E8")] // Close without FIN
    [InlineData("01 01 48 09 00")] // Ping without FIN inside a fragmented message
    public void Decoder_FragmentedControlFrame_Throws1002(string hex) =>
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse(hex), CloseCode.ProtocolError);

    [Fact]
    public void Decoder_ControlFramesBetweenFragments_AreDeliveredInWireOrder() =>
        DecoderAssert.Decodes(
            Side.Client,
            "01 03 48 65 6c 89 02 70 31 8A 00 00 01 6c 89 00 80 01 6f",
            Frame.Text("Hel", isFinal: false),
            Frame.Ping("p1"u8.ToArray()),
            Frame.Pong(),
            Frame.Continuation("l"u8.ToArray(), isFinal: false),
            Frame.Ping(),
            Frame.Continuation("o"u8.ToArray(), isFinal: true));

    [Fact]
    public void Decoder_ControlFrameBetweenFragments_LeavesMessageOpen()
    {
        var decoder = new FrameDecoder(Side.Client, FrameLimits.Default);
        var frames = DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(Hex.Parse("01 01 48 89 00")), out _);
        Assert.Equal(2, frames.Count);
        Assert.True(decoder.IsMessageInProgress);

        DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(Hex.Parse("80 01 69")), out _);
        Assert.False(decoder.IsMessageInProgress);
    }

    [Fact]
    public void Decoder_ControlFramesBetweenFragments_DoNotCountTowardsMessageSize()
    {
        var limits = new FrameLimits { MaxFrameSize = 125, MaxMessageSize = 4 };
        var wire = DecoderAssert.Concat(
            Hex.Parse("02 02 01 02"), DecoderAssert.Wire(Opcode.Ping, new byte[125]), Hex.Parse("80 02 03 04"));
        DecoderAssert.Decodes(
            Side.Client, limits, wire,
            Frame.Binary(new byte[] { 1, 2 }, isFinal: false), Frame.Ping(new byte[125]), Frame.Continuation(new byte[] { 3, 4 }, isFinal: true));
    }

    [Fact]
    public void Decoder_ControlFrameBetweenTextFragments_KeepsUtf8StateOfMessage()
    {
        // "€" = E2 82 AC split around a Ping whose payload (FF) is not UTF-8 and must not disturb the text's validator.
        DecoderAssert.Decodes(
            Side.Client,
            "01 02 61 E2 89 01 FF 80 02 82 AC",
            Frame.Create(Opcode.Text, false, false, false, false, Hex.Parse("61 E2")),
            Frame.Ping(Hex.Parse("FF")),
            Frame.Continuation(Hex.Parse("82 AC"), isFinal: true));
    }
}
