using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Protocol;

/// <summary>
/// RFC 6455 §8.1 Handling Errors in UTF-8-Encoded Data ("MUST _Fail the WebSocket Connection_", close code 1007 per
/// §7.4.1) and §5.6 (text is UTF-8 across the whole message): the validator on the Markus Kuhn / Autobahn 6.x cases,
/// and the decoder failing fast across fragments and inside frames that have only partly arrived.
/// </summary>
public sealed class Utf8ValidationTests
{
    public static TheoryData<string> ValidUtf8 => new()
    {
        "",
        "48 65 6C 6C 6F", // ASCII
        "00", // U+0000
        "7F", // last one-byte
        "C2 80", // U+0080, first two-byte
        "DF BF", // U+07FF, last two-byte
        "E0 A0 80", // U+0800, first three-byte
        "E1 80 80",
        "EC BF BF",
        "ED 80 80", // U+D000
        "ED 9F BF", // U+D7FF, last before the surrogates
        "EE 80 80", // U+E000, first after the surrogates
        "EF BF BD", // U+FFFD
        "EF BF BE", // U+FFFE, a noncharacter but well-formed
        "EF BF BF", // U+FFFF
        "F0 90 80 80", // U+10000, first four-byte
        "F1 80 80 80",
        "F3 BF BF BF",
        "F4 8F BF BF", // U+10FFFF, last code point
        "CE BA E1 BD B9 CF 83 CE BC CE B5", // "κόσμε" (Autobahn 6.2)
        "F0 9D 84 9E", // U+1D11E musical symbol G clef
        "61 CE BA E2 82 AC F0 9D 84 9E 62", // mixed widths
    };

    // hex, index of the byte on which Advance must return false (-1: well-formed so far but truncated at the end)
    public static TheoryData<string, int> InvalidUtf8 => new()
    {
        { "80", 0 }, // lone continuation byte
        { "BF", 0 },
        { "80 BF 80", 0 },
        { "41 80", 1 },
        { "C0 80", 0 }, // overlong U+0000
        { "C0 AF", 0 }, // overlong '/'
        { "C1 BF", 0 }, // overlong U+007F
        { "E0 80 80", 1 }, // overlong three-byte U+0000
        { "E0 80 AF", 1 },
        { "E0 9F BF", 1 }, // overlong U+07FF
        { "F0 80 80 80", 1 }, // overlong four-byte U+0000
        { "F0 80 80 AF", 1 },
        { "F0 8F BF BF", 1 }, // overlong U+FFFF
        { "F8 88 80 80 80", 0 }, // five-byte form
        { "FC 84 80 80 80 80", 0 }, // six-byte form
        { "ED A0 80", 1 }, // U+D800, UTF-16 high surrogate
        { "ED AD BF", 1 }, // U+DB7F
        { "ED B0 80", 1 }, // U+DC00, low surrogate
        { "ED BF BF", 1 }, // U+DFFF
        { "ED A0 80 ED B0 80", 1 }, // a surrogate pair encoded as two three-byte sequences
        { "F4 90 80 80", 1 }, // U+110000, above the last code point
        { "F4 BF BF BF", 1 },
        { "F5 80 80 80", 0 },
        { "F7 BF BF BF", 0 },
        { "FE", 0 },
        { "FF", 0 },
        { "FE FE FF FF", 0 },
        { "C2 41", 1 }, // lead byte followed by ASCII
        { "E1 80 41", 2 },
        { "F1 80 80 41", 3 },
        { "C2 C2 80", 1 }, // lead byte followed by a lead byte
        { "E0 A0 C0", 2 },
        { "CE BA E1 BD B9 CF 83 CE BC CE B5 ED A0 80 65 64 69 74 65 64", 12 }, // Autobahn 6.3.1
        { "C2", -1 }, // truncated sequences
        { "E0 A0", -1 },
        { "E1", -1 },
        { "F0 90 80", -1 },
        { "F4 8F BF", -1 },
        { "CE BA E1 BD", -1 },
    };

    public static TheoryData<string> InvalidUtf8Bytes => new(InvalidUtf8.Select(row => (string)row[0]!));

    public static TheoryData<string> MalformedUtf8 => new(InvalidUtf8.Where(row => (int)row[1]! >= 0).Select(row => (string)row[0]!));

    // Validator

    [Theory]
    [MemberData(nameof(ValidUtf8))]
    public void Validator_ValidSequence_IsAcceptedWhereverItIsSplit(string hex)
    {
        var bytes = Hex.Parse(hex);
        Assert.True(Utf8Validator.IsValid(bytes));
        for (int split = 0; split <= bytes.Length; split++)
        {
            var validator = default(Utf8Validator);
            Assert.True(validator.Advance(bytes.AsSpan(0, split)));
            Assert.True(validator.Advance(bytes.AsSpan(split)));
            Assert.True(validator.IsComplete, $"split at {split}");
        }

        var byteByByte = default(Utf8Validator);
        foreach (var b in bytes)
        {
            Assert.True(byteByByte.Advance([b]));
        }

        Assert.True(byteByByte.IsComplete);
    }

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public void Validator_InvalidSequence_FailsOnTheFirstBadByte(string hex, int badIndex)
    {
        var bytes = Hex.Parse(hex);
        Assert.False(Utf8Validator.IsValid(bytes));

        var validator = default(Utf8Validator);
        for (int i = 0; i < bytes.Length; i++)
        {
            bool accepted = validator.Advance(bytes.AsSpan(i, 1));
            Assert.True(accepted == (i != badIndex), $"byte {i}: accepted = {accepted}");
            if (!accepted)
            {
                break;
            }
        }

        Assert.False(validator.IsComplete);
        Assert.Equal(badIndex >= 0, validator.HasFailed);
        if (badIndex >= 0)
        {
            // Failure is sticky until Reset.
            Assert.False(validator.Advance("a"u8));
            validator.Reset();
            Assert.True(validator.Advance("a"u8));
            Assert.True(validator.IsComplete);
        }
    }

    [Fact]
    public void Validator_LongAsciiRunsAroundMultiByteCharacters_AreValidated()
    {
        // Exercises the vectorised ASCII skip: bad bytes before, inside and after long ASCII runs.
        var ascii = Enumerable.Repeat((byte)'a', 300).ToArray();
        Assert.True(Utf8Validator.IsValid(DecoderAssert.Concat(ascii, Hex.Parse("E2 82 AC"), ascii)));
        Assert.False(Utf8Validator.IsValid(DecoderAssert.Concat(ascii, Hex.Parse("E2 82"), ascii)));
        Assert.False(Utf8Validator.IsValid(DecoderAssert.Concat(ascii, ascii, Hex.Parse("80"))));
        Assert.False(Utf8Validator.IsValid(DecoderAssert.Concat(ascii, Hex.Parse("C2"))));
    }

    // Decoder: whole frames

    [Theory]
    [MemberData(nameof(ValidUtf8))]
    public void Decoder_TextFrameWithValidUtf8_Decodes(string hex)
    {
        var payload = Hex.Parse(hex);
        var expected = Frame.Text(payload);
        DecoderAssert.Decodes(Side.Client, DecoderAssert.Unlimited, DecoderAssert.Wire(Opcode.Text, payload), expected);
        DecoderAssert.Decodes(Side.Server, DecoderAssert.Unlimited, DecoderAssert.FromClient(Opcode.Text, payload), expected);
    }

    [Theory]
    [MemberData(nameof(InvalidUtf8Bytes))]
    public void Decoder_TextFrameWithInvalidUtf8_Throws1007(string hex)
    {
        var payload = Hex.Parse(hex);
        DecoderAssert.FailsConnection(Side.Client, DecoderAssert.Wire(Opcode.Text, payload), CloseCode.NotConsistent);
        DecoderAssert.FailsConnection(Side.Server, DecoderAssert.FromClient(Opcode.Text, payload), CloseCode.NotConsistent);
    }

    // Decoder: across fragments

    [Theory]
    [MemberData(nameof(MalformedUtf8))]
    public void Decoder_FirstFragmentAlreadyInvalid_Throws1007BeforeTheFinalFragmentArrives(string hex)
    {
        var firstFragmentOnly = DecoderAssert.FromClient(Opcode.Text, Hex.Parse(hex), fin: false);
        DecoderAssert.FailsConnection(Side.Server, firstFragmentOnly, CloseCode.NotConsistent);
    }

    [Fact]
    public void Decoder_SequenceCompletedInvalidlyByNextFragment_Throws1007OnThatFragment()
    {
        // E0 is a valid start; E0 80 is an overlong form. Neither fragment is final.
        DecoderAssert.Decodes(Side.Client, "01 01 E0", Frame.Create(Opcode.Text, false, false, false, false, Hex.Parse("E0")));
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse("01 01 E0 00 01 80"), CloseCode.NotConsistent);
        // ED A0 is a surrogate, split after the lead byte.
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse("01 02 61 ED 00 02 A0 80"), CloseCode.NotConsistent);
    }

    [Fact]
    public void Decoder_FinalFragmentEndsInsideASequence_Throws1007()
    {
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse("01 01 C2 80 00"), CloseCode.NotConsistent);
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse("01 01 F0 00 01 9D 80 01 84"), CloseCode.NotConsistent);
    }

    [Fact]
    public void Decoder_ValidCharactersSplitAcrossFragmentsAtEveryPosition_AreAccepted()
    {
        var text = Hex.Parse("61 CE BA E2 82 AC F0 9D 84 9E 62"); // "aκ€𝄞b"
        for (int split = 0; split <= text.Length; split++)
        {
            var first = text[..split];
            var second = text[split..];
            var wire = DecoderAssert.Concat(
                DecoderAssert.FromClient(Opcode.Text, first, fin: false),
                DecoderAssert.FromClient(Opcode.Continuation, second, fin: true));
            DecoderAssert.Decodes(
                Side.Server, DecoderAssert.Unlimited, wire,
                Frame.Text(first, isFinal: false), Frame.Continuation(second, isFinal: true));
        }
    }

    [Fact]
    public void Decoder_EveryByteInItsOwnFragment_CarriesValidatorStateAcross()
    {
        var text = Hex.Parse("61 CE BA E2 82 AC F0 9D 84 9E 62");
        var parts = new List<byte[]>();
        var expected = new List<Frame>();
        for (int i = 0; i < text.Length; i++)
        {
            bool fin = i == text.Length - 1;
            var opcode = i == 0 ? Opcode.Text : Opcode.Continuation;
            parts.Add(DecoderAssert.Wire(opcode, text.AsSpan(i, 1), fin));
            expected.Add(Frame.Create(opcode, fin, false, false, false, text[i..(i + 1)]));
        }

        DecoderAssert.Decodes(Side.Client, DecoderAssert.Unlimited, DecoderAssert.Concat(parts.ToArray()), expected.ToArray());
    }

    [Fact]
    public void Decoder_NewMessageAfterFinalFragment_StartsWithFreshValidator()
    {
        // The first message ends cleanly; the second starts with a continuation byte, which must be judged alone.
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse("01 01 C2 80 01 80 81 01 80"), CloseCode.NotConsistent);
        DecoderAssert.Decodes(
            Side.Client, "01 01 C2 80 01 80 81 01 41",
            Frame.Create(Opcode.Text, false, false, false, false, Hex.Parse("C2")),
            Frame.Continuation(Hex.Parse("80"), isFinal: true),
            Frame.Text("A"));
    }

    // Decoder: inside a frame that has only partly arrived

    [Fact]
    public void Decoder_InvalidBytesInPartiallyArrivedFrame_Throws1007NotNeedMoreData()
    {
        // The header announces 10 bytes; only "H" and C0 have arrived.
        DecoderAssert.FailsConnection(Side.Client, Hex.Parse("81 0A 48 C0"), CloseCode.NotConsistent);

        var masked = DecoderAssert.FromClient(Opcode.Text, Hex.Parse("48 C0 41 41 41 41 41 41 41 41"));
        DecoderAssert.FailsConnection(Side.Server, masked[..8], CloseCode.NotConsistent); // 6 header bytes + 2
    }

    [Fact]
    public void Decoder_InvalidBytesInPartiallyArrivedContinuation_Throws1007()
    {
        var wire = DecoderAssert.Concat(
            DecoderAssert.FromClient(Opcode.Text, "ab"u8, fin: false),
            DecoderAssert.FromClient(Opcode.Continuation, Hex.Parse("63 ED A0 80 64 65"), fin: true));
        DecoderAssert.FailsConnection(Side.Server, wire[..(wire.Length - 3)], CloseCode.NotConsistent);
    }

    [Fact]
    public void Decoder_TruncatedSequenceAtEndOfArrivedBytes_WaitsForMore()
    {
        // C2 is fine until the frame's last byte says otherwise.
        var decoder = new FrameDecoder(Side.Client, FrameLimits.Default);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Hex.Parse("81 04 41 C2")));
        Assert.Equal(OperationStatus.NeedMoreData, decoder.TryDecode(ref reader, out _));
        Assert.Equal(0, reader.Consumed);
    }

    [Theory]
    [InlineData(Side.Client, 0)]
    [InlineData(Side.Client, 1)]
    [InlineData(Side.Server, 0)]
    [InlineData(Side.Server, 1)]
    public void Decoder_BadByteArrivingOneByteAtATime_ThrowsExactlyWhenItArrives(Side side, int fragment)
    {
        // 1000 bytes of "€€€…" with a bad continuation byte at payload index 700, in the first or second fragment.
        var payload = Euros(1000);
        payload[700] = 0x41; // 700 = 3 * 233 + 1: the second byte of a "€", so 41 is invalid there
        string? maskKey = side == Side.Server ? DecoderAssert.Rfc6455MaskKey : null;
        byte[] prefix = fragment == 0 ? [] : DecoderAssert.Wire(Opcode.Text, "ok"u8, fin: false, maskKey);
        var frame = DecoderAssert.Wire(fragment == 0 ? Opcode.Text : Opcode.Continuation, payload, fin: true, maskKey);
        var wire = DecoderAssert.Concat(prefix, frame);
        int headerLength = FrameHeader.GetHeaderLength(1000, side == Side.Server);
        int badArrives = prefix.Length + headerLength + 700 + 1;

        var decoder = new FrameDecoder(side, DecoderAssert.Unlimited);
        long consumed = 0;
        for (int arrived = 0; arrived < badArrives; arrived++)
        {
            DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(wire, (int)consumed, arrived - (int)consumed), out long step);
            consumed += step;
        }

        var exception = Assert.Throws<WebSocketProtocolException>(
            () => DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(wire, (int)consumed, badArrives - (int)consumed), out _));
        Assert.Equal(CloseCode.NotConsistent, exception.CloseCode);
    }

    [Fact]
    public void Decoder_LargeMaskedTextArrivingInUnevenChunks_ResumesValidationCorrectly()
    {
        // Chunks of 257 bytes: resumption points fall inside characters and at every masking key offset.
        var payload = Euros(3000);
        var wire = DecoderAssert.FromClient(Opcode.Text, payload);
        var decoder = new FrameDecoder(Side.Server, DecoderAssert.Unlimited);
        var frames = new List<Frame>();
        int arrived = 0;
        while (true)
        {
            frames.AddRange(DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(wire, 0, arrived), out long consumed));
            Assert.Equal(arrived == wire.Length ? wire.Length : 0, consumed);
            if (arrived == wire.Length)
            {
                break;
            }

            arrived = Math.Min(arrived + 257, wire.Length);
        }

        Assert.Equal(Frame.Text(payload), Assert.Single(frames));
    }

    [Fact]
    public void Decoder_LargeMaskedTextPartlyArrived_FindsBadByteBeyondTheFirstChunk()
    {
        var payload = Euros(3000);
        payload[1501] = 0xC0; // inside the 501st "€"
        var wire = DecoderAssert.FromClient(Opcode.Text, payload);
        var decoder = new FrameDecoder(Side.Server, DecoderAssert.Unlimited);
        var exception = Assert.Throws<WebSocketProtocolException>(
            () => DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(wire, 0, 8 + 2000), out _));
        Assert.Equal(CloseCode.NotConsistent, exception.CloseCode);
    }

    private static byte[] Euros(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i + 3 <= length; i += 3)
        {
            bytes[i] = 0xE2;
            bytes[i + 1] = 0x82;
            bytes[i + 2] = 0xAC;
        }

        for (int i = length - (length % 3); i < length; i++)
        {
            bytes[i] = (byte)'.';
        }

        return bytes;
    }
}
