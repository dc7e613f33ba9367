using System.Buffers;
using System.Linq;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Protocol;

/// <summary>RFC 6455 §5.2 Base Framing Protocol: the header's bits, the three length encodings and the masking key.</summary>
public sealed class FrameHeaderTests
{
    private static readonly uint s_rfcKey = Masking.ReadMaskKey(Hex.Parse(DecoderAssert.Rfc6455MaskKey));

    public static TheoryData<string, bool, bool, bool, bool, int, bool, long, string?> Headers => new()
    {
        // hex, fin, rsv1, rsv2, rsv3, opcode, masked, payload length, mask key
        { "81 05", true, false, false, false, 0x1, false, 5, null },
        { "81 85 37 FA 21 3D", true, false, false, false, 0x1, true, 5, "37 FA 21 3D" },
        { "01 03", false, false, false, false, 0x1, false, 3, null },
        { "80 02", true, false, false, false, 0x0, false, 2, null },
        { "8A 85 37 FA 21 3D", true, false, false, false, 0xA, true, 5, "37 FA 21 3D" },
        { "82 7D", true, false, false, false, 0x2, false, 125, null },
        { "82 7E 00 7E", true, false, false, false, 0x2, false, 126, null },
        { "82 7E 01 00", true, false, false, false, 0x2, false, 256, null },
        { "82 7E FF FF", true, false, false, false, 0x2, false, 65535, null },
        { "82 7F 00 00 00 00 00 01 00 00", true, false, false, false, 0x2, false, 65536, null },
        { "82 FF 7F FF FF FF FF FF FF FF 01 02 03 04", true, false, false, false, 0x2, true, long.MaxValue, "01 02 03 04" },
        { "F1 00", true, true, true, true, 0x1, false, 0, null },
        { "4F 00", false, true, false, false, 0xF, false, 0, null },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void TryRead_EveryHeaderShape_ReadsFieldsInEverySegmentShape(
        string hex, bool fin, bool rsv1, bool rsv2, bool rsv3, int opcode, bool masked, long length, string? key)
    {
        var wire = Hex.Parse(hex);
        // A payload byte after the header shows that the reader stops exactly at the payload.
        var withPayload = DecoderAssert.Concat(wire, Hex.Parse("EE"));
        foreach (var (name, sequence) in Sequences.AllShapes(withPayload))
        {
            var reader = new SequenceReader<byte>(sequence);
            Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(ref reader, out var header));
            Assert.True(wire.Length == reader.Consumed, name);
            Assert.Equal(fin, header.Fin);
            Assert.Equal(rsv1, header.Rsv1);
            Assert.Equal(rsv2, header.Rsv2);
            Assert.Equal(rsv3, header.Rsv3);
            Assert.Equal((Opcode)opcode, header.Opcode);
            Assert.Equal(masked, header.IsMasked);
            Assert.Equal(length, header.PayloadLength);
            Assert.Equal(key is null ? 0u : Masking.ReadMaskKey(Hex.Parse(key)), header.MaskKey);
            Assert.Equal(wire.Length, header.HeaderLength);
        }
    }

    public static TheoryData<string> HeaderWires => new(Headers.Select(row => (string)row[0]));

    [Theory]
    [MemberData(nameof(HeaderWires))]
    public void TryRead_EveryStrictPrefix_NeedsMoreDataAndConsumesNothing(string hex)
    {
        var wire = Hex.Parse(hex);
        for (int prefix = 0; prefix < wire.Length; prefix++)
        {
            foreach (var (name, sequence) in Sequences.AllShapes(wire[..prefix]))
            {
                var reader = new SequenceReader<byte>(sequence);
                Assert.Equal(OperationStatus.NeedMoreData, FrameHeader.TryRead(ref reader, out var header));
                Assert.True(reader.Consumed == 0, $"prefix {prefix}, {name}");
                Assert.Equal(default, header);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public void Write_ThenTryRead_RoundTripsWithMinimalEncoding(
        string hex, bool fin, bool rsv1, bool rsv2, bool rsv3, int opcode, bool masked, long length, string? key)
    {
        var header = new FrameHeader(fin, rsv1, rsv2, rsv3, (Opcode)opcode, masked, length, key is null ? 0 : Masking.ReadMaskKey(Hex.Parse(key)));
        var destination = new byte[FrameHeader.MaxLength + 3];
        int written = header.Write(destination);

        // Every vector in the table is minimally encoded, so writing reproduces it byte for byte.
        Hex.AssertEqual(hex, destination.AsSpan(0, written));
        Assert.Equal(FrameHeader.GetHeaderLength(length, masked), written);
        Assert.Equal(written, header.HeaderLength);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(destination, 0, written));
        Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(ref reader, out var read));
        Assert.Equal(header, read);
    }

    [Theory]
    [InlineData(0, false, 2)]
    [InlineData(125, false, 2)]
    [InlineData(126, false, 4)]
    [InlineData(65535, false, 4)]
    [InlineData(65536, false, 10)]
    [InlineData(long.MaxValue, false, 10)]
    [InlineData(0, true, 6)]
    [InlineData(125, true, 6)]
    [InlineData(126, true, 8)]
    [InlineData(65536, true, 14)]
    public void GetHeaderLength_AtEveryEncodingBoundary_IsMinimal(long payloadLength, bool masked, int expected) =>
        Assert.Equal(expected, FrameHeader.GetHeaderLength(payloadLength, masked));

    [Fact]
    public void Write_MaskedRfc6455Hello_WritesKeyInWireOrder()
    {
        var header = new FrameHeader(true, false, false, false, Opcode.Text, true, 5, s_rfcKey);
        var destination = new byte[6];
        Assert.Equal(6, header.Write(destination));
        Hex.AssertEqual("81 85 37 FA 21 3D", destination);
    }

    [Fact]
    public void TryRead_NonMinimalLength_IsAcceptedAndReportsBytesRead()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Hex.Parse("82 7F 00 00 00 00 00 00 00 05")));
        Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(ref reader, out var header));
        Assert.Equal(5, header.PayloadLength);
        Assert.Equal(10, header.HeaderLength);
        Assert.Equal(2, FrameHeader.GetHeaderLength(header.PayloadLength, masked: false));
    }

    [Theory]
    [InlineData("82 7F 80")]
    [InlineData("82 7F 80 00 00 00 00 00 00 00")]
    [InlineData("82 FF FF FF FF FF FF FF FF FF 00 00 00 00")]
    public void TryRead_64BitLengthWithMostSignificantBitSet_Throws1002(string hex)
    {
        foreach (var (_, sequence) in Sequences.AllShapes(Hex.Parse(hex)))
        {
            var exception = Assert.Throws<WebSocketProtocolException>(() =>
            {
                var reader = new SequenceReader<byte>(sequence);
                FrameHeader.TryRead(ref reader, out _);
            });
            Assert.Equal(CloseCode.ProtocolError, exception.CloseCode);
        }
    }

    [Fact]
    public void Write_DestinationTooShort_Throws()
    {
        var header = new FrameHeader(true, false, false, false, Opcode.Binary, true, 126, s_rfcKey);
        Assert.Throws<ArgumentException>(() => header.Write(new byte[7]));
        Assert.Equal(8, header.Write(new byte[8]));
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameHeader(true, false, false, false, (Opcode)0x10, false, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameHeader(true, false, false, false, Opcode.Text, false, -1, 0));
        Assert.Throws<ArgumentException>(() => new FrameHeader(true, false, false, false, Opcode.Text, false, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameHeader.GetHeaderLength(-1, masked: false));
    }

    [Fact]
    public void ToString_ShowsFieldsAndKeyInWireOrder() =>
        Assert.Equal(
            "Text fin rsv1 masked(37FA213D) 5 bytes, header 6",
            new FrameHeader(true, true, false, false, Opcode.Text, true, 5, s_rfcKey).ToString());
}
