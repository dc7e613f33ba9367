using System.Collections.Generic;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>The raw session: every frame to Incoming, nothing answered automatically.</summary>
public class RawSessionTests
{
    [Fact]
    public async Task Raw_EveryFrameIncludingControlAndFragmentsReachesIncoming()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler(), raw: true);
        var all = server.Incoming.ToList().ToTask();
        server.Start();
        var frames = new Frame[]
        {
            Frame.Text(new byte[] { 0x61 }, isFinal: false),
            Frame.Ping(new byte[] { 1 }),
            Frame.Continuation(new byte[] { 0x62 }, isFinal: true),
            Frame.Pong(new byte[] { 2 }),
            Frame.Close(CloseReason.Normal),
        };

        foreach (var frame in frames)
        {
            await peer.SendAsync(frame);
        }

        Assert.Equal(frames, await all.Within());
    }

    [Fact]
    public async Task Raw_NoAutomaticPongOrCloseReply()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler(), raw: true);
        server.Incoming.OfType<CloseFrame>().Subscribe(_ => server.Send("saw close"));
        server.Start();

        await peer.SendAsync(Frame.Ping(new byte[] { 1 }));
        await peer.SendAsync(Frame.Close(CloseReason.Normal));

        // Had the session answered the ping or the Close, those frames would come before the application's text.
        Assert.Equal(Frame.Text("saw close"), await peer.ReceiveFrameAsync());
    }

    [Fact]
    public async Task Raw_ApplicationRepliesToClose_SessionEndsWithPeersReason()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler(), raw: true);
        server.Incoming.OfType<CloseFrame>().Subscribe(close => server.Outgoing.OnNext(Frame.Close(close.Reason)));
        server.Start();
        var reason = new CloseReason(CloseCode.GoingAway, "later");

        await peer.SendAsync(Frame.Close(reason));

        Assert.Equal(Frame.Close(reason), await peer.ReceiveFrameAsync());
        await peer.ReceiveEndAsync();
        Assert.Equal(reason, await server.CloseReason.Within());
    }

    [Fact]
    public async Task Raw_ApplicationNeverReplies_CloseTimeoutEndsTheSession()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, raw: true);
        var close = server.Incoming.OfType<CloseFrame>().FirstValue();
        server.Start();

        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        await close;
        scheduler.AdvanceBy(new WebSocketOptions().CloseTimeout.Ticks);

        Assert.Equal(CloseReason.Normal, await server.CloseReason.Within());
    }

    [Fact]
    public async Task Raw_PingsAndPongsObservables()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler(), raw: true);
        var ping = server.Pings.FirstValue();
        var pong = server.Pongs.FirstValue();
        server.Start();

        await peer.SendAsync(Frame.Ping(new byte[] { 1 }));
        await peer.SendAsync(Frame.Pong(new byte[] { 2 }));

        Assert.Equal(Frame.Ping(new byte[] { 1 }), await ping);
        Assert.Equal(Frame.Pong(new byte[] { 2 }), await pong);
        Assert.Null(server.PingInterval);
        Assert.Throws<NotSupportedException>(() => server.PingInterval = TimeSpan.FromSeconds(1));
        server.PingIntervalMillis = 0; // disabling what is already off is fine
    }
}
