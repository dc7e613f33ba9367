using System.IO.Pipelines;
using System.Linq;
using System.Reactive.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>RFC 6455 §5.5.2–5.5.3 in a default session: the ponger always on, the pinger on the session's scheduler.</summary>
public class KeepAliveSessionTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PongTimeout = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Ponger_PeerPings_PongWithSamePayload()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var seen = server.Pings.FirstValue();
        server.Start();

        await peer.SendAsync(Frame.Ping(Encoding.ASCII.GetBytes("are you there")));

        Assert.Equal(Frame.Pong(Encoding.ASCII.GetBytes("are you there")), await peer.ReceiveFrameAsync());
        Assert.Equal(Frame.Ping(Encoding.ASCII.GetBytes("are you there")), await seen);
    }

    [Fact]
    public async Task Ponger_PongOvertakesDataFramesQueuedBehindASlowPeer()
    {
        // A frame larger than the pipe's pause threshold blocks the server's flush until the peer reads.
        var transport = new InMemoryTransport(new PipeOptions(pauseWriterThreshold: 256, resumeWriterThreshold: 128, useSynchronizationContext: false));
        var server = WebSocketSession.Create(transport.Server, Side.Server, new WebSocketOptions { PingInterval = null }, new TestScheduler());
        var peer = new WebSocketTestPeer(transport.Client, Side.Client);
        var pinged = server.Pings.FirstValue();
        server.Start();
        server.Send(new byte[300]);
        var peek = await transport.Client.Input.ReadAsync().AsTask().Within();
        // Consume and examine nothing: examined bytes would release the pipe's backpressure; this way the flush stays blocked.
        transport.Client.Input.AdvanceTo(peek.Buffer.Start);

        for (int i = 0; i < 20; i++)
        {
            server.Send(new byte[] { (byte)i });
        }

        await peer.SendAsync(Frame.Ping(new byte[] { 42 }));
        await pinged; // the ponger has queued its pong by now, behind the blocked flush and ahead of the 20 data frames

        var frames = new System.Collections.Generic.List<Frame>();
        for (int i = 0; i < 22; i++)
        {
            frames.Add(await peer.ReceiveFrameAsync());
        }

        Assert.Equal(300, frames[0].Payload.Length);
        Assert.Equal(Frame.Pong(new byte[] { 42 }), frames[1]);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (byte)i), frames.Skip(2).Select(f => f.Payload.Span[0]));
    }

    [Fact]
    public async Task ControlFrames_AreHiddenFromIncoming()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var first = server.Incoming.FirstValue();
        server.Start();

        await peer.SendAsync(Frame.Ping());
        await peer.SendAsync(Frame.Pong(new byte[] { 1 }));
        await peer.SendAsync(Frame.Text("data"));

        Assert.Equal(Frame.Text("data"), await first);
    }

    [Fact]
    public async Task Pinger_PingsAtEachIntervalAndMatchingPongsKeepTheSessionAlive()
    {
        var scheduler = new TestScheduler();
        var noPinger = new WebSocketOptions { PingInterval = null };
        var serverOptions = new WebSocketOptions { PingInterval = Interval, Timeout = PongTimeout };
        await using var pair = WebSocketTestPair.Create(scheduler, serverOptions, noPinger);
        pair.StartBoth();

        for (int i = 0; i < 5; i++)
        {
            // The client session answers by itself; advance one tick short of the interval: no ping yet, so no pong.
            var pong = pair.Server.Pongs.FirstValue();
            scheduler.AdvanceBy(Interval.Ticks - 1);
            Assert.False(pong.IsCompleted);
            scheduler.AdvanceBy(1);
            await pong;
        }

        // Past every deadline: the matching pongs cancelled them.
        scheduler.AdvanceBy(PongTimeout.Ticks);
        Assert.Equal(WebSocketState.Open, pair.Server.State);
        Assert.False(pair.Server.CloseReason.IsCompleted);
    }

    [Fact]
    public async Task Pinger_NoPong_Closes1011PingTimeoutAtIntervalPlusTimeout()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, new WebSocketOptions { PingInterval = Interval, Timeout = PongTimeout });
        var incomingEnd = server.Incoming.Termination();
        server.Start();

        scheduler.AdvanceBy(Interval.Ticks);
        Assert.IsType<PingFrame>(await peer.ReceiveFrameAsync());
        scheduler.AdvanceBy(PongTimeout.Ticks - 1);
        Assert.Equal(WebSocketState.Open, server.State);
        scheduler.AdvanceBy(1);
        Assert.Equal(WebSocketState.Closing, server.State); // failed synchronously, at exactly interval + timeout

        var pingTimeout = new CloseReason(CloseCode.InternalError, "Ping timeout");
        Assert.Equal(Frame.Close(pingTimeout), await peer.ReceiveFrameAsync());
        Assert.IsType<PingTimeoutException>(await incomingEnd);
        Assert.Equal(pingTimeout, await server.CloseReason.Within());
    }

    [Fact]
    public async Task Pinger_WrongPayloadPong_IsIgnored()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, new WebSocketOptions { PingInterval = Interval, Timeout = PongTimeout });
        server.Start();

        scheduler.AdvanceBy(Interval.Ticks);
        await peer.ReceiveFrameAsync();
        var pongSeen = server.Pongs.FirstValue();
        await peer.SendAsync(Frame.Pong(Encoding.ASCII.GetBytes("not yours")));
        await pongSeen;
        scheduler.AdvanceBy(PongTimeout.Ticks);

        Assert.Equal(CloseCode.InternalError, (await server.CloseReason.Within())!.Code);
    }

    [Fact]
    public async Task Pinger_MatchingPongFromPeer_CancelsTheTimeout()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, new WebSocketOptions { PingInterval = Interval, Timeout = PongTimeout });
        server.Start();

        scheduler.AdvanceBy(Interval.Ticks);
        var ping = await peer.ReceiveFrameAsync();
        var pongSeen = server.Pongs.FirstValue();
        await peer.SendAsync(Frame.Pong(ping.Payload));
        await pongSeen;
        scheduler.AdvanceBy(PongTimeout.Ticks);

        Assert.Equal(WebSocketState.Open, server.State);
    }

    [Fact]
    public async Task PingInterval_ChangedMidSession_RestartsThePinger()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, new WebSocketOptions { PingInterval = TimeSpan.FromSeconds(60), Timeout = PongTimeout });
        server.Start();
        scheduler.AdvanceBy(TimeSpan.FromSeconds(5).Ticks);

        server.PingInterval = TimeSpan.FromSeconds(2);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(2).Ticks - 1);
        server.Send("marker"); // had a ping been sent already, it would come first
        Assert.Equal(Frame.Text("marker"), await peer.ReceiveFrameAsync());
        scheduler.AdvanceBy(1);

        Assert.IsType<PingFrame>(await peer.ReceiveFrameAsync());
        Assert.Equal(TimeSpan.FromSeconds(2), server.PingInterval);
        Assert.Equal(2000, server.PingIntervalMillis);
    }

    [Fact]
    public async Task Timeout_ChangedMidSession_NewTimeoutApplies()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, new WebSocketOptions { PingInterval = Interval, Timeout = TimeSpan.FromSeconds(30) });
        server.Start();

        server.TimeoutMillis = 1000;
        scheduler.AdvanceBy(Interval.Ticks);
        await peer.ReceiveFrameAsync();
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        Assert.Equal("Ping timeout", (await server.CloseReason.Within())!.Message);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public async Task PingIntervalMillis_ZeroOrMinusOne_DisablesThePinger(long millis)
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, new WebSocketOptions { PingInterval = Interval, Timeout = PongTimeout });
        server.Start();

        server.PingIntervalMillis = millis;
        scheduler.AdvanceBy(TimeSpan.FromHours(1).Ticks);
        server.Send("marker");

        Assert.Null(server.PingInterval);
        Assert.Equal(Frame.Text("marker"), await peer.ReceiveFrameAsync());
        Assert.Equal(WebSocketState.Open, server.State);
    }

    [Fact]
    public async Task PingInterval_Null_DisablesThePinger()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, new WebSocketOptions { PingInterval = null });
        server.Start();

        scheduler.AdvanceBy(TimeSpan.FromHours(1).Ticks);
        server.Send("marker");

        Assert.Equal(Frame.Text("marker"), await peer.ReceiveFrameAsync());
    }

    [Fact]
    public void PingInterval_InvalidValues_Throw()
    {
        var (_, server) = SessionTesting.ServerWithPeer(new TestScheduler());

        Assert.Throws<ArgumentOutOfRangeException>(() => server.PingInterval = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => server.PingIntervalMillis = -2);
        Assert.Throws<ArgumentOutOfRangeException>(() => server.Timeout = TimeSpan.FromTicks(-1));
    }

    [Fact]
    public async Task SessionEnd_DisposesEveryTimer()
    {
        var scheduler = new InspectableScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, new WebSocketOptions { PingInterval = Interval, Timeout = PongTimeout });
        server.Start();
        scheduler.AdvanceBy(Interval.Ticks);
        await peer.ReceiveFrameAsync(); // a ping is outstanding: its deadline is scheduled, so is the next tick
        Assert.True(scheduler.HasPendingWork);

        _ = server.Close(); // arms the close timer
        await peer.ReceiveFrameAsync();
        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        await server.CloseReason.Within();

        // Pinger period, pong deadline and close timer: all disposed when the session ended.
        Assert.False(scheduler.HasPendingWork);
    }
}
