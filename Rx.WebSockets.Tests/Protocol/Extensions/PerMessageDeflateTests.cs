using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Protocol.Extensions;
using Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Protocol.Extensions;

/// <summary>
/// RFC 7692 §6 and §7.2: the §7.2.3 examples byte for byte (compression, context takeover, stored, BFINAL and
/// two-block payloads, a fragmented message), RSV1 on the first frame only (§6.1), the 00 00 FF FF tail removed and
/// restored (§7.2.1, §7.2.2), no_context_takeover (§7.1.1), the inflated-size limit (decompression bomb, 1009),
/// corrupt data and inflated invalid UTF-8 (1007), and the runtime facts the codec relies on.
/// </summary>
public sealed class PerMessageDeflateTests
{
    private const string Hello = "Hello";

    // RFC 7692 §7.2.3.1: "Hello" compressed, as one unmasked frame from a server.
    private const string HelloFrame = "c1 07 f2 48 cd c9 c9 07 00";

    // RFC 7692 §7.2.3.2: the same message again, with the window of the first.
    private const string HelloAgainFrame = "c1 05 f2 00 11 00 00";

    private static readonly PerMessageDeflateParameters s_takeover = new();
    private static readonly PerMessageDeflateParameters s_noTakeover = new() { ServerNoContextTakeover = true, ClientNoContextTakeover = true };

    // ---- What the codec relies on, checked on this runtime ----

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(1000)]
    [InlineData(70_000)]
    public void DeflateStream_SyncFlushAfterEachMessage_EndsWithFlushMarker(int length)
    {
        var random = new Random(length);
        using var sink = new MemoryStream();
        using var deflate = new DeflateStream(sink, CompressionLevel.Optimal, leaveOpen: true);
        for (int message = 0; message < 3; message++)
        {
            var data = new byte[length];
            random.NextBytes(data.AsSpan(0, length / 2)); // half random, half zeros: both block kinds
            deflate.Write(data);
            deflate.Flush();
            Assert.True(sink.ToArray().AsSpan().EndsWith(DeflateCodec.FlushMarker), $"message {message}: {Hex.Format(sink.ToArray().AsSpan()[^Math.Min(8, (int)sink.Length)..])}");
            sink.SetLength(0);
        }
    }

    [Fact]
    public void DeflateStream_FlushWithNothingWritten_EmitsNothing()
    {
        // Why the codec writes RFC 7692 §7.2.3.6's single 00 itself for an empty final fragment.
        using var sink = new MemoryStream();
        using var deflate = new DeflateStream(sink, CompressionLevel.Optimal, leaveOpen: true);
        deflate.Write("Hello"u8);
        deflate.Flush();
        sink.SetLength(0);
        deflate.Write(ReadOnlySpan<byte>.Empty);
        deflate.Flush();
        Assert.Equal(0, sink.Length);
    }

    // ---- RFC 7692 §7.2.3 examples, sending ----

    [Fact]
    public void CompressMessage_Rfc7692Section7_2_3_1Hello_ExactBytes()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        Hex.AssertEqual(HelloFrame, EncodeServer(server.CompressMessage(Frame.Text(Hello))));
    }

    [Fact]
    public void CompressMessage_Rfc7692Section7_2_3_2HelloTwiceWithContextTakeover_SecondIsShorterExactBytes()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        Hex.AssertEqual(HelloFrame, EncodeServer(server.CompressMessage(Frame.Text(Hello))));
        Hex.AssertEqual(HelloAgainFrame, EncodeServer(server.CompressMessage(Frame.Text(Hello))));
        Assert.True(server.HoldsCompressor);
    }

    [Fact]
    public void CompressMessage_ServerNoContextTakeover_EveryMessageCompressedAlone()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters { ServerNoContextTakeover = true });
        for (int i = 0; i < 3; i++)
        {
            Hex.AssertEqual(HelloFrame, EncodeServer(server.CompressMessage(Frame.Text(Hello))));
            Assert.False(server.HoldsCompressor);
        }
    }

    [Fact]
    public void CompressMessage_ClientNoContextTakeoverOnServer_ServerKeepsItsWindow()
    {
        // RFC 7692 §7.1.1.2 binds the client's compressor only.
        using var server = new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters { ClientNoContextTakeover = true });
        server.CompressMessage(Frame.Text(Hello));
        Hex.AssertEqual(HelloAgainFrame, EncodeServer(server.CompressMessage(Frame.Text(Hello))));
    }

    [Fact]
    public void CompressMessage_NoCompressionLevel_Rfc7692Section7_2_3_3StoredBlock()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover, new PerMessageDeflateOptions { CompressionLevel = CompressionLevel.NoCompression });
        Hex.AssertEqual("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00", EncodeServer(server.CompressMessage(Frame.Text(Hello))));
    }

    [Fact]
    public void CompressMessage_BinaryMessage_KeepsOpcodeSetsRsv1AndFin()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        var compressed = server.CompressMessage(Frame.Binary("Hello"u8.ToArray()));
        Assert.IsType<BinaryFrame>(compressed);
        Assert.True(compressed.Rsv1);
        Assert.True(compressed.IsFinal);
        Hex.AssertEqual("f2 48 cd c9 c9 07 00", compressed.Payload.Span);
    }

    [Fact]
    public void CompressMessage_EmptyMessage_SentUncompressed()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        var empty = Frame.Text(string.Empty);
        Assert.Same(empty, server.CompressMessage(empty));
        Assert.False(server.HoldsCompressor);
    }

    [Theory]
    [InlineData(4, false)]
    [InlineData(5, true)]
    [InlineData(6, true)]
    public void CompressMessage_MinimumSizeToCompress_ShorterMessagesSentAsTheyAre(int length, bool compressed)
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover, new PerMessageDeflateOptions { MinimumSizeToCompress = 5 });
        var message = Frame.Binary(new byte[length]);
        var result = server.CompressMessage(message);
        Assert.Equal(compressed, result.Rsv1);
        Assert.Equal(compressed, !ReferenceEquals(message, result));
    }

    [Fact]
    public void CompressMessage_UncompressedMessageBetweenCompressedOnes_ContextUnaffected()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover, new PerMessageDeflateOptions { MinimumSizeToCompress = 3 });
        server.CompressMessage(Frame.Text(Hello));
        Assert.False(server.CompressMessage(Frame.Text("Hi")).Rsv1);
        Hex.AssertEqual(HelloAgainFrame, EncodeServer(server.CompressMessage(Frame.Text(Hello))));
    }

    [Fact]
    public void CompressMessage_Fragmented_Rsv1OnFirstFragmentOnly()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        var fragments = Fragmentation.Fragment(server.CompressMessage(Frame.Text(Hello)), 3).ToList();
        Assert.Equal(3, fragments.Count);
        Assert.True(fragments[0].Rsv1);
        Assert.All(fragments.Skip(1), f => Assert.False(f.Rsv1));
        Hex.AssertEqual("41 03 f2 48 cd 00 03 c9 c9 07 80 01 00", EncodeServer(fragments.ToArray()));
    }

    [Fact]
    public void Encode_MessageFragmentedByTheApplication_OneStreamRsv1OnFirstAndRoundTrips()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        var sent = new[]
        {
            server.Encode(Frame.Text("Hel", isFinal: false)),
            server.Encode(Frame.Continuation("lo"u8.ToArray(), isFinal: true)),
        };
        Assert.True(sent[0].Rsv1);
        Assert.False(sent[0].IsFinal);
        Assert.IsType<ContinuationFrame>(sent[1]);
        Assert.False(sent[1].Rsv1);

        // The context carries on into the next message.
        var next = server.Encode(Frame.Text(Hello));
        var received = ReceiveAllShapes(Side.Client, s_takeover, EncodeServer([.. sent, next]));
        Assert.Equal(Hello, Text(received.Take(2)));
        Assert.Equal(Hello, Text(received.Skip(2)));
    }

    [Fact]
    public void Encode_EmptyFinalFragment_SendsRfc7692Section7_2_3_6EmptyBlock()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        var sent = new[]
        {
            server.Encode(Frame.Text(Hello, isFinal: false)),
            server.Encode(Frame.Continuation(ReadOnlyMemory<byte>.Empty, isFinal: true)),
            server.Encode(Frame.Text(Hello)),
        };
        Hex.AssertEqual("00", sent[1].Payload.Span);
        var received = ReceiveAllShapes(Side.Client, s_takeover, EncodeServer(sent));
        Assert.Equal(Hello, Text(received.Take(2)));
        Assert.Equal(Hello, received[2].Payload.Span.ToArray().Utf8());
    }

    [Fact]
    public void Encode_AllFragmentsEmpty_EmptyMessageRoundTrips()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        var sent = new[]
        {
            server.Encode(Frame.Binary(ReadOnlyMemory<byte>.Empty, isFinal: false)),
            server.Encode(Frame.Continuation(ReadOnlyMemory<byte>.Empty, isFinal: true)),
            server.Encode(Frame.Binary("Hello"u8.ToArray())),
        };
        Assert.True(sent[0].Rsv1);
        var received = ReceiveAllShapes(Side.Client, s_takeover, EncodeServer(sent));
        Assert.Equal(0, received[0].Payload.Length + received[1].Payload.Length);
        Assert.Equal(Hello, received[2].Payload.Span.ToArray().Utf8());
    }

    [Fact]
    public void Encode_ControlFrame_PassesUnchanged()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        var ping = Frame.Ping("Hello"u8.ToArray());
        Assert.Same(ping, server.Encode(ping));
    }

    [Fact]
    public void Encode_OutOfOrderOrRsv1Set_Refused()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        Assert.Throws<InvalidOperationException>(() => server.Encode(Frame.Continuation("x"u8.ToArray(), isFinal: true)));
        Assert.Throws<ArgumentException>(() => server.Encode(Frame.Create(Opcode.Text, true, rsv1: true, false, false, "x"u8.ToArray())));
        Assert.Throws<ArgumentException>(() => server.CompressMessage(Frame.Text("x", isFinal: false)));
        server.Encode(Frame.Text("x", isFinal: false));
        Assert.Throws<InvalidOperationException>(() => server.Encode(Frame.Text("y")));
        Assert.Throws<InvalidOperationException>(() => server.CompressMessage(Frame.Text("y")));
    }

    // ---- RFC 7692 §7.2.3 examples, receiving (through the decoder, in every segment shape) ----

    [Theory]
    [InlineData(HelloFrame)]
    [InlineData("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00")] // §7.2.3.3: a stored (no compression) block
    [InlineData("c1 08 f3 48 cd c9 c9 07 00 00")] // §7.2.3.4: a block with BFINAL set
    [InlineData("c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00")] // §7.2.3.5: two blocks in one message
    public void Decode_Rfc7692Section7_2_3Examples_Hello(string wire)
    {
        var frames = ReceiveAllShapes(Side.Client, s_takeover, Hex.Parse(wire));
        var frame = Assert.Single(frames);
        Assert.Equal(Frame.Text(Hello), frame);
    }

    [Fact]
    public void Decode_Rfc7692Section7_2_3_2TwoMessagesWithContextTakeover_HelloTwice()
    {
        var frames = ReceiveAllShapes(Side.Client, s_takeover, Hex.Parse(HelloFrame + " " + HelloAgainFrame));
        Assert.Equal([Frame.Text(Hello), Frame.Text(Hello)], frames);
    }

    [Fact]
    public void Decode_Rfc7692Section7_2_3_1FragmentedMessage_InflatedAcrossFragments()
    {
        // RFC 7692 §7.2.3.1: "41 03 f2 48 cd" then "80 04 c9 c9 07 00".
        var frames = ReceiveAllShapes(Side.Client, s_takeover, Hex.Parse("41 03 f2 48 cd 80 04 c9 c9 07 00"));
        Assert.Equal(2, frames.Count);
        Assert.IsType<TextFrame>(frames[0]);
        Assert.False(frames[0].IsFinal);
        Assert.IsType<ContinuationFrame>(frames[1]);
        Assert.True(frames[1].IsFinal);
        Assert.All(frames, f => Assert.False(f.Rsv1));
        Assert.Equal(Hello, Text(frames));
    }

    [Fact]
    public void Decode_FragmentedWithPingBetween_PingPassesAndMessageInflates()
    {
        var wire = Hex.Parse("41 03 f2 48 cd 89 02 68 69 80 04 c9 c9 07 00");
        var frames = ReceiveAllShapes(Side.Client, s_takeover, wire);
        Assert.Equal(Frame.Ping("hi"u8.ToArray()), frames[1]);
        Assert.Equal(Hello, Text([frames[0], frames[2]]));
    }

    [Fact]
    public void Decode_BfinalMessageThenAnother_NewStreamForTheNext()
    {
        // After a BFINAL block the DEFLATE stream is over; the next message starts a new one.
        var frames = ReceiveAllShapes(Side.Client, s_takeover, Hex.Parse("c1 08 f3 48 cd c9 c9 07 00 00 " + HelloFrame));
        Assert.Equal([Frame.Text(Hello), Frame.Text(Hello)], frames);
    }

    [Theory]
    [InlineData("c1 0b f3 48 cd c9 c9 07 00 00 e1 e1 e1")] // the bytes after the final block in the same frame
    [InlineData("41 08 f3 48 cd c9 c9 07 00 00 00 00 80 03 e1 e1 e1")] // the same bytes in a continuation frame
    [InlineData("41 08 f3 48 cd c9 c9 07 00 00 00 03 e1 e1 e1 80 00")] // ... in a middle fragment
    public void Decode_DataAfterBfinalInSameMessage_IgnoredWhateverTheFragmentation(string wire)
    {
        // Fuzzing finding (fuzz/README.md, target inflate): bytes after a BFINAL block were ignored when they shared
        // its frame but inflated as a new stream, failing with 1007, when they came in a later fragment. Either way
        // they are not part of the DEFLATE stream; the next message still starts a new one.
        var frames = ReceiveAllShapes(Side.Client, s_takeover, Hex.Parse(wire + " " + HelloFrame));
        Assert.Equal(Hello, Text(frames.Take(frames.Count - 1)));
        Assert.Equal(Frame.Text(Hello), frames[^1]);
    }

    [Theory]
    [InlineData("c1 02 03 00")] // an empty message made of one empty final block (what DeflateStream.Dispose emits)
    [InlineData("41 02 03 00 80 00")] // the same, then an empty final fragment
    [InlineData("41 01 03 80 01 00")] // the final block split across fragments
    public void Decode_EmptyFinalBlockThenAnotherMessage_NextMessageInflated(string wire)
    {
        // Fuzzing finding (fuzz/README.md, target inflate): a BFINAL block that produced no output in the read that
        // fetched it was not seen as the end of the stream, and the finished stream then inflated every later
        // message of the connection to nothing.
        var frames = ReceiveAllShapes(Side.Client, s_takeover, Hex.Parse(wire + " " + HelloFrame + " " + HelloFrame));
        Assert.All(frames.Take(frames.Count - 2), f => Assert.True(f.Payload.IsEmpty));
        Assert.Equal([Frame.Text(Hello), Frame.Text(Hello)], frames.TakeLast(2));
    }

    [Theory]
    [InlineData("c1 00")] // nothing at all
    [InlineData("c1 01 00")] // what the .NET runtime sends: RFC 7692 §7.2.3.6's empty block
    [InlineData("41 00 80 00")] // fragmented, both fragments empty
    public void Decode_EmptyCompressedMessageBetweenOthers_EmptyAndContextIntact(string empty)
    {
        var frames = ReceiveAllShapes(Side.Client, s_takeover, Hex.Parse(HelloFrame + " " + empty + " " + HelloAgainFrame));
        Assert.Equal(Hello, frames[0].Payload.Span.ToArray().Utf8());
        Assert.All(frames.Skip(1).Take(frames.Count - 2), f => Assert.True(f.Payload.IsEmpty));
        Assert.Equal(Frame.Text(Hello), frames[^1]);
    }

    [Fact]
    public void Decode_UncompressedMessages_PassUnchanged()
    {
        using var client = new PerMessageDeflateExtension(Side.Client, s_takeover);
        var text = Frame.Text("plain");
        var first = Frame.Binary("a"u8.ToArray(), isFinal: false);
        var last = Frame.Continuation("b"u8.ToArray(), isFinal: true);
        Assert.Same(text, client.Decode(text));
        Assert.Same(first, client.Decode(first));
        Assert.Same(last, client.Decode(last));
        Assert.False(client.HoldsDecompressor);
    }

    [Fact]
    public void Decode_ClientNoContextTakeover_ServerDropsDecompressorBetweenMessages()
    {
        var parameters = new PerMessageDeflateParameters { ClientNoContextTakeover = true };
        using var client = new PerMessageDeflateExtension(Side.Client, parameters);
        using var server = new PerMessageDeflateExtension(Side.Server, parameters);
        for (int i = 0; i < 3; i++)
        {
            // The client compresses each message alone, so each is the §7.2.3.1 payload.
            var sent = client.CompressMessage(Frame.Text(Hello));
            Hex.AssertEqual("f2 48 cd c9 c9 07 00", sent.Payload.Span);
            Assert.Equal(Frame.Text(Hello), server.Decode(sent));
            Assert.False(server.HoldsDecompressor);
        }
    }

    // ---- Round trips ----

    public static TheoryData<bool, int> RoundTripCases => new()
    {
        { false, int.MaxValue },
        { false, 1000 },
        { false, 7 },
        { true, int.MaxValue },
        { true, 1000 },
        { true, 7 },
    };

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void RoundTrip_MessagesBothWays_InflateToWhatWasSent(bool noContextTakeover, int fragmentSize)
    {
        var parameters = noContextTakeover ? s_noTakeover : s_takeover;
        using var serverSide = new PerMessageDeflateExtension(Side.Server, parameters, limits: DecoderAssert.Unlimited);
        using var clientSide = new PerMessageDeflateExtension(Side.Client, parameters, limits: DecoderAssert.Unlimited);
        var serverDecoder = new FrameDecoder(Side.Server, DecoderAssert.Unlimited) { AllowRsv1OnFirstDataFrame = true };
        var clientDecoder = new FrameDecoder(Side.Client, DecoderAssert.Unlimited) { AllowRsv1OnFirstDataFrame = true };
        var serverEncoder = new FrameEncoder(Side.Server);
        var clientEncoder = new FrameEncoder(Side.Client, new FixedMaskKeySource(DecoderAssert.Rfc6455MaskKey));
        var random = new Random(fragmentSize);

        foreach (var message in SampleMessages(random))
        {
            Assert.Equal(message, Transfer(message, serverSide, serverEncoder, clientDecoder, clientSide, fragmentSize));
            Assert.Equal(message, Transfer(message, clientSide, clientEncoder, serverDecoder, serverSide, fragmentSize));
        }
    }

    [Fact]
    public void RoundTrip_RepetitiveJson_CompressesWellAndBetterWithContext()
    {
        const string Json = "{\"type\":\"tick\",\"symbol\":\"ABC\",\"price\":123.45,\"volume\":1000,\"ts\":1700000000}";
        using var takeover = new PerMessageDeflateExtension(Side.Server, s_takeover);
        using var alone = new PerMessageDeflateExtension(Side.Server, s_noTakeover);
        long original = 0, withContext = 0, withoutContext = 0;
        for (int i = 0; i < 50; i++)
        {
            var message = Frame.Text(Json.Replace("123.45", (100 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
            original += message.Payload.Length;
            withContext += takeover.CompressMessage(message).Payload.Length;
            withoutContext += alone.CompressMessage(message).Payload.Length;
        }

        Assert.True(withoutContext < original, $"{withoutContext} >= {original}");
        Assert.True(withContext * 3 < withoutContext, $"context takeover {withContext} vs {withoutContext} without");
    }

    // ---- Limits and failures ----

    [Fact]
    public void Decode_DecompressionBomb_1009WithoutAllocatingTheOutput()
    {
        // 10 MB of zeros compress to about 10 KB: one frame, well under MaxFrameSize, that would inflate to 10 MB.
        byte[] bombPayload;
        using (var client = new PerMessageDeflateExtension(Side.Client, s_takeover, limits: DecoderAssert.Unlimited))
        {
            bombPayload = client.CompressMessage(Frame.Binary(new byte[10_000_000])).Payload.ToArray();
        }

        Assert.True(bombPayload.Length < 20_000, $"{bombPayload.Length} bytes");
        var bomb = Frame.Create(Opcode.Binary, true, rsv1: true, false, false, bombPayload);
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover, limits: FrameLimits.Default);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var exception = Assert.Throws<FrameTooBigException>(() => server.Decode(bomb));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(CloseCode.TooBig, exception.CloseCode);
        Assert.Equal(FrameLimits.DefaultMaxMessageSize, exception.Limit);
        Assert.True(exception.Size > exception.Limit);

        // The inflate buffer stops at the 1 MiB limit: pooled arrays up to that size, at most about twice it in all.
        Assert.True(allocated < 3 * FrameLimits.DefaultMaxMessageSize, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Decode_BombSpreadOverFragments_LimitIsPerMessage()
    {
        using var client = new PerMessageDeflateExtension(Side.Client, s_takeover, limits: DecoderAssert.Unlimited);
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover, limits: new FrameLimits { MaxMessageSize = 1000 });
        var fragments = new[]
        {
            client.Encode(Frame.Binary(new byte[600], isFinal: false)),
            client.Encode(Frame.Continuation(new byte[600], isFinal: true)),
        };
        server.Decode(fragments[0]);
        var exception = Assert.Throws<FrameTooBigException>(() => server.Decode(fragments[1]));
        Assert.Equal(1000, exception.Limit);
    }

    [Fact]
    public void Decode_MessageExactlyAtTheLimit_Accepted()
    {
        using var client = new PerMessageDeflateExtension(Side.Client, s_takeover);
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover, limits: new FrameLimits { MaxMessageSize = 5000 });
        var message = Frame.Binary(Enumerable.Range(0, 5000).Select(i => (byte)(i % 7)).ToArray());
        Assert.Equal(message, server.Decode(client.CompressMessage(message)));
        Assert.Equal(message, server.Decode(client.CompressMessage(message)));
    }

    [Theory]
    [InlineData("c2 03 ff ff ff")] // block type 11 is reserved (RFC 1951 §3.2.3)
    [InlineData("c2 05 00 05 00 00 00")] // a stored block whose LEN and NLEN disagree
    [InlineData("c2 05 f2 00 11 00 00")] // §7.2.3.2's second message without the first: a distance too far back
    public void Decode_CorruptDeflateData_Fails1007(string wire)
    {
        FailsAllShapes(Side.Client, s_takeover, Hex.Parse(wire), CloseCode.NotConsistent);
    }

    [Fact]
    public void Decode_InflatedTextNotUtf8_Fails1007()
    {
        using var client = new PerMessageDeflateExtension(Side.Client, s_takeover);
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        var invalid = client.CompressMessage(Frame.Text(new byte[] { 0x48, 0xC3, 0x28 }));
        var exception = Assert.Throws<WebSocketProtocolException>(() => server.Decode(invalid));
        Assert.Equal(CloseCode.NotConsistent, exception.CloseCode);
    }

    [Fact]
    public void Decode_InflatedTextEndsMidCharacter_Fails1007ButSplitAcrossFragmentsIsFine()
    {
        using var client = new PerMessageDeflateExtension(Side.Client, s_takeover);
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        byte[] euro = [0xE2, 0x82, 0xAC];

        // A character split between two fragments inflates and validates across them.
        server.Decode(client.Encode(Frame.Text(euro.AsMemory(0, 1), isFinal: false)));
        var end = server.Decode(client.Encode(Frame.Continuation(euro.AsMemory(1), isFinal: true)));
        Hex.AssertEqual("82 AC", end.Payload.Span);

        var cut = client.CompressMessage(Frame.Text(euro.AsMemory(0, 2)));
        var exception = Assert.Throws<WebSocketProtocolException>(() => server.Decode(cut));
        Assert.Equal(CloseCode.NotConsistent, exception.CloseCode);
    }

    [Fact]
    public void Decode_InflatedBinaryWithAnyBytes_NotValidated()
    {
        using var client = new PerMessageDeflateExtension(Side.Client, s_takeover);
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        var binary = Frame.Binary(new byte[] { 0xFF, 0xC3, 0x28 });
        Assert.Equal(binary, server.Decode(client.CompressMessage(binary)));
    }

    [Fact]
    public void Decoder_Rsv1OnControlOrContinuationFrame_Fails1002()
    {
        // RFC 7692 §6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and non-first
        // fragments of a data message. An endpoint receiving such a frame MUST _Fail the WebSocket Connection_."
        FailsAllShapes(Side.Client, s_takeover, Hex.Parse("c9 00"), CloseCode.ProtocolError);
        FailsAllShapes(Side.Client, s_takeover, Hex.Parse("41 03 f2 48 cd c0 04 c9 c9 07 00"), CloseCode.ProtocolError);
        FailsAllShapes(Side.Client, s_takeover, Hex.Parse("01 01 48 c0 01 65"), CloseCode.ProtocolError);
    }

    [Fact]
    public void Decode_Rsv1OnContinuationFrameObject_Fails1002()
    {
        using var client = new PerMessageDeflateExtension(Side.Client, s_takeover);
        client.Decode(Frame.Create(Opcode.Text, false, rsv1: true, false, false, Hex.Parse("f2 48 cd")));
        var exception = Assert.Throws<WebSocketProtocolException>(
            () => client.Decode(Frame.Create(Opcode.Continuation, true, rsv1: true, false, false, Hex.Parse("c9 c9 07 00"))));
        Assert.Equal(CloseCode.ProtocolError, exception.CloseCode);
    }

    [Fact]
    public void Decode_OutOfOrderFrames_Fails1002()
    {
        using var client = new PerMessageDeflateExtension(Side.Client, s_takeover);
        Assert.Equal(CloseCode.ProtocolError, Assert.Throws<WebSocketProtocolException>(() => client.Decode(Frame.Continuation("x"u8.ToArray(), true))).CloseCode);
        client.Decode(Frame.Text("x", isFinal: false));
        Assert.Equal(CloseCode.ProtocolError, Assert.Throws<WebSocketProtocolException>(() => client.Decode(Frame.Text("y"))).CloseCode);
    }

    // ---- Construction ----

    [Fact]
    public void Constructor_AgreementLimitsOwnSendWindow_AcceptedThroughSystemZLibButNotAtEightBits()
    {
        // 9–14 bits compress through the system zlib (WindowBitsTests checks the bytes); 8 cannot be honoured.
        var limited = new PerMessageDeflateParameters { ServerMaxWindowBits = 10, ClientMaxWindowBits = 12 };
        using (var limitedServer = new PerMessageDeflateExtension(Side.Server, limited))
        using (var limitedClient = new PerMessageDeflateExtension(Side.Client, limited))
        {
            Assert.Equal(Frame.Text(Hello), limitedClient.Decode(limitedServer.CompressMessage(Frame.Text(Hello))));
        }

        var eight = new PerMessageDeflateParameters { ServerMaxWindowBits = 8, ClientMaxWindowBits = 8 };
        Assert.Throws<ArgumentException>(() => new PerMessageDeflateExtension(Side.Server, eight));
        Assert.Throws<ArgumentException>(() => new PerMessageDeflateExtension(Side.Client, eight));

        // Only the receiving end's window is limited: any window inflates with 15 bits.
        using var server = new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters { ClientMaxWindowBits = 9 });
        using var client = new PerMessageDeflateExtension(Side.Client, new PerMessageDeflateParameters { ServerMaxWindowBits = 9 });
        Assert.Equal("permessage-deflate; client_max_window_bits=9", server.Agreement.ToString());
    }

    [Fact]
    public void Options_Defaults_AsDocumented()
    {
        var options = new PerMessageDeflateOptions();
        Assert.False(options.ServerNoContextTakeover);
        Assert.False(options.ClientNoContextTakeover);
        Assert.Equal(CompressionLevel.Optimal, options.CompressionLevel);
        Assert.Equal(0, options.MinimumSizeToCompress);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MinimumSizeToCompress = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.CompressionLevel = (CompressionLevel)42);
        var copy = new PerMessageDeflateOptions { ServerNoContextTakeover = true, MinimumSizeToCompress = 9, CompressionLevel = CompressionLevel.Fastest }.Clone();
        Assert.True(copy.ServerNoContextTakeover);
        Assert.Equal(9, copy.MinimumSizeToCompress);
        Assert.Equal(CompressionLevel.Fastest, copy.CompressionLevel);
    }

    [Fact]
    public void Dispose_ThenUse_Throws()
    {
        var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        server.CompressMessage(Frame.Text(Hello));
        server.Dispose();
        Assert.Throws<ObjectDisposedException>(() => server.CompressMessage(Frame.Text(Hello)));
        Assert.Throws<ObjectDisposedException>(() => server.Decode(Frame.Create(Opcode.Text, true, rsv1: true, false, false, Hex.Parse("f2 48 cd c9 c9 07 00"))));
    }

    // ---- Interop with the .NET runtime's own permessage-deflate (ManagedWebSocket) ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Interop_RuntimeClientWebSocket_MessagesBothWaysInflate(bool noContextTakeover)
    {
        // What ClientWebSocket offers with these DangerousDeflateOptions, negotiated by our server.
        var deflateOptions = new WebSocketDeflateOptions { ClientContextTakeover = !noContextTakeover, ServerContextTakeover = !noContextTakeover };
        string offer = "permessage-deflate; client_max_window_bits" + (noContextTakeover ? "; client_no_context_takeover; server_no_context_takeover" : string.Empty);
        Assert.True(ExtensionHeader.TryParseList(offer, out var offers));
        var agreed = Negotiator.Negotiate(offers, new PerMessageDeflateOptions());
        Assert.NotNull(agreed);
        using var server = new PerMessageDeflateExtension(Side.Server, agreed, limits: DecoderAssert.Unlimited);
        var messages = SampleMessages(new Random(7)).ToList();

        // Server → runtime client.
        var toClient = new ArrayBufferWriter<byte>();
        var encoder = new FrameEncoder(Side.Server);
        foreach (var message in messages)
        {
            foreach (var fragment in Fragmentation.Fragment(server.CompressMessage(message), 4096))
            {
                encoder.Encode(fragment, toClient);
            }
        }

        using var transport = new DuplexTestStream(toClient.WrittenSpan.ToArray());
        using var client = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions
        {
            IsServer = false,
            KeepAliveInterval = TimeSpan.Zero,
            DangerousDeflateOptions = deflateOptions,
        });
        var buffer = new byte[300_000];
        foreach (var message in messages)
        {
            int length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await client.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                length += result.Count;
            }
            while (!result.EndOfMessage);
            Assert.Equal(message.Opcode == Opcode.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary, result.MessageType);
            Assert.True(message.Payload.Span.SequenceEqual(buffer.AsSpan(0, length)), $"{message} differs after the runtime inflated it");
        }

        // Runtime client → server.
        foreach (var message in messages)
        {
            var type = message.Opcode == Opcode.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
            await client.SendAsync(message.Payload, type, WebSocketMessageFlags.EndOfMessage, CancellationToken.None);
        }

        var decoder = new FrameDecoder(Side.Server, DecoderAssert.Unlimited) { AllowRsv1OnFirstDataFrame = true };
        var wire = DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(transport.Written), out _);
        Assert.Contains(wire, f => f.Rsv1);
        var received = wire.Select(server.Decode).ToList();
        Assert.Equal(messages, received);
    }

    // ---- Allocations ----

    [Fact]
    public void CompressAndDecompress_16KiBMessagesAfterWarmUp_AllocateLittleBeyondTheirOutput()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, s_takeover);
        using var client = new PerMessageDeflateExtension(Side.Client, s_takeover);
        var messages = Enumerable.Range(0, 8).Select(i => Frame.Text(JsonLike(16 * 1024, i))).ToList();
        foreach (var message in messages)
        {
            client.Decode(server.CompressMessage(message));
        }

        // ArrayPool.Shared trims its buckets when a GC sees memory pressure (other tests allocate megabytes), so a
        // round may have to rent afresh; a round without any excess allocation is what shows the steady state.
        const int Overhead = 1024; // frame objects, the pooled writer object
        var excess = new List<string>();
        for (int round = 0; round < 3; round++)
        {
            excess.Clear();
            foreach (var message in messages)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                var compressed = server.CompressMessage(message);
                long compressAllocated = GC.GetAllocatedBytesForCurrentThread() - before;

                before = GC.GetAllocatedBytesForCurrentThread();
                var inflated = client.Decode(compressed);
                long inflateAllocated = GC.GetAllocatedBytesForCurrentThread() - before;

                Assert.Equal(message, inflated);
                if (compressAllocated >= compressed.Payload.Length + Overhead)
                {
                    excess.Add($"compress allocated {compressAllocated} for {compressed.Payload.Length} bytes");
                }

                if (inflateAllocated >= message.Payload.Length + Overhead)
                {
                    excess.Add($"inflate allocated {inflateAllocated} for {message.Payload.Length} bytes");
                }
            }

            if (excess.Count == 0)
            {
                return;
            }
        }

        Assert.Fail(string.Join("; ", excess));
    }

    // ---- Helpers ----

    private static byte[] EncodeServer(params Frame[] frames)
    {
        var encoder = new FrameEncoder(Side.Server);
        var output = new ArrayBufferWriter<byte>();
        foreach (var frame in frames)
        {
            encoder.Encode(frame, output);
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes <paramref name="wire"/> with a decoder that allows RSV1 on first frames and a fresh extension, in every
    /// segment shape and arriving byte by byte; all must agree. Returns the frames after the extension.
    /// </summary>
    private static List<Frame> ReceiveAllShapes(Side side, PerMessageDeflateParameters parameters, byte[] wire, FrameLimits? limits = null)
    {
        limits ??= FrameLimits.Default;
        List<Frame>? first = null;
        var shapes = Sequences.AllShapes(wire).Select(s => (s.Name, Frames: Receive(s.Sequence)))
            .Append(("arriving byte by byte", Arrive()));
        foreach (var (name, frames) in shapes)
        {
            first ??= frames;
            Assert.True(first.SequenceEqual(frames), $"{name}: [{string.Join(", ", frames)}] differs from [{string.Join(", ", first)}]");
        }

        return first!;

        List<Frame> Receive(ReadOnlySequence<byte> sequence)
        {
            var decoder = new FrameDecoder(side, limits) { AllowRsv1OnFirstDataFrame = true };
            using var extension = new PerMessageDeflateExtension(side, parameters, limits: limits);
            var frames = DecoderAssert.DecodeAvailable(decoder, sequence, out long consumed).Select(extension.Decode).ToList();
            Assert.Equal(wire.Length, consumed);
            return frames;
        }

        List<Frame> Arrive()
        {
            var decoder = new FrameDecoder(side, limits) { AllowRsv1OnFirstDataFrame = true };
            using var extension = new PerMessageDeflateExtension(side, parameters, limits: limits);
            return DecoderAssert.Arrive(decoder, wire, out _).Select(extension.Decode).ToList();
        }
    }

    /// <summary>Asserts that receiving <paramref name="wire"/> fails the connection with <paramref name="code"/> in every shape.</summary>
    private static void FailsAllShapes(Side side, PerMessageDeflateParameters parameters, byte[] wire, CloseCode code)
    {
        foreach (var (name, sequence) in Sequences.AllShapes(wire))
        {
            var decoder = new FrameDecoder(side, FrameLimits.Default) { AllowRsv1OnFirstDataFrame = true };
            using var extension = new PerMessageDeflateExtension(side, parameters);
            var exception = Record.Exception(() =>
            {
                var reader = new SequenceReader<byte>(sequence);
                while (decoder.TryDecode(ref reader, out var frame) == OperationStatus.Done)
                {
                    extension.Decode(frame!);
                }
            });
            var protocolException = Assert.IsAssignableFrom<WebSocketProtocolException>(exception);
            Assert.True(code == protocolException.CloseCode, $"{name}: {protocolException.CloseCode} instead of {code}: {protocolException.Message}");
        }
    }

    /// <summary>Sends one message through extension, fragmentation, encoder, wire, decoder and extension; returns it reassembled.</summary>
    private static Frame Transfer(DataFrame message, PerMessageDeflateExtension sender, FrameEncoder encoder, FrameDecoder decoder, PerMessageDeflateExtension receiver, int fragmentSize)
    {
        var wire = new ArrayBufferWriter<byte>();
        foreach (var fragment in Fragmentation.Fragment(sender.CompressMessage(message), fragmentSize))
        {
            encoder.Encode(fragment, wire);
        }

        var frames = DecoderAssert.DecodeAvailable(decoder, new ReadOnlySequence<byte>(wire.WrittenMemory), out long consumed).Select(receiver.Decode).ToList();
        Assert.Equal(wire.WrittenCount, consumed);
        var payload = frames.SelectMany(f => f.Payload.ToArray()).ToArray();
        return Frame.Create(frames[0].Opcode, isFinal: true, frames[0].Rsv1, false, false, payload);
    }

    internal static IEnumerable<DataFrame> SampleMessages(Random random)
    {
        foreach (int length in new[] { 1, 5, 100, 1000, 16 * 1024, 70_000, 200_000 })
        {
            yield return Frame.Text(JsonLike(length, length));
            var noise = new byte[length];
            random.NextBytes(noise);
            yield return Frame.Binary(noise);
            yield return Frame.Binary(new byte[length]);
        }

        yield return Frame.Text(string.Concat(Enumerable.Repeat("ü€𝄞", 3000)));
        yield return Frame.Text(Hello);
    }

    internal static string JsonLike(int length, int seed)
    {
        var random = new Random(seed);
        var builder = new StringBuilder(length + 100);
        int i = 0;
        while (builder.Length < length)
        {
            builder.Append("{\"id\":").Append(i++).Append(",\"name\":\"user").Append(random.Next(1000)).Append("\",\"score\":")
                .Append(random.Next(100000)).Append(",\"tags\":[\"a\",\"b\"]},");
        }

        return builder.ToString(0, length);
    }

    private static string Text(IEnumerable<Frame> frames) => Encoding.UTF8.GetString(frames.SelectMany(f => f.Payload.ToArray()).ToArray());
}

/// <summary>Small conveniences for the deflate tests.</summary>
internal static class DeflateTestExtensions
{
    public static string Utf8(this byte[] bytes) => Encoding.UTF8.GetString(bytes);
}

/// <summary>A stream whose reads come from fixed bytes and whose writes are collected: one end of a connection.</summary>
internal sealed class DuplexTestStream : Stream
{
    private readonly MemoryStream _incoming;
    private readonly MemoryStream _outgoing = new();

    public DuplexTestStream(byte[] incoming) => _incoming = new MemoryStream(incoming);

    public byte[] Written => _outgoing.ToArray();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => _incoming.Read(buffer, offset, count);

    public override void Write(byte[] buffer, int offset, int count) => _outgoing.Write(buffer, offset, count);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _incoming.Dispose();
            _outgoing.Dispose();
        }

        base.Dispose(disposing);
    }
}
