using System.Buffers;
using System.IO;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Linq;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>RFC 7692 §6 and §7.2 through sessions: the read and write loops compress and inflate per message, within limits.</summary>
public sealed class PerMessageDeflateSessionTests
{
    private static readonly FrameLimits s_bigLimits = new() { MaxFrameSize = 8 * 1024 * 1024, MaxMessageSize = 8 * 1024 * 1024 };

    [Fact]
    public async Task Session_Extensions_ListsTheAgreement()
    {
        await using var pair = WebSocketTestPair.Create(new TestScheduler(), compression: new PerMessageDeflateParameters { ClientNoContextTakeover = true });

        Assert.Equal(new[] { "permessage-deflate; client_no_context_takeover" }, pair.Server.Extensions);
        Assert.Equal(new[] { "permessage-deflate; client_no_context_takeover" }, pair.Client.Extensions);
    }

    [Fact]
    public async Task Session_NoExtension_ListsNone()
    {
        await using var pair = WebSocketTestPair.Create(new TestScheduler());

        Assert.Empty(pair.Server.Extensions);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Pair_CompressedEcho_TextBinaryAndLargeMessagesRoundTrip(bool serverNoContextTakeover, bool clientNoContextTakeover)
    {
        var options = new WebSocketOptions { PingInterval = null, Limits = s_bigLimits };
        var parameters = new PerMessageDeflateParameters { ServerNoContextTakeover = serverNoContextTakeover, ClientNoContextTakeover = clientNoContextTakeover };
        await using var pair = WebSocketTestPair.Create(new TestScheduler(), options, options, parameters);
        pair.Server.Run(frames => frames).Subscribe();
        var random = new Random(7692);
        var incompressible = new byte[1024 * 1024];
        random.NextBytes(incompressible);
        var compressible = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"name\":\"ü value\",\"n\":12345},", 40_000)));
        Frame[] sent =
        [
            Frame.Text("Hello"), Frame.Text("Hello"), Frame.Binary(new byte[] { 0, 1, 2, 3, 0, 1, 2, 3 }),
            Frame.Binary(incompressible), Frame.Text(compressible), Frame.Text(string.Empty),
        ];
        var echoes = pair.Client.Incoming.Take(sent.Length).ToArray().ToTask();
        pair.Client.Start();

        foreach (var frame in sent)
        {
            pair.Client.Outgoing.OnNext(frame);
        }

        Assert.Equal(sent, await echoes.Within());
    }

    [Fact]
    public async Task Pair_FragmentedMessageFromTheApplication_IsCompressedAsOneMessageAndReassembled()
    {
        await using var pair = WebSocketTestPair.Create(new TestScheduler(), new WebSocketOptions { PingInterval = null }, null, new PerMessageDeflateParameters());
        var received = pair.Server.Incoming.FirstValue();
        pair.Server.Start();

        pair.Client.Outgoing.OnNext(Frame.Text("Hel", isFinal: false));
        pair.Client.Outgoing.OnNext(new ContinuationFrame("lo, "u8.ToArray(), isFinal: false, rsv1: false));
        pair.Client.Outgoing.OnNext(new ContinuationFrame("world"u8.ToArray(), isFinal: true, rsv1: false));

        Assert.Equal(Frame.Text("Hello, world"), await received);
    }

    [Fact]
    public async Task Server_RfcHelloWithContextTakeover_SendsTheRfcBytes()
    {
        // RFC 7692 §7.2.3.1 and §7.2.3.2: "Hello" is c1 07 f2 48 cd c9 c9 07 00, and the second one, with the
        // window carried over, c1 05 f2 00 11 00 00.
        var wire = await ServerSendsHelloTwice(new PerMessageDeflateParameters());

        Assert.Equal("C1 07 F2 48 CD C9 C9 07 00 C1 05 F2 00 11 00 00", wire);
    }

    [Fact]
    public async Task Server_RfcHelloWithoutContextTakeover_SendsTheFirstMessageTwice()
    {
        var wire = await ServerSendsHelloTwice(new PerMessageDeflateParameters { ServerNoContextTakeover = true });

        Assert.Equal("C1 07 F2 48 CD C9 C9 07 00 C1 07 F2 48 CD C9 C9 07 00", wire);
    }

    [Fact]
    public async Task Server_ReceivesRfcCompressedHello_DeliversTheText()
    {
        var (peer, server, _) = ServerWithRawPeer(new PerMessageDeflateParameters());
        var received = server.Incoming.FirstValue();
        server.Start();

        await peer.SendAsync(new TextFrame(Hex.Parse("F2 48 CD C9 C9 07 00"), isFinal: true, rsv1: true));

        Assert.Equal(Frame.Text("Hello"), await received);
    }

    [Fact]
    public async Task Server_DecompressionBomb_FailsWith1009()
    {
        // 64 MiB of zeros deflate to about 64 KiB; the server allows 64 KiB per message, so it must stop inflating early.
        var limits = new FrameLimits { MaxMessageSize = 64 * 1024 };
        var (peer, server, _) = ServerWithRawPeer(new PerMessageDeflateParameters(), new WebSocketOptions { PingInterval = null, Limits = limits });
        var bomb = DeflateZeros(64 * 1024 * 1024);
        Assert.True(bomb.Length < 128 * 1024);
        var incomingEnd = server.Incoming.Termination();
        server.Start();

        await peer.SendAsync(new BinaryFrame(bomb, isFinal: true, rsv1: true));

        var expected = new CloseReason(CloseCode.TooBig, "Message too big");
        var close = Assert.IsType<CloseFrame>(await peer.ReceiveFrameAsync());
        Assert.Equal(expected, close.Reason);
        Assert.Equal(expected, await server.CloseReason.Within());
        Assert.Equal(CloseCode.TooBig, Assert.IsAssignableFrom<WebSocketProtocolException>(await incomingEnd).CloseCode);
    }

    [Fact]
    public async Task Server_CorruptDeflateData_FailsWith1007()
    {
        var (peer, server, _) = ServerWithRawPeer(new PerMessageDeflateParameters());
        var incomingEnd = server.Incoming.Termination();
        server.Start();

        // Block type 3 is reserved (RFC 1951 §3.2.3): no inflater accepts it.
        await peer.SendAsync(new BinaryFrame(Hex.Parse("FF FF FF FF 00 11"), isFinal: true, rsv1: true));

        var expected = new CloseReason(CloseCode.NotConsistent, "Invalid payload");
        Assert.Equal(expected, Assert.IsType<CloseFrame>(await peer.ReceiveFrameAsync()).Reason);
        Assert.Equal(expected, await server.CloseReason.Within());
        Assert.Equal(CloseCode.NotConsistent, Assert.IsAssignableFrom<WebSocketProtocolException>(await incomingEnd).CloseCode);
    }

    [Fact]
    public async Task Server_CompressedTextNotUtf8_FailsWith1007()
    {
        var (peer, server, _) = ServerWithRawPeer(new PerMessageDeflateParameters());
        server.Start();

        await peer.SendAsync(new TextFrame(Deflate(new byte[] { 0xC3, 0x28, 0x41 }), isFinal: true, rsv1: true));

        Assert.Equal(new CloseReason(CloseCode.NotConsistent, "Invalid payload"), await server.CloseReason.Within());
    }

    [Fact]
    public async Task Server_Rsv1OnContinuation_FailsWith1002()
    {
        var (peer, server, _) = ServerWithRawPeer(new PerMessageDeflateParameters());
        server.Start();

        await peer.SendAsync(new TextFrame(Hex.Parse("F2 48"), isFinal: false, rsv1: true));
        await peer.SendAsync(new ContinuationFrame(Hex.Parse("CD C9 C9 07 00"), isFinal: true, rsv1: true));

        Assert.Equal(new CloseReason(CloseCode.ProtocolError, "Protocol error"), await server.CloseReason.Within());
    }

    [Fact]
    public async Task Server_WithoutExtension_Rsv1FailsWith1002()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        server.Start();

        await peer.SendAsync(new TextFrame(Hex.Parse("F2 48 CD C9 C9 07 00"), isFinal: true, rsv1: true));

        Assert.Equal(CloseCode.ProtocolError, (await server.CloseReason.Within())!.Code);
    }

    [Fact]
    public async Task RawServer_CompressedFragments_AreDeliveredInflatedPerFrame()
    {
        var transport = new InMemoryTransport();
        var server = WebSocketSession.CreateRaw(
            transport.Server, Side.Server, new WebSocketOptions(), new TestScheduler(), extension: new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters()));
        var peer = new WebSocketTestPeer(transport.Client, Side.Client);
        var frames = server.Incoming.Take(2).ToArray().ToTask();
        server.Start();

        // RFC 7692 §7.2.3.3: the compressed "Hello" split in two fragments.
        await peer.SendAsync(new TextFrame(Hex.Parse("F2 48 CD"), isFinal: false, rsv1: true));
        await peer.SendAsync(new ContinuationFrame(Hex.Parse("C9 C9 07 00"), isFinal: true, rsv1: false));

        var received = await frames.Within();
        Assert.Equal("Hello", string.Concat(received.Select(f => Encoding.UTF8.GetString(f.Payload.Span))));
        Assert.All(received, f => Assert.False(f.Rsv1));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Server_FrameWithRsv1FromTheApplication_IsRejectedNotWritten()
    {
        var (_, server, _) = ServerWithRawPeer(new PerMessageDeflateParameters());

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => server.SendAsync(new TextFrame(Hex.Parse("F2 00"), isFinal: true, rsv1: true)).Within());
        Assert.Contains("RSV1", ex.Message, StringComparison.Ordinal);
        await server.DisposeAsync();
    }

    private static async Task<string> ServerSendsHelloTwice(PerMessageDeflateParameters parameters)
    {
        var (_, server, input) = ServerWithRawPeer(parameters);
        await server.SendAsync(Frame.Text("Hello")).Within();
        await server.SendAsync(Frame.Text("Hello")).Within();
        string wire = Hex.Format(await ReadExactly(input, 16 + (parameters.ServerNoContextTakeover ? 2 : 0)));
        await server.DisposeAsync();
        return wire;
    }

    private static (WebSocketTestPeer Peer, IWebSocketSession Server, PipeReader ClientInput) ServerWithRawPeer(
        PerMessageDeflateParameters parameters, WebSocketOptions? options = null)
    {
        var transport = new InMemoryTransport();
        options ??= new WebSocketOptions { PingInterval = null };
        var extension = new PerMessageDeflateExtension(Side.Server, parameters, options.Compression, options.Limits);
        var server = WebSocketSession.Create(transport.Server, Side.Server, options, new TestScheduler(), extension: extension);
        // A peer without the extension: it sends frames exactly as given, RSV1 included.
        return (new WebSocketTestPeer(transport.Client, Side.Client), server, transport.Client.Input);
    }

    private static async Task<byte[]> ReadExactly(PipeReader input, int count)
    {
        while (true)
        {
            var result = await input.ReadAsync().AsTask().Within();
            if (result.Buffer.Length >= count || result.IsCompleted)
            {
                var bytes = result.Buffer.Slice(0, Math.Min(count, result.Buffer.Length)).ToArray();
                input.AdvanceTo(result.Buffer.GetPosition(bytes.Length));
                return bytes;
            }

            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
            deflate.Flush();
        }

        return StripTail(output.ToArray());
    }

    private static byte[] DeflateZeros(int count)
    {
        var zeros = new byte[64 * 1024];
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            for (int written = 0; written < count; written += zeros.Length)
            {
                deflate.Write(zeros);
            }

            deflate.Flush();
        }

        return StripTail(output.ToArray());
    }

    // RFC 7692 §7.2.1: a sync flush ends with 00 00 FF FF, which the sender removes. Disposing the DeflateStream
    // also writes a final empty block after it; a receiver that appends the tail again inflates only up to the flush.
    private static byte[] StripTail(byte[] deflated)
    {
        var tail = new byte[] { 0x00, 0x00, 0xFF, 0xFF };
        int index = deflated.AsSpan().LastIndexOf(tail);
        Assert.True(index >= 0);
        return deflated[..index];
    }
}
