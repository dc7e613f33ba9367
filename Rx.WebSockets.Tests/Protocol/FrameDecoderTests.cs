using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Protocol;

/// <summary>
/// RFC 6455 §5.2 Base Framing Protocol: the §5.7 examples byte for byte, §5.1 masking direction, RSV bits and
/// reserved opcodes, the 64-bit length rule, frame size limits (§10.4) and payload ownership.
/// </summary>
public sealed class FrameDecoderTests
{
    private static readonly byte[] s_hello = "Hello"u8.ToArray();

    public static TheoryData<string> Rfc6455Examples => new(s_examples.Keys);

    // RFC 6455 §5.7, each with the side that receives it.
    private static readonly Dictionary<string, (Side Side, byte[] Wire, Frame[] Frames)> s_examples = new()
    {
        ["unmasked text Hello"] = (Side.Client, Hex.Parse("81 05 48 65 6c 6c 6f"), [Frame.Text("Hello")]),
        ["masked text Hello"] = (Side.Server, Hex.Parse("81 85 37 fa 21 3d 7f 9f 4d 51 58"), [Frame.Text("Hello")]),
        ["fragmented unmasked text Hello"] = (
            Side.Client,
            Hex.Parse("01 03 48 65 6c 80 02 6c 6f"),
            [Frame.Text("Hel", isFinal: false), Frame.Continuation("lo"u8.ToArray(), isFinal: true)]),
        ["unmasked Ping Hello"] = (Side.Client, Hex.Parse("89 05 48 65 6c 6c 6f"), [Frame.Ping(s_hello)]),
        ["masked Pong Hello"] = (Side.Server, Hex.Parse("8a 85 37 fa 21 3d 7f 9f 4d 51 58"), [Frame.Pong(s_hello)]),
        ["256 bytes binary, 16-bit length"] = (
            Side.Client, DecoderAssert.Concat(Hex.Parse("82 7E 01 00"), Pattern(256)), [Frame.Binary(Pattern(256))]),
        ["64 KiB binary, 64-bit length"] = (
            Side.Client, DecoderAssert.Concat(Hex.Parse("82 7F 00 00 00 00 00 01 00 00"), Pattern(65536)), [Frame.Binary(Pattern(65536))]),
    };

    [Theory]
    [MemberData(nameof(Rfc6455Examples))]
    public void Decoder_Rfc6455Section5_7Example_DecodesInEveryShapeAndPrefix(string example)
    {
        var (side, wire, frames) = s_examples[example];
        DecoderAssert.Decodes(side, DecoderAssert.Unlimited, wire, frames);
    }

    [Theory]
    [MemberData(nameof(Rfc6455Examples))]
    public void Decoder_Rfc6455Section5_7ExampleFollowedByAnother_DecodesBothInOrder(string example)
    {
        var (side, wire, frames) = s_examples[example];
        // A different frame second, so that a decoder returning the first frame twice would fail.
        var second = side == Side.Server
            ? s_examples["masked Pong Hello"]
            : s_examples["unmasked text Hello"];
        DecoderAssert.Decodes(side, DecoderAssert.Unlimited, DecoderAssert.Concat(wire, second.Wire), [.. frames, .. second.Frames]);
    }

    [Fact]
    public void Decoder_EveryRfc6455ClientExampleBackToBack_DecodesAllInOrder()
    {
        var clientExamples = s_examples.Values.Where(e => e.Side == Side.Client && e.Wire.Length < 1000).ToList();
        var wire = DecoderAssert.Concat(clientExamples.Select(e => e.Wire).ToArray());
        DecoderAssert.Decodes(Side.Client, DecoderAssert.Unlimited, wire, clientExamples.SelectMany(e => e.Frames).ToArray());
    }

    [Fact]
    public void Decoder_EmptyPayloads_DecodeToEmptyFrames() =>
        DecoderAssert.Decodes(Side.Client, "81 00 82 00 01 00 80 00 89 00 8A 00",
            Frame.Text(""), Frame.Binary(Array.Empty<byte>()), Frame.Text("", isFinal: false),
            Frame.Continuation(Array.Empty<byte>(), isFinal: true), Frame.Ping(), Frame.Pong());

    [Fact]
    public void Decoder_NonMinimalLengthEncoding_IsAccepted() =>
        // RFC 6455 §5.2's minimal-encoding MUST binds the sender; receivers commonly accept the longer forms.
        DecoderAssert.Decodes(Side.Client, "82 7E 00 05 01 02 03 04 05 82 7F 00 00 00 00 00 00 00 01 AA",
            Frame.Binary(new byte[] { 1, 2, 3, 4, 5 }), Frame.Binary(new byte[] { 0xAA }));

    [Fact]
    public void Decoder_MaskedPayloadAcrossSegments_UnmasksWithRunningKeyOffset()
    {
        // Odd lengths put every segment boundary at a different key offset.
        var payload = Pattern(1001);
        var wire = DecoderAssert.FromClient(Opcode.Binary, payload);
        DecoderAssert.Decodes(Side.Server, DecoderAssert.Unlimited, wire, Frame.Binary(payload));
    }

    // RFC 6455 §5.1

    [Fact]
    public void Decoder_ServerReceivesUnmaskedFrame_Throws1002() =>
        DecoderAssert.FailsConnection(Side.Server, Hex.Parse("81 05 48 65 6c 6c 6f"), CloseCode.ProtocolError);

    [Fact]
    public void Decoder_ServerReceivesUnmaskedHeaderOnly_Throws1002BeforePayload() =>
        DecoderAssert.FailsConnection(Side.Server, Hex.Parse("82 7E 10 00"), CloseCode.ProtocolError);

    [Fact]
    public void Decoder_ClientReceivesMaskedFrame_Throws1002() =>
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse("81 85 37 fa 21 3d 7f 9f 4d 51 58"), CloseCode.ProtocolError);

    [Theory]
    [InlineData(Side.Server)]
    [InlineData(Side.Client)]
    public void Decoder_ControlFrameWithWrongMasking_Throws1002(Side side)
    {
        var wire = side == Side.Server ? Hex.Parse("89 00") : Hex.Parse("89 80 00 00 00 00");
        DecoderAssert.FailsConnection(side, wire, CloseCode.ProtocolError);
    }

    // RFC 6455 §5.2 RSV1-3

    [Theory]
    [InlineData("C1 00")] // RSV1 on text
    [InlineData("A2 00")] // RSV2 on binary
    [InlineData("91 00")] // RSV3 on text
    [InlineData("F2 00")] // all RSV bits
    [InlineData("C9 00")] // RSV1 on ping
    [InlineData("01 00 C0 00")] // RSV1 on continuation
    public void Decoder_RsvBitWithoutExtension_Throws1002(string hex)
    {
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse(hex), CloseCode.ProtocolError);
    }

    // RFC 6455 §5.2 Opcode: "%x3-7 are reserved for further non-control frames", "%xB-F are reserved for further control frames"

    [Theory]
    [InlineData(0x3)]
    [InlineData(0x4)]
    [InlineData(0x5)]
    [InlineData(0x6)]
    [InlineData(0x7)]
    [InlineData(0xB)]
    [InlineData(0xC)]
    [InlineData(0xD)]
    [InlineData(0xE)]
    [InlineData(0xF)]
    public void Decoder_ReservedOpcode_Throws1002(int opcode)
    {
        DecoderAssert.FailsConnection(Side.Client, DecoderAssert.Wire((Opcode)opcode, "x"u8), CloseCode.ProtocolError);
        DecoderAssert.FailsConnection(Side.Server, DecoderAssert.FromClient((Opcode)opcode, "x"u8), CloseCode.ProtocolError);
    }

    [Fact]
    public void Decoder_ReservedOpcodeInsideFragmentedMessage_Throws1002() =>
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse("01 01 48 83 00"), CloseCode.ProtocolError);

    // RFC 6455 §5.2 Payload length

    [Fact]
    public void Decoder_64BitLengthWithMostSignificantBitSet_Throws1002()
    {
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse("82 7F 80 00 00 00 00 00 00 05 01 02 03 04 05"), CloseCode.ProtocolError);
        // Decided by the first length byte: the rest of the header need not arrive.
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse("82 7F 80"), CloseCode.ProtocolError);
    }

    [Fact]
    public void Decoder_64BitLengthAboveInt32_Throws1009FromHeader()
    {
        var exception = DecoderAssert.FailsTooBig(Side.Client, Hex.Parse("82 7F 00 00 00 01 00 00 00 00"), DecoderAssert.Unlimited);
        Assert.Equal(0x1_0000_0000L, exception.Size);
    }

    // RFC 6455 §10.4: "implementations SHOULD impose a limit on frame sizes"

    [Fact]
    public void Decoder_FrameExactlyAtMaxFrameSize_IsAccepted()
    {
        var limits = new FrameLimits { MaxFrameSize = 300, MaxMessageSize = 1000 };
        var wire = DecoderAssert.Concat(Hex.Parse("82 7E 01 2C"), Pattern(300));
        DecoderAssert.Decodes(Side.Client, limits, wire, Frame.Binary(Pattern(300)));
    }

    [Fact]
    public void Decoder_FrameOneByteOverMaxFrameSize_Throws1009FromHeaderAlone()
    {
        var limits = new FrameLimits { MaxFrameSize = 300, MaxMessageSize = 1000 };
        var exception = DecoderAssert.FailsTooBig(Side.Client, Hex.Parse("82 7E 01 2D"), limits);
        Assert.Equal(301, exception.Size);
        Assert.Equal(300, exception.Limit);
        DecoderAssert.FailsTooBig(Side.Server, DecoderAssert.Concat(Hex.Parse("81 FE 01 2D"), Hex.Parse(DecoderAssert.Rfc6455MaskKey)), limits);
    }

    [Fact]
    public void Decoder_HugeFrameHeader_Throws1009WithoutBufferingPayload()
    {
        // 1 GiB announced, default 1 MiB limit: fails on 10 bytes of input.
        DecoderAssert.FailsTooBig(Side.Client, Hex.Parse("82 7F 00 00 00 00 40 00 00 00"), FrameLimits.Default);
    }

    [Fact]
    public void Decoder_UnfragmentedMessageOverMaxMessageSize_Throws1009FromHeader()
    {
        var limits = new FrameLimits { MaxFrameSize = 1000, MaxMessageSize = 100 };
        var exception = DecoderAssert.FailsTooBig(Side.Client, Hex.Parse("82 65"), limits);
        Assert.Equal(101, exception.Size);
        Assert.Equal(100, exception.Limit);
    }

    [Fact]
    public void Decoder_ControlFrameOverMaxFrameSize_Throws1009()
    {
        var limits = new FrameLimits { MaxFrameSize = 4, MaxMessageSize = 4 };
        DecoderAssert.FailsTooBig(Side.Client, Hex.Parse("89 05"), limits);
        DecoderAssert.Decodes(Side.Client, limits, Hex.Parse("89 04 01 02 03 04"), Frame.Ping(new byte[] { 1, 2, 3, 4 }));
    }

    // Payload ownership and allocation

    [Fact]
    public void Decoder_DeliveredPayload_IsAFreshArrayIndependentOfInput()
    {
        var wire = Hex.Parse("81 85 37 fa 21 3d 7f 9f 4d 51 58");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(wire));
        Assert.Equal(OperationStatus.Done, new FrameDecoder(Side.Server, FrameLimits.Default).TryDecode(ref reader, out var frame));
        Array.Clear(wire);

        Assert.Equal(Frame.Text("Hello"), frame);
        Assert.True(MemoryMarshal.TryGetArray(frame!.Payload, out var segment));
        Assert.Equal(0, segment.Offset);
        Assert.Equal(5, segment.Array!.Length);
    }

    [Theory]
    [InlineData(Opcode.Binary)]
    [InlineData(Opcode.Text)]
    public void Decoder_DecodingAFrame_AllocatesOnlyPayloadAndFrame(Opcode opcode)
    {
        var payload = Enumerable.Repeat((byte)'a', 4000).ToArray();
        var wire = DecoderAssert.FromClient(opcode, payload);
        // Many segments, so the header and the payload straddle boundaries; plus a partial arrival first.
        var whole = Sequences.Split(wire, Enumerable.Range(1, 40).Select(i => i * 97).ToList());
        var partial = whole.Slice(0, 3000);
        var decoder = new FrameDecoder(Side.Server, FrameLimits.Default);
        DecodeOnce(decoder, partial, whole, out _, out _); // warm up (JIT, statics)

        long before = GC.GetAllocatedBytesForCurrentThread();
        var frame = DecodeOnce(decoder, partial, whole, out var partialStatus, out var wholeStatus);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(OperationStatus.NeedMoreData, partialStatus);
        Assert.Equal(OperationStatus.Done, wholeStatus);
        Assert.Equal(4000, frame!.Payload.Length);
        // The payload array (4000 + array header) and one frame object; no per-call buffers, closures or boxes.
        Assert.InRange(allocated, 4000, 4000 + 160);
    }

    [Fact]
    public void Decoder_Constructor_ChecksArgumentsAndExposesThem()
    {
        Assert.Throws<ArgumentNullException>(() => new FrameDecoder(Side.Server, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameDecoder((Side)7, FrameLimits.Default));
        var limits = new FrameLimits { MaxFrameSize = 10 };
        var decoder = new FrameDecoder(Side.Client, limits);
        Assert.Equal(Side.Client, decoder.Side);
        Assert.Same(limits, decoder.Limits);
        Assert.False(decoder.IsMessageInProgress);
    }

    // Extension hook (RFC 7692 §6: RSV1 marks a compressed message, on its first frame only)

    [Fact]
    public void Decoder_Rsv1AllowedByExtension_DeliversFirstFrameWithRsv1AndSkipsUtf8()
    {
        // Compressed bytes are not UTF-8; the extension validates after inflating.
        var limits = new FrameLimits { MaxFrameSize = 4, MaxMessageSize = 4 };
        var wire = Hex.Parse("41 04 F2 FF C0 80 00 03 FF FE FD 80 01 00 C1 01 FF");
        var decoder = new FrameDecoder(Side.Client, limits) { AllowRsv1OnFirstDataFrame = true };
        var frames = DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(wire), out long consumed);

        Assert.Equal(wire.Length, consumed);
        Assert.Equal(
            new Frame[]
            {
                Frame.Create(Opcode.Text, false, true, false, false, Hex.Parse("F2 FF C0 80")),
                Frame.Continuation(Hex.Parse("FF FE FD"), isFinal: false),
                Frame.Continuation(Hex.Parse("00"), isFinal: true),
                Frame.Create(Opcode.Text, true, true, false, false, Hex.Parse("FF")),
            },
            frames);
    }

    [Theory]
    [InlineData("01 00 C0 00")] // RSV1 on a continuation
    [InlineData("C9 00")] // RSV1 on a ping
    [InlineData("A1 00")] // RSV2 on text
    [InlineData("D2 00")] // RSV1 and RSV3 on binary
    public void Decoder_Rsv1AllowedByExtension_StillRejectsOtherRsvUses(string hex)
    {
        var decoder = new FrameDecoder(Side.Client, FrameLimits.Default) { AllowRsv1OnFirstDataFrame = true };
        var exception = Assert.Throws<WebSocketProtocolException>(
            () => DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(Hex.Parse(hex)), out _));
        Assert.Equal(CloseCode.ProtocolError, exception.CloseCode);
    }

    [Fact]
    public void Decoder_CompressedFrameOverMaxFrameSize_StillThrows1009()
    {
        // A compressed frame may exceed the data limit by deflate's worst-case expansion (zlib's conservative
        // deflateBound: 4 + 1 + 1 + 5 = 11 bytes for 4), not more.
        var decoder = new FrameDecoder(Side.Client, new FrameLimits { MaxFrameSize = 4 }) { AllowRsv1OnFirstDataFrame = true };
        Assert.Equal(11, FrameDecoder.CompressedFrameLimit(4));
        Assert.Throws<FrameTooBigException>(() => DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(Hex.Parse("C2 0C")), out _));
        var accepted = new FrameDecoder(Side.Client, new FrameLimits { MaxFrameSize = 4 }) { AllowRsv1OnFirstDataFrame = true };
        Assert.Empty(DecoderAssert.DecodeAvailable(accepted, new ReadOnlySequence<byte>(Hex.Parse("C2 0B")), out var consumed));
        Assert.Equal(0, consumed); // header accepted, payload not there yet
    }

    internal static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7 + (i >> 8));
        }

        return bytes;
    }

    private static Frame? DecodeOnce(
        FrameDecoder decoder, ReadOnlySequence<byte> partial, ReadOnlySequence<byte> whole, out OperationStatus partialStatus, out OperationStatus wholeStatus)
    {
        var reader = new SequenceReader<byte>(partial);
        partialStatus = decoder.TryDecode(ref reader, out _);
        reader = new SequenceReader<byte>(whole);
        wholeStatus = decoder.TryDecode(ref reader, out var frame);
        return frame;
    }
}
