using System.Buffers;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Protocol;

/// <summary>
/// RFC 6455 §5.4 Fragmentation: a message is a first frame with an opcode, continuation frames (opcode 0) and a
/// final frame with FIN; fragments of different messages are never interleaved. Also the cumulative
/// <see cref="FrameLimits.MaxMessageSize"/> (§10.4).
/// </summary>
public sealed class FragmentationTests
{
    [Theory]
    [InlineData("80 02 6c 6f")] // final continuation, nothing open
    [InlineData("00 00")] // non-final continuation, nothing open
    [InlineData("81 01 48 80 01 69")] // continuation after an unfragmented message
    [InlineData("01 01 48 80 01 69 80 00")] // continuation after the message ended
    public void Decoder_ContinuationWithNoOpenMessage_Throws1002(string hex) =>
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse(hex), CloseCode.ProtocolError);

    [Theory]
    [InlineData("01 01 48 81 01 48")] // text inside text
    [InlineData("01 01 48 02 01 48")] // binary inside text
    [InlineData("02 01 48 81 01 48")] // text inside binary
    [InlineData("02 01 48 00 01 48 82 00")] // binary after a non-final continuation
    public void Decoder_NewDataFrameWhileMessageOpen_Throws1002(string hex) =>
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse(hex), CloseCode.ProtocolError);

    [Fact]
    public void Decoder_ClientMessageInThreeMaskedFragments_DecodesEachFragment()
    {
        var wire = DecoderAssert.Concat(
            DecoderAssert.FromClient(Opcode.Binary, new byte[] { 1, 2, 3 }, fin: false),
            DecoderAssert.FromClient(Opcode.Continuation, new byte[] { 4 }, fin: false),
            DecoderAssert.FromClient(Opcode.Continuation, new byte[] { 5, 6 }, fin: true));
        DecoderAssert.Decodes(
            Side.Server, DecoderAssert.Unlimited, wire,
            Frame.Binary(new byte[] { 1, 2, 3 }, isFinal: false),
            Frame.Continuation(new byte[] { 4 }, isFinal: false),
            Frame.Continuation(new byte[] { 5, 6 }, isFinal: true));
    }

    [Fact]
    public void Decoder_MessagesOneAfterAnother_EachMayBeFragmented() =>
        DecoderAssert.Decodes(
            Side.Client,
            "01 01 48 80 01 69 82 01 07 02 00 00 00 80 00",
            Frame.Text("H", isFinal: false),
            Frame.Continuation("i"u8.ToArray(), isFinal: true),
            Frame.Binary(new byte[] { 7 }),
            Frame.Binary(Array.Empty<byte>(), isFinal: false),
            Frame.Continuation(Array.Empty<byte>(), isFinal: false),
            Frame.Continuation(Array.Empty<byte>(), isFinal: true));

    [Fact]
    public void Decoder_IsMessageInProgress_FollowsFirstAndFinalFragments()
    {
        var decoder = new FrameDecoder(Side.Client, FrameLimits.Default);
        Assert.False(decoder.IsMessageInProgress);
        Decode(decoder, "01 01 48");
        Assert.True(decoder.IsMessageInProgress);
        Decode(decoder, "00 01 65");
        Assert.True(decoder.IsMessageInProgress);
        Decode(decoder, "80 01 79");
        Assert.False(decoder.IsMessageInProgress);
        Decode(decoder, "82 01 00");
        Assert.False(decoder.IsMessageInProgress);
    }

    [Fact]
    public void Decoder_IncompleteFirstFragment_DoesNotOpenMessage()
    {
        // Nothing is consumed, so nothing may change: a later unrelated frame would otherwise be misjudged.
        var decoder = new FrameDecoder(Side.Client, FrameLimits.Default);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Hex.Parse("01 05 48")));
        Assert.Equal(OperationStatus.NeedMoreData, decoder.TryDecode(ref reader, out _));
        Assert.False(decoder.IsMessageInProgress);
    }

    [Fact]
    public void Decoder_FragmentsSummingExactlyToMaxMessageSize_AreAccepted()
    {
        var limits = new FrameLimits { MaxFrameSize = 10, MaxMessageSize = 10 };
        DecoderAssert.Decodes(
            limits: limits,
            side: Side.Client,
            wire: Hex.Parse("02 04 00 01 02 03 00 04 04 05 06 07 80 02 08 09"),
            expected:
            [
                Frame.Binary(new byte[] { 0, 1, 2, 3 }, isFinal: false),
                Frame.Continuation(new byte[] { 4, 5, 6, 7 }, isFinal: false),
                Frame.Continuation(new byte[] { 8, 9 }, isFinal: true),
            ]);
    }

    [Fact]
    public void Decoder_FragmentsOverMaxMessageSize_Throw1009FromTheLastHeader()
    {
        var limits = new FrameLimits { MaxFrameSize = 10, MaxMessageSize = 10 };
        // The third header announces 3 bytes: 4 + 4 + 3 = 11. Its payload never arrives.
        var exception = DecoderAssert.FailsTooBig(Side.Client, Hex.Parse("02 04 00 01 02 03 00 04 04 05 06 07 80 03"), limits);
        Assert.Equal(11, exception.Size);
        Assert.Equal(10, exception.Limit);
    }

    [Fact]
    public void Decoder_MessageSizeCount_RestartsWithEachMessage()
    {
        var limits = new FrameLimits { MaxFrameSize = 10, MaxMessageSize = 6 };
        DecoderAssert.Decodes(
            Side.Client, limits, Hex.Parse("01 03 61 62 63 80 03 64 65 66 01 03 61 62 63 80 03 64 65 66"),
            Frame.Text("abc", isFinal: false), Frame.Continuation("def"u8.ToArray(), isFinal: true),
            Frame.Text("abc", isFinal: false), Frame.Continuation("def"u8.ToArray(), isFinal: true));
    }

    [Fact]
    public void Decoder_BinaryFragments_AreNotValidatedAsUtf8() =>
        DecoderAssert.Decodes(
            Side.Client, "02 02 C0 80 80 02 ED A0",
            Frame.Binary(Hex.Parse("C0 80"), isFinal: false), Frame.Continuation(Hex.Parse("ED A0"), isFinal: true));

    private static void Decode(FrameDecoder decoder, string hex)
    {
        var frames = DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(Hex.Parse(hex)), out _);
        Assert.Single(frames);
    }
}
