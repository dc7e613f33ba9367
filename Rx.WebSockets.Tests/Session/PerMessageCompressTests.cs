using System.Buffers;
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

/// <summary>
/// RFC 7692 §6 per message: a message the application marks is sent uncompressed (RSV1 clear) through
/// <c>SendAsync(message, compress: false)</c> or <c>Uncompressed</c> + Outgoing, and with context takeover the
/// compressor's window skips it, so the next compressed message is exactly what it would have been (§7.2.3.2 bytes).
/// </summary>
public sealed class PerMessageCompressTests
{
    // RFC 7692 §7.2.3.1 and §7.2.3.2: "Hello" compressed, then again with the window of the first.
    private const string CompressedHello = "C1 07 F2 48 CD C9 C9 07 00";
    private const string CompressedHelloAgain = "C1 05 F2 00 11 00 00";

    // RFC 6455 §5.7: "A single-frame unmasked text message": RSV1 clear.
    private const string PlainHello = "81 05 48 65 6C 6C 6F";

    [Fact]
    public async Task SendAsync_CompressFalseBetweenCompressedMessages_Rsv1ClearAndContextUnaffected()
    {
        var (server, input) = ServerWithRawPeer(new PerMessageDeflateParameters());

        await server.SendAsync(Frame.Text("Hello")).Within();
        await server.SendAsync(Frame.Text("Hello"), compress: false).Within();
        await server.SendAsync(Frame.Text("Hello"), compress: true).Within();

        // The third message refers to the first one's window, as if the second had never been compressed.
        Assert.Equal($"{CompressedHello} {PlainHello} {CompressedHelloAgain}", Hex.Format(await ReadExactly(input, 9 + 7 + 7)));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Uncompressed_ThroughOutgoing_SentAsIs()
    {
        var (server, input) = ServerWithRawPeer(new PerMessageDeflateParameters());

        server.Outgoing.OnNext(server.Uncompressed(Frame.Text("Hello")));
        server.Outgoing.OnNext(Frame.Text("Hello"));
        server.Outgoing.OnNext(Frame.Text("Hello"));

        Assert.Equal($"{PlainHello} {CompressedHello} {CompressedHelloAgain}", Hex.Format(await ReadExactly(input, 7 + 9 + 7)));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Uncompressed_FirstFragmentDecides_WholeMessageSentAsIs()
    {
        var (server, input) = ServerWithRawPeer(new PerMessageDeflateParameters());

        server.Outgoing.OnNext(server.Uncompressed(Frame.Text("Hel", isFinal: false)));
        server.Outgoing.OnNext(Frame.Continuation("lo"u8.ToArray(), isFinal: true));
        server.Outgoing.OnNext(Frame.Text("Hello"));

        // RFC 6455 §5.7's fragmented "Hello", then the first compressed message of the connection.
        Assert.Equal($"01 03 48 65 6C 80 02 6C 6F {CompressedHello}", Hex.Format(await ReadExactly(input, 5 + 4 + 9)));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Uncompressed_SameInstanceSentAgainNormally_IsCompressed()
    {
        // The mark is on the returned frame, not on the one given: the original goes out compressed.
        var (server, input) = ServerWithRawPeer(new PerMessageDeflateParameters { ServerNoContextTakeover = true });
        var hello = Frame.Text("Hello");
        var marked = server.Uncompressed(hello);

        Assert.Equal(hello, marked);
        Assert.NotSame(hello, marked);
        await server.SendAsync(marked).Within();
        await server.SendAsync(hello).Within();
        await server.SendAsync(marked).Within();

        Assert.Equal($"{PlainHello} {CompressedHello} {PlainHello}", Hex.Format(await ReadExactly(input, 7 + 9 + 7)));
        await server.DisposeAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Pair_InterleavedCompressedAndUncompressed_ClientInflatesEveryMessage(bool noContextTakeover)
    {
        var options = new WebSocketOptions { PingInterval = null };
        var parameters = new PerMessageDeflateParameters { ServerNoContextTakeover = noContextTakeover, ClientNoContextTakeover = noContextTakeover };
        await using var pair = WebSocketTestPair.Create(new TestScheduler(), options, options, parameters);
        var messages = Enumerable.Range(0, 40)
            .Select(i => (DataFrame)(i % 3 == 2 ? Frame.Binary(Encoding.UTF8.GetBytes(Json(i))) : Frame.Text(Json(i))))
            .ToArray();
        var received = pair.Client.Incoming.Take(messages.Length).ToArray().ToTask();
        pair.StartBoth();

        // Every other message uncompressed, both ways of marking.
        for (int i = 0; i < messages.Length; i++)
        {
            if (i % 2 == 0)
            {
                pair.Server.Outgoing.OnNext(messages[i]);
            }
            else if (i % 4 == 1)
            {
                await pair.Server.SendAsync(messages[i], compress: false).Within();
            }
            else
            {
                pair.Server.Outgoing.OnNext(pair.Server.Uncompressed(messages[i]));
            }
        }

        var actual = await received.Within();
        Assert.Equal(messages.Cast<Frame>().ToArray(), actual);
    }

    [Fact]
    public async Task SendAsync_LargeMessages_Rsv1OnlyOnTheCompressedOnes()
    {
        var (server, input) = ServerWithRawPeer(new PerMessageDeflateParameters());
        string json = Json(1);

        await server.SendAsync(Frame.Text(json), compress: true).Within();
        await server.SendAsync(Frame.Text(json), compress: false).Within();
        await server.SendAsync(Frame.Binary(Encoding.UTF8.GetBytes(json)), compress: false).Within();
        await server.SendAsync(Frame.Text(json)).Within();

        var wire = await ReadFrames(input, 4);
        Assert.Equal(new[] { true, false, false, true }, wire.Select(f => f.Rsv1));
        Assert.Equal(new[] { Opcode.Text, Opcode.Text, Opcode.Binary, Opcode.Text }, wire.Select(f => f.Opcode));
        Assert.Equal(json, Encoding.UTF8.GetString(wire[1].Payload.Span));
        Assert.Equal(json, Encoding.UTF8.GetString(wire[2].Payload.Span));
        Assert.True(wire[0].Payload.Length < json.Length / 2, $"{wire[0].Payload.Length} compressed bytes for {json.Length}");

        // With context takeover the last message refers back to the first (not to the two plain ones): tiny.
        Assert.True(wire[3].Payload.Length < 16, $"{wire[3].Payload.Length} bytes for a repeat with the window of the first");
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Uncompressed_SessionWithoutExtension_SameFrameSentNormally()
    {
        var options = new WebSocketOptions { PingInterval = null };
        await using var pair = WebSocketTestPair.Create(new TestScheduler(), options, options);
        var hello = Frame.Text("Hello");
        var received = pair.Client.Incoming.FirstValue();
        pair.StartBoth();

        Assert.Same(hello, pair.Server.Uncompressed(hello));
        await pair.Server.SendAsync(hello, compress: false).Within();

        Assert.Equal(hello, await received);
    }

    [Fact]
    public void Uncompressed_ForeignSessionOrNulls_Throw()
    {
        var foreign = new ForeignSession();
        Assert.Throws<ArgumentException>(() => foreign.Uncompressed(Frame.Text("x")));
        Assert.Throws<ArgumentException>(() => { _ = foreign.SendAsync(Frame.Text("x"), compress: false); });
        Assert.Throws<ArgumentNullException>(() => ((IWebSocketSession)null!).Uncompressed(Frame.Text("x")));
        Assert.Throws<ArgumentNullException>(() => { _ = foreign.SendAsync(null!, compress: false); });
    }

    private static string Json(int seed) => string.Concat(Enumerable.Range(0, 20).Select(i => $"{{\"id\":{i},\"seed\":{seed},\"name\":\"item {i * seed}\"}},"));

    private static (IWebSocketSession Server, PipeReader ClientInput) ServerWithRawPeer(PerMessageDeflateParameters parameters)
    {
        var transport = new InMemoryTransport();
        var options = new WebSocketOptions { PingInterval = null };
        var extension = new PerMessageDeflateExtension(Side.Server, parameters, options.Compression, options.Limits);
        var server = WebSocketSession.Create(transport.Server, Side.Server, options, new TestScheduler(), extension: extension);
        return (server, transport.Client.Input);
    }

    private static async Task<Frame[]> ReadFrames(PipeReader input, int count)
    {
        // Frames as they are on the wire: a decoder that accepts RSV1 on first frames and no extension to inflate.
        var decoder = new Rx.WebSockets.Protocol.FrameDecoder(Side.Client, FrameLimits.Default) { AllowRsv1OnFirstDataFrame = true };
        var frames = new System.Collections.Generic.List<Frame>();
        while (frames.Count < count)
        {
            var result = await input.ReadAsync().AsTask().Within();
            var reader = new SequenceReader<byte>(result.Buffer);
            while (frames.Count < count && decoder.TryDecode(ref reader, out var frame) == OperationStatus.Done)
            {
                frames.Add(frame!);
            }

            input.AdvanceTo(reader.Position, result.Buffer.End);
            Assert.False(result.IsCompleted && frames.Count < count, $"the connection ended after {frames.Count} frames");
        }

        return frames.ToArray();
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

    /// <summary>An <see cref="IWebSocketSession"/> not made by <see cref="WebSocketSession"/>: the marks cannot reach its write loop.</summary>
    private sealed class ForeignSession : IWebSocketSession
    {
        public IObservable<Frame> Incoming => Observable.Never<Frame>();

        public IObserver<Frame> Outgoing => System.Reactive.Observer.Create<Frame>(_ => { });

        public Task<CloseReason?> CloseReason => Task.FromResult<CloseReason?>(null);

        public IObservable<CloseReason> Closed => Observable.Never<CloseReason>();

        public TimeSpan? PingInterval { get; set; }

        public long PingIntervalMillis { get; set; }

        public TimeSpan Timeout { get; set; }

        public long TimeoutMillis { get; set; }

        public long MaxFrameSize => 0;

        public bool Masking => false;

        public System.Collections.Generic.IReadOnlyList<string> Extensions => [];

        public string? SubProtocol => null;

        public WebSocketState State => WebSocketState.Open;

        public Side Side => Side.Server;

        public IObservable<PingFrame> Pings => Observable.Never<PingFrame>();

        public IObservable<PongFrame> Pongs => Observable.Never<PongFrame>();

        public IObservable<TimeSpan> PingRoundTrips => Observable.Never<TimeSpan>();

        public long UnsentFrameCount => 0;

        public void Start()
        {
        }

        public Task SendAsync(Frame frame, System.Threading.CancellationToken cancellationToken = default) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
