using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.WebSockets;
using System.Reactive.Threading.Tasks;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;
using Rx.WebSockets.Tests.Interop;
using Rx.WebSockets.Tests.TestSupport;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Protocol.Extensions;

/// <summary>
/// RFC 7692 §7.1.2.1 and §7.1.2.2: with <c>server_max_window_bits=N</c> agreed, the server "MUST NOT use an LZ77
/// sliding window size greater than" 2^N bytes. Checked against independent inflaters limited to N bits (Debian's
/// python3 zlib, and the .NET runtime's ManagedWebSocket), which fail with "invalid distance too far back" when a
/// message refers further back than their window; and the other way, streams that python's zlib compressed at N bits
/// inflate here. 8 bits cannot be honoured (zlib's raw deflate refuses it) and is refused.
/// </summary>
public sealed class WindowBitsTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";

    // Inflates (or compresses) one message per line of hex, in order, with one zlib object of -N bits: the peer's
    // half of a connection with context takeover. Prints one line of hex per message.
    private const string PythonScript = """
        import sys, zlib
        mode, bits, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        messages = [bytes.fromhex(line) for line in open(path).read().split()]
        out = []
        if mode == "inflate":
            d = zlib.decompressobj(-bits)
            for m in messages:
                out.append(d.decompress(m + b"\x00\x00\xff\xff").hex())
        else:
            c = zlib.compressobj(6, zlib.DEFLATED, -bits)
            for m in messages:
                b = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)
                assert b.endswith(b"\x00\x00\xff\xff")
                out.append(b[:-4].hex())
        print("\n".join(out))
        """;

    // 600 random bytes, twice: the second copy can only be matched 600 bytes back, beyond a 9-bit (512-byte) window.
    private static readonly byte[] s_noise = RandomBytes(600, seed: 600);

    public static TheoryData<int> AllWindows => new() { 9, 10, 11, 12, 13, 14, 15 };

    [Theory]
    [MemberData(nameof(AllWindows))]
    public async Task ServerCompressesAtNBits_PythonZlibInflatingAtNBits_GetsEveryMessage(int bits)
    {
        var messages = Messages();
        using var server = new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters { ServerMaxWindowBits = bits });
        var compressed = messages.Select(m => server.CompressMessage(Frame.Binary(m))).ToList();
        Assert.All(compressed, f => Assert.True(f.Rsv1));

        var result = await RunPythonAsync("inflate", bits, compressed.Select(f => f.Payload.ToArray()));
        Assert.True(result.ExitCode == 0, $"python zlib at -{bits} refused our stream: {result}");
        Assert.Equal(messages.Select(m => Hex(m)), Lines(result));
    }

    [Theory]
    [MemberData(nameof(AllWindows))]
    public async Task PythonZlibCompressesAtNBits_ServerInflates_EveryMessage(int bits)
    {
        var messages = Messages();
        var result = await RunPythonAsync("deflate", bits, messages);
        Assert.True(result.ExitCode == 0, result.ToString());

        // The client's window, whatever it is, is read by the server's 15-bit inflater.
        using var server = new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters { ClientMaxWindowBits = bits });
        var inflated = Lines(result).Select(h => server.Decode(Frame.Create(Opcode.Binary, true, rsv1: true, false, false, Convert.FromHexString(h))).Payload.ToArray());
        Assert.Equal(messages.Select(m => Hex(m)), inflated.Select(Hex));
    }

    // The control that shows the tests above can fail: a stream made with a 15-bit window (as before ADR 0006) is
    // refused by python's zlib at 9 bits, at the message that refers 600 bytes back.
    [Fact]
    public async Task PythonZlibAt9Bits_FifteenBitStream_RefusedTooFarBack()
    {
        using var server = new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters());
        var compressed = Messages().Select(m => server.CompressMessage(Frame.Binary(m)).Payload.ToArray()).ToList();

        var result = await RunPythonAsync("inflate", 9, compressed);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("invalid distance too far back", result.Stderr, StringComparison.Ordinal);
    }

    // In-process evidence of the window: at 9 bits the repeated 600 bytes cannot refer back to the first copy and
    // cost as much again; from 10 bits they shrink to a few bytes.
    [Theory]
    [MemberData(nameof(AllWindows))]
    public void Compress_RepeatAt600Bytes_MatchedOnlyWhenTheWindowReaches(int bits)
    {
        using var server = new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters { ServerMaxWindowBits = bits });
        int first = server.CompressMessage(Frame.Binary(s_noise)).Payload.Length;
        int second = server.CompressMessage(Frame.Binary(s_noise)).Payload.Length;
        if (bits == 9)
        {
            Assert.True(second > 550, $"second copy {second} bytes at 9 bits: it referred beyond the 512-byte window");
        }
        else
        {
            Assert.True(second < 32, $"second copy {second} bytes at {bits} bits (first {first})");
        }
    }

    [Theory]
    [InlineData(9)]
    [InlineData(12)]
    [InlineData(15)]
    public async Task ServerCompressesAtNBits_RuntimeClientWebSocketWithThatWindow_ReceivesEveryMessage(int bits)
    {
        var messages = Messages().Concat(PerMessageDeflateTests.SampleMessages(new Random(bits)).Select(m => m.Payload.ToArray())).ToList();
        using var server = new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters { ServerMaxWindowBits = bits }, limits: DecoderAssert.Unlimited);
        var wire = new ArrayBufferWriter<byte>();
        var encoder = new FrameEncoder(Side.Server);
        foreach (var message in messages)
        {
            encoder.Encode(server.CompressMessage(Frame.Binary(message)), wire);
        }

        using var transport = new DuplexTestStream(wire.WrittenSpan.ToArray());
        using var client = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions
        {
            IsServer = false,
            KeepAliveInterval = TimeSpan.Zero,

            // The runtime's inflater is set up with exactly this window.
            DangerousDeflateOptions = new WebSocketDeflateOptions { ServerMaxWindowBits = bits },
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
            Assert.True(message.AsSpan().SequenceEqual(buffer.AsSpan(0, length)), $"a {message.Length}-byte message differs");
        }
    }

    // End to end through the HTTP engine: ClientWebSocket offers "client_max_window_bits=15; server_max_window_bits=N",
    // the server answers the same N (RFC 7692 §7.1.2.1), and the runtime's client inflates with that window.
    [Theory]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(14)]
    public async Task ClientWebSocketOffersServerWindow_ServerAnswersItAndEchoesWithinIt(int bits)
    {
        await using var server = LoopbackServer.Start(async exchange =>
        {
            var session = await exchange.AcceptWebSocketAsync(new WebSocketOptions { Compression = new PerMessageDeflateOptions() });
            await Rx.WebSockets.Session.WebSocketSessionExtensions.Run(session, frames => frames).ToTask();
        });
        using var client = new ClientWebSocket();
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions { ServerMaxWindowBits = bits };
        client.Options.CollectHttpResponseDetails = true;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.EndPoint.Port}/"), cts.Token);

        Assert.Equal($"permessage-deflate; server_max_window_bits={bits}", Assert.Single(client.HttpResponseHeaders!["Sec-WebSocket-Extensions"]));
        var buffer = new byte[64 * 1024];
        foreach (var message in Messages())
        {
            await client.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cts.Token);
            int length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await client.ReceiveAsync(buffer.AsMemory(length), cts.Token);
                length += result.Count;
            }
            while (!result.EndOfMessage);
            Assert.True(message.AsSpan().SequenceEqual(buffer.AsSpan(0, length)), $"a {message.Length}-byte echo differs");
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void NoContextTakeoverAtNineBits_EveryMessageAlone_RoundTrips(bool server, bool client)
    {
        var parameters = new PerMessageDeflateParameters
        {
            ServerNoContextTakeover = server,
            ClientNoContextTakeover = client,
            ServerMaxWindowBits = 9,
            ClientMaxWindowBits = 9,
        };
        using var serverSide = new PerMessageDeflateExtension(Side.Server, parameters);
        using var clientSide = new PerMessageDeflateExtension(Side.Client, parameters);
        foreach (var message in Messages())
        {
            var frame = Frame.Binary(message);
            Assert.Equal(frame, clientSide.Decode(serverSide.CompressMessage(frame)));
            Assert.Equal(frame, serverSide.Decode(clientSide.CompressMessage(frame)));
        }

        // The end without context takeover drops its compressor after each message; the other keeps its window.
        Assert.Equal(!server, serverSide.HoldsCompressor);
        Assert.Equal(!client, clientSide.HoldsCompressor);
    }

    [Fact]
    public void Compress_NineBitsRfc7692Hello_SameBytesAsFifteen()
    {
        // Levels and windows change matches, not the literal-only "Hello" of RFC 7692 §7.2.3.1.
        using var server = new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters { ServerMaxWindowBits = 9 });
        Assert.Equal(TestSupport.Hex.Parse("f2 48 cd c9 c9 07 00"), server.CompressMessage(Frame.Text("Hello")).Payload.ToArray());
        Assert.Equal(TestSupport.Hex.Parse("f2 00 11 00 00"), server.CompressMessage(Frame.Text("Hello")).Payload.ToArray());
    }

    [Fact]
    public void Constructor_EightBitSendWindow_RefusedButEightBitReceiveWindowAccepted()
    {
        var eight = new PerMessageDeflateParameters { ServerMaxWindowBits = 8, ClientMaxWindowBits = 8 };
        Assert.Contains("cannot compress raw DEFLATE", Assert.Throws<ArgumentException>(() => new PerMessageDeflateExtension(Side.Server, eight)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PerMessageDeflateExtension(Side.Client, eight));

        // An 8-bit window on the other end is only something to inflate.
        using var server = new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters { ClientMaxWindowBits = 8 });
        using var client = new PerMessageDeflateExtension(Side.Client, new PerMessageDeflateParameters { ServerMaxWindowBits = 8 });
    }

    private static List<byte[]> Messages() =>
    [
        s_noise,
        s_noise,
        System.Text.Encoding.UTF8.GetBytes(PerMessageDeflateTests.JsonLike(4096, 1)),
        System.Text.Encoding.UTF8.GetBytes(PerMessageDeflateTests.JsonLike(4096, 1)),
        System.Text.Encoding.UTF8.GetBytes(PerMessageDeflateTests.JsonLike(40_000, 2)),
        RandomBytes(20_000, seed: 3),
        System.Text.Encoding.UTF8.GetBytes("Hello"),
    ];

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static string[] Lines(PeerResult result) => result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private async Task<PeerResult> RunPythonAsync(string mode, int bits, IEnumerable<byte[]> messages)
    {
        PeerProcess.RequireFile(Python, "python3");
        string path = Path.Combine(Path.GetTempPath(), $"rxws-wbits-{Guid.NewGuid():N}.hex");
        await File.WriteAllLinesAsync(path, messages.Select(Hex));
        try
        {
            return await PeerProcess.RunAsync(Python, ["-c", PythonScript, mode, bits.ToString(System.Globalization.CultureInfo.InvariantCulture), path], ScriptedPeer.Timeout, output);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
