using System.Buffers;
using System.IO.Pipelines;
using System.Linq;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Http;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>The public test kit as an application would use it, the factories' argument checks, and server sessions.</summary>
public class TestKitTests : ReactiveTest
{
    [Fact]
    public async Task Pair_ClientAndServerOnOneTestScheduler_RecordFramesAndAdvanceTime()
    {
        var scheduler = new TestScheduler();
        var options = new WebSocketOptions { PingInterval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(5) };
        await using var pair = WebSocketTestPair.Create(scheduler, options, new WebSocketOptions { PingInterval = null });
        var received = scheduler.CreateObserver<Frame>();
        pair.Client.Incoming.Subscribe(received);
        pair.Server.Run(frames => frames.OfType<TextFrame>().Select(f => Frame.Text("echo: " + f.GetText()))).Subscribe();
        var two = pair.Client.Incoming.Take(2).ToTask();
        pair.Client.Start();

        pair.Client.Send("a");
        pair.Client.Send("b");
        await two.Within();

        // An hour of virtual time: the server pings every 30 s and the client answers; nothing else happens.
        for (int i = 0; i < 120; i++)
        {
            var pong = pair.Server.Pongs.FirstValue();
            scheduler.AdvanceBy(TimeSpan.FromSeconds(30).Ticks);
            await pong;
        }

        Assert.Equal(new Frame[] { Frame.Text("echo: a"), Frame.Text("echo: b") }, received.Messages.Select(m => m.Value.Value));
        Assert.Equal(WebSocketState.Open, pair.Server.State);
        Assert.Equal(WebSocketState.Open, pair.Client.State);
    }

    [Fact]
    public async Task InMemoryTransport_CompletingOneOutputEndsTheOtherInput()
    {
        var transport = new InMemoryTransport();

        await transport.Client.Output.WriteAsync(new byte[] { 1, 2 });
        await transport.Client.Output.CompleteAsync();

        var result = await transport.Server.Input.ReadAsync();
        Assert.Equal(new byte[] { 1, 2 }, result.Buffer.ToArray());
        Assert.True(result.IsCompleted);
    }

    [Fact]
    public void Create_ArgumentChecking()
    {
        var transport = new InMemoryTransport();
        var options = new WebSocketOptions();
        var scheduler = new TestScheduler();
        var call = new WebSocketCall(new HttpRequestHead("GET", "/", HttpVersion.Http11, new HttpHeaders()));
        var services = new EmptyServices();

        Assert.Throws<ArgumentNullException>(() => WebSocketSession.Create(null!, Side.Server, options, scheduler));
        Assert.Throws<ArgumentNullException>(() => WebSocketSession.Create(transport.Server, Side.Server, null!, scheduler));
        Assert.Throws<ArgumentNullException>(() => WebSocketSession.Create(transport.Server, Side.Server, options, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => WebSocketSession.CreateRaw(transport.Server, (Side)7, options, scheduler));
        Assert.Throws<ArgumentNullException>(() => WebSocketSession.CreateServerSession(transport.Server, options, scheduler, null!, services));
        Assert.Throws<ArgumentNullException>(() => WebSocketSession.CreateServerSession(transport.Server, options, scheduler, call, null!));
        Assert.Throws<ArgumentNullException>(() => WebSocketSessionExtensions.Send(null!, "x"));
        Assert.Throws<ArgumentNullException>(() => WebSocketSessionExtensions.Close(null!));
        Assert.Throws<ArgumentNullException>(() => KeepAlive.Ponger(null!));
        Assert.Throws<ArgumentNullException>(() => new WebSocketTestPeer(null!, Side.Client));
        Assert.Throws<ArgumentNullException>(() => new InMemoryTransport(null!));
    }

    [Fact]
    public async Task Extensions_ArgumentChecking()
    {
        var session = WebSocketSession.Create(new InMemoryTransport().Server, Side.Server, new WebSocketOptions(), new TestScheduler());

        Assert.Throws<ArgumentNullException>(() => session.Send((string)null!));
        Assert.Throws<ArgumentNullException>(() => session.Send((byte[])null!));
        Assert.Throws<ArgumentNullException>(() => session.Run((Func<IObservable<Frame>, IObservable<Frame>>)null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => session.ReadAllAsync(0));
        Assert.Throws<ArgumentException>(() => session.Close(new CloseReason(CloseCode.ClosedAbnormally)));
        await Assert.ThrowsAsync<ArgumentNullException>(() => session.SendAsync(null!));
    }

    [Fact]
    public async Task ServerSession_ExposesCallApplicationAndDelegates()
    {
        var transport = new InMemoryTransport();
        var headers = new HttpHeaders().Add("Host", "example").Add("Sec-WebSocket-Protocol", "chat");
        var call = new WebSocketCall(
            new HttpRequestHead("GET", "/chat?room=1", HttpVersion.Http11, headers),
            new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 50000),
            new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 8080));
        var services = new EmptyServices();
        var options = new WebSocketOptions { PingInterval = null };
        var server = WebSocketSession.CreateServerSession(transport.Server, options, new TestScheduler(), call, services, subProtocol: "chat");
        var peer = new WebSocketTestPeer(transport.Client, Side.Client);
        call.Items["user"] = "ada";

        Assert.Same(services, server.Application);
        Assert.Equal("/chat", server.Call.Path);
        Assert.Equal("room=1", server.Call.Query);
        Assert.Equal("GET", server.Call.Method);
        Assert.Equal("example", server.Call.Headers.Get("Host"));
        Assert.Equal(50000, ((System.Net.IPEndPoint)server.Call.RemoteEndPoint!).Port);
        Assert.Equal("ada", server.Call.Items["user"]);
        Assert.Equal("chat", server.SubProtocol);
        Assert.Equal(Side.Server, server.Side);
        Assert.False(server.Masking);
        Assert.Empty(server.Extensions);
        Assert.Equal(FrameLimits.DefaultMaxFrameSize, server.MaxFrameSize);

        var frames = server.ReadAllAsync().GetAsyncEnumerator();
        var first = frames.MoveNextAsync().AsTask();
        await peer.SendAsync(Frame.Text("via wrapper"));
        Assert.True(await first.Within());
        Assert.Equal(Frame.Text("via wrapper"), frames.Current);
        await frames.DisposeAsync();
        await server.DisposeAsync();
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
