using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Rx.WebSockets.Internal;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Protocol;

/// <summary>
/// RFC 6455 §5.2 Base Framing Protocol, §5.3 Client-to-Server Masking, §5.4 Fragmentation and §5.6 Data Frames, as a
/// property: whatever one end's <see cref="FrameEncoder"/> writes, the other end's <see cref="FrameDecoder"/> reads
/// back as the same frames in the same order — whatever the payload sizes, flags, masking keys and fragmentation,
/// with control frames between fragments, text characters split across fragments, and the bytes cut into random
/// segments that arrive a piece at a time.
/// </summary>
public sealed class FrameRoundTripTests
{
    // Fixed, so that every run checks the same cases. A failure names the seed and the case; every case draws only
    // from CaseRandom(case), so starting the loop at that case replays it alone.
    private const int Seed = 6455;
    private const int CaseCount = 10_000;

    // Longer than the longest payload (70,002 bytes), so that any length can be cut from it.
    private const int TextPoolLength = 256 * 1024;
    private const int TextPoolBlockLength = 4 * 1024;

    // RFC 6455 §5.2: lengths up to 125 are written in 7 bits, up to 65535 in 16, beyond in 64.
    private static readonly int[] s_lengthBoundaries = [125, 126, 65535, 65536];

    private static readonly int[] s_watchedLengths = [0, 125, 126, 127, 65535, 65536];

    private static readonly byte[] s_textPool = BuildTextPool();

    [Theory]
    [InlineData(Side.Client)]
    [InlineData(Side.Server)]
    public void RoundTrip_RandomConversations_DecodeToTheSameFramesInOrder(Side sender)
    {
        var receiver = sender == Side.Client ? Side.Server : Side.Client;
        var coverage = new Coverage();
        for (int i = 0; i < CaseCount; i++)
        {
            var random = CaseRandom(i);
            var frames = Conversation(random, coverage);
            var keys = new SeededMaskKeySource(random.Next());
            string context = $"seed {Seed}, case {i}, {sender} to {receiver}";
            try
            {
                var wire = Encode(new FrameEncoder(sender, keys), frames, context);
                Assert.True(
                    sender == Side.Server || keys.Calls == frames.Count,
                    $"{context}: {keys.Calls} masking keys drawn for {frames.Count} frames");

                var decoder = new FrameDecoder(receiver, DecoderAssert.Unlimited) { AllowRsv1OnFirstDataFrame = true };
                var decoded = DecodeArriving(decoder, wire, random, coverage, context);
                AssertSameFrames(frames, decoded, context);
                Assert.False(decoder.IsMessageInProgress, $"{context}: the decoder still has a message open");
            }
            catch (Exception exception) when (!exception.Message.StartsWith(context, StringComparison.Ordinal))
            {
                // Decoder failures and the shared helpers' assertions do not know the case; say it.
                Assert.Fail($"{context}: {exception}");
            }
        }

        // The generator must keep producing what this test claims to cover; a change that stops it fails here.
        Assert.True(s_watchedLengths.All(coverage.DataPayloadLengths.Contains), $"seed {Seed}: payload lengths seen miss one of {string.Join(", ", s_watchedLengths)}");
        Assert.True(coverage.SplitCharacters > 100, $"seed {Seed}: only {coverage.SplitCharacters} UTF-8 characters split across fragments");
        Assert.True(coverage.ControlsInsideMessages > 1000, $"seed {Seed}: only {coverage.ControlsInsideMessages} control frames between fragments");
        Assert.True(coverage.CloseFrames > 100, $"seed {Seed}: only {coverage.CloseFrames} Close frames");
        Assert.True(coverage.FramesAfterClose > 100, $"seed {Seed}: only {coverage.FramesAfterClose} frames after a Close frame");
        Assert.True(coverage.Rsv1Messages > 100, $"seed {Seed}: only {coverage.Rsv1Messages} messages with RSV1");
        Assert.True(coverage.IncompleteReads > 1000, $"seed {Seed}: only {coverage.IncompleteReads} reads that ended inside a frame");
    }

    [Theory]
    [InlineData(Side.Client)]
    [InlineData(Side.Server)]
    public void RoundTrip_FramesAfterClose_AreStillDecoded(Side sender)
    {
        // ADR 0003: the decoder keeps no close state; ignoring what follows a Close frame is the session's decision.
        var frames = new List<Frame>
        {
            Frame.Text("bye", isFinal: false),
            Frame.Close(new CloseReason(CloseCode.GoingAway, "gone")),
            Frame.Continuation("!"u8.ToArray(), isFinal: true),
            Frame.Binary(new byte[] { 1, 2, 3 }),
            Frame.Close(),
            Frame.Ping(),
        };
        var receiver = sender == Side.Client ? Side.Server : Side.Client;
        var wire = Encode(new FrameEncoder(sender, new SequenceMaskKeySource("37 FA 21 3D", "00 00 00 00")), frames, $"{sender}");

        DecoderAssert.Decodes(receiver, DecoderAssert.Unlimited, wire, [.. frames]);
    }

    private static Random CaseRandom(int index) => new(unchecked((Seed * 1_000_003) + index));

    /// <summary>
    /// One to three messages, each Text or Binary, some with RSV1, cut into fragments (or not), with Ping, Pong and
    /// Close frames before, between and after the fragments.
    /// </summary>
    private static List<Frame> Conversation(Random random, Coverage coverage)
    {
        var frames = new List<Frame>();
        int messages = random.Next(10) switch
        {
            < 7 => 1,
            < 9 => 2,
            _ => 3,
        };

        AddControls(random, frames, coverage, insideMessage: false);
        for (int m = 0; m < messages; m++)
        {
            var fragments = Fragments(random, Message(random, coverage), coverage);
            for (int f = 0; f < fragments.Count; f++)
            {
                frames.Add(fragments[f]);

                // RFC 6455 §5.4: "Control frames (see Section 5.5) MAY be injected in the middle of a fragmented message."
                AddControls(random, frames, coverage, insideMessage: f < fragments.Count - 1);
            }
        }

        int firstClose = frames.FindIndex(frame => frame.Opcode == Opcode.Close);
        if (firstClose >= 0)
        {
            coverage.FramesAfterClose += frames.Count - firstClose - 1;
        }

        return frames;
    }

    private static DataFrame Message(Random random, Coverage coverage)
    {
        int length = PayloadLength(random);
        bool text = random.Next(2) == 0;
        bool rsv1 = random.Next(8) == 0;
        coverage.DataPayloadLengths.Add(length);
        if (rsv1)
        {
            coverage.Rsv1Messages++;
        }

        // Text stays valid UTF-8 even under RSV1, where the decoder leaves validation to the extension.
        var payload = text ? RandomUtf8(random, length) : RandomBytes(random, length);
        return (DataFrame)Frame.Create(text ? Opcode.Text : Opcode.Binary, isFinal: true, rsv1, rsv2: false, rsv3: false, payload);
    }

    /// <summary>
    /// 0 to 70,000 bytes: a quarter of them within two bytes of a length-encoding boundary (125/126 mostly, and
    /// 65535/65536, which a uniform draw would almost never hit), the rest spread over the three encodings with
    /// few large ones, so that 10,000 cases stay within a few seconds.
    /// </summary>
    private static int PayloadLength(Random random) => random.Next(100) switch
    {
        < 40 => random.Next(0, 126),
        < 60 => s_lengthBoundaries[random.Next(2)] + random.Next(-2, 3),
        < 65 => s_lengthBoundaries[2 + random.Next(2)] + random.Next(-2, 3),
        < 95 => random.Next(126, 4097),
        _ => random.Next(0, 70_001),
    };

    private static List<DataFrame> Fragments(Random random, DataFrame message, Coverage coverage)
    {
        int length = message.Payload.Length;
        int choice = random.Next(10);
        if (choice < 3 || length == 0)
        {
            return [message];
        }

        if (choice == 3)
        {
            // The whole payload in a first frame, then an empty final continuation: legal, and not something
            // Fragmentation.Fragment produces.
            var first = (DataFrame)Frame.Create(message.Opcode, isFinal: false, message.Rsv1, rsv2: false, rsv3: false, message.Payload);
            return [first, Frame.Continuation(ReadOnlyMemory<byte>.Empty, isFinal: true)];
        }

        // At most 64 fragments per message keeps 10,000 cases within a few seconds; small messages may still be cut
        // into 1-byte fragments, which splits every multi-byte character.
        int fragmentSize = choice < 6 && length <= 256
            ? random.Next(1, 5)
            : random.Next(Math.Max(1, length / 64), length + 1);
        var fragments = Fragmentation.Fragment(message, fragmentSize).ToList();
        if (message.Opcode == Opcode.Text)
        {
            for (int f = 1; f < fragments.Count; f++)
            {
                var start = fragments[f].Payload.Span;
                if (!start.IsEmpty && IsUtf8Continuation(start[0]))
                {
                    coverage.SplitCharacters++;
                }
            }
        }

        return fragments;
    }

    private static void AddControls(Random random, List<Frame> frames, Coverage coverage, bool insideMessage)
    {
        if (random.Next(4) != 0)
        {
            return;
        }

        int count = random.Next(1, 3);
        for (int c = 0; c < count; c++)
        {
            frames.Add(ControlFrame(random, coverage));
            if (insideMessage)
            {
                coverage.ControlsInsideMessages++;
            }
        }
    }

    private static Frame ControlFrame(Random random, Coverage coverage)
    {
        // RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less".
        int length = random.Next(5) switch
        {
            0 => 0,
            1 => Frame.MaxControlPayloadLength,
            _ => random.Next(1, Frame.MaxControlPayloadLength),
        };

        switch (random.Next(5))
        {
            case < 2:
                return Frame.Ping(RandomBytes(random, length));
            case < 4:
                return Frame.Pong(RandomBytes(random, length));
            default:
                // RFC 6455 §5.5.1: an empty body, or a 2-byte code followed by a UTF-8 reason.
                coverage.CloseFrames++;
                if (length < 2)
                {
                    return Frame.Close();
                }

                var payload = new byte[length];
                ushort code = random.Next(3) switch
                {
                    0 => (ushort)random.Next(1000, 1004),
                    1 => (ushort)random.Next(1007, 1015),
                    _ => (ushort)random.Next(3000, 5000),
                };
                payload[0] = (byte)(code >> 8);
                payload[1] = (byte)code;
                RandomUtf8(random, length - 2).CopyTo(payload, 2);
                return Frame.Create(Opcode.Close, isFinal: true, rsv1: false, rsv2: false, rsv3: false, payload);
        }
    }

    private static byte[] Encode(FrameEncoder encoder, List<Frame> frames, string context)
    {
        using var output = new PooledBufferWriter();
        long expectedLength = 0;
        foreach (var frame in frames)
        {
            encoder.Encode(frame, output);
            expectedLength += FrameEncoder.GetEncodedLength(frame, encoder.IsMasking);
        }

        Assert.True(output.WrittenCount == expectedLength, $"{context}: wrote {output.WrittenCount} bytes, GetEncodedLength says {expectedLength}");
        Assert.False(encoder.IsMessageInProgress, $"{context}: the encoder still has a message open");
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Feeds <paramref name="wire"/> to the decoder as it would come off a socket: in one to four arrivals, each
    /// read presenting the unconsumed bytes again plus the new ones (the PipeReader contract), cut into random
    /// segments with <see cref="Sequences.Split"/>.
    /// </summary>
    private static List<Frame> DecodeArriving(FrameDecoder decoder, byte[] wire, Random random, Coverage coverage, string context)
    {
        var arrivals = new SortedSet<int> { wire.Length };
        int extraArrivals = random.Next(4);
        for (int a = 0; a < extraArrivals; a++)
        {
            arrivals.Add(random.Next(1, wire.Length));
        }

        var frames = new List<Frame>();
        int consumed = 0;
        foreach (int arrived in arrivals)
        {
            var window = wire[consumed..arrived];
            var input = Sequences.Split(window, RandomCuts(random, window.Length));
            frames.AddRange(DecoderAssert.DecodeAvailable(decoder, input, out long step));
            consumed += (int)step;
            if (consumed < arrived)
            {
                coverage.IncompleteReads++;
            }
        }

        Assert.True(consumed == wire.Length, $"{context}: the decoder consumed {consumed} of {wire.Length} bytes");
        return frames;
    }

    /// <summary>Ascending distinct cut points in 1..length-1: none, a few, or (for short inputs) every one.</summary>
    private static List<int> RandomCuts(Random random, int length)
    {
        if (length < 2)
        {
            return [];
        }

        if (length <= 64 && random.Next(8) == 0)
        {
            return Enumerable.Range(1, length - 1).ToList();
        }

        var cuts = new SortedSet<int>();
        int count = random.Next(0, 9);
        for (int c = 0; c < count; c++)
        {
            // Half the cuts land in the first 16 bytes, where the headers and masking keys straddle segments.
            cuts.Add(random.Next(2) == 0 ? random.Next(1, Math.Min(length, 16)) : random.Next(1, length));
        }

        return cuts.ToList();
    }

    private static void AssertSameFrames(List<Frame> expected, List<Frame> actual, string context)
    {
        for (int k = 0; k < Math.Min(expected.Count, actual.Count); k++)
        {
            Assert.True(expected[k].Equals(actual[k]), $"{context}: frame {k} of {expected.Count}: expected {expected[k]}, got {actual[k]}");
        }

        Assert.True(expected.Count == actual.Count, $"{context}: expected {expected.Count} frames, got {actual.Count}");
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>
    /// Exactly <paramref name="length"/> bytes of well-formed UTF-8, cut from <see cref="s_textPool"/> at a random
    /// character boundary; a character that the cut would leave incomplete at the end becomes ASCII.
    /// </summary>
    private static byte[] RandomUtf8(Random random, int length)
    {
        var bytes = new byte[length];
        if (length == 0)
        {
            return bytes;
        }

        int start = random.Next(0, s_textPool.Length - length + 1);
        while (IsUtf8Continuation(s_textPool[start]))
        {
            start--;
        }

        s_textPool.AsSpan(start, length).CopyTo(bytes);

        // The slice starts on a character, so the last one starts within the last four bytes.
        int lead = length - 1;
        while (lead > 0 && lead > length - 4 && IsUtf8Continuation(bytes[lead]))
        {
            lead--;
        }

        if (lead + Utf8Width(bytes[lead]) > length)
        {
            for (int i = lead; i < length; i++)
            {
                bytes[i] = (byte)random.Next(0, 0x80);
            }
        }

        return bytes;
    }

    /// <summary>
    /// Random well-formed UTF-8 to cut text payloads from, built once: blocks of 4 KiB whose share of 2- to 4-byte
    /// characters varies from none (pure ASCII) to all.
    /// </summary>
    private static byte[] BuildTextPool()
    {
        var random = new Random(Seed);
        var pool = new byte[TextPoolLength];
        int i = 0;
        while (i < pool.Length)
        {
            int blockEnd = i + TextPoolBlockLength;
            int multiBytePercent = random.Next(0, 101);
            while (i < blockEnd && i < pool.Length)
            {
                int width = random.Next(100) < multiBytePercent ? random.Next(2, 5) : 1;
                var rune = RandomRune(random, Math.Min(width, pool.Length - i));
                i += rune.EncodeToUtf8(pool.AsSpan(i));
            }
        }

        return pool;
    }

    /// <summary>A scalar value whose UTF-8 form is <paramref name="width"/> bytes (RFC 3629 §3).</summary>
    private static Rune RandomRune(Random random, int width) => width switch
    {
        1 => new Rune(random.Next(0, 0x80)),
        2 => new Rune(random.Next(0x80, 0x800)),

        // U+D800–U+DFFF are surrogates, not scalar values; they have no UTF-8 form.
        3 => random.Next(2) == 0 ? new Rune(random.Next(0x800, 0xD800)) : new Rune(random.Next(0xE000, 0x10000)),
        _ => new Rune(random.Next(0x10000, 0x110000)),
    };

    private static bool IsUtf8Continuation(byte value) => (value & 0xC0) == 0x80;

    /// <summary>The length of the character that <paramref name="lead"/> starts (RFC 3629 §4).</summary>
    private static int Utf8Width(byte lead) => lead switch
    {
        < 0x80 => 1,
        < 0xE0 => 2,
        < 0xF0 => 3,
        _ => 4,
    };

    /// <summary>What the generated cases exercised, summed over a run.</summary>
    private sealed class Coverage
    {
        public HashSet<int> DataPayloadLengths { get; } = [];

        public int SplitCharacters { get; set; }

        public int ControlsInsideMessages { get; set; }

        public int CloseFrames { get; set; }

        public int FramesAfterClose { get; set; }

        public int Rsv1Messages { get; set; }

        public int IncompleteReads { get; set; }
    }
}
