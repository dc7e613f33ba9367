using System.Collections.Generic;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>
/// RFC 6455 §5.5.3 Pong in a default session: <see cref="IWebSocketSession.PingRoundTrips"/> measures, on the session's
/// scheduler, how long the peer took to answer each of the pinger's pings, and ignores pongs that answer none.
/// </summary>
public class PingRoundTripTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PongTimeout = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task PingRoundTrips_PongArrives37msAfterThePing_Yields37ms()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, new WebSocketOptions { PingInterval = Interval, Timeout = PongTimeout });
        var roundTrip = server.PingRoundTrips.FirstValue();
        server.Start();

        scheduler.AdvanceBy(Interval.Ticks);
        var ping = Assert.IsType<PingFrame>(await peer.ReceiveFrameAsync());
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(37).Ticks);
        await peer.SendAsync(Frame.Pong(ping.Payload));

        Assert.Equal(TimeSpan.FromMilliseconds(37), await roundTrip);
        Assert.Equal(WebSocketState.Open, server.State);
    }

    [Fact]
    public async Task PingRoundTrips_UnmatchedPongs_YieldNothingAndCompleteWithTheSession()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, new WebSocketOptions { PingInterval = Interval, Timeout = PongTimeout });
        var roundTrips = server.PingRoundTrips.ToList().ToTask().Within();
        server.Start();

        // Unsolicited (no ping yet), then a wrong payload for the outstanding ping.
        var pongs = server.Pongs.Take(2).ToList().ToTask().Within();
        await peer.SendAsync(Frame.Pong(new byte[] { 1, 2, 3 }));
        scheduler.AdvanceBy(Interval.Ticks);
        Assert.IsType<PingFrame>(await peer.ReceiveFrameAsync());
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(37).Ticks);
        await peer.SendAsync(Frame.Pong(Encoding.ASCII.GetBytes("not yours")));
        Assert.Equal(2, (await pongs).Count);

        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        Assert.Equal(Frame.Close(CloseReason.Normal), await peer.ReceiveFrameAsync());
        Assert.Equal(CloseReason.Normal, await server.CloseReason.Within());
        Assert.Empty(await roundTrips);
    }

    [Fact]
    public async Task PingRoundTrips_RawSession_CompletesEmptyWhenTheSessionEnds()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler(), raw: true);
        var roundTrips = server.PingRoundTrips.ToList().ToTask().Within();
        server.Start();

        await peer.SendAsync(Frame.Pong(new byte[] { 7 }));
        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        server.Outgoing.OnNext(Frame.Close(CloseReason.Normal));

        Assert.Equal(CloseReason.Normal, await server.CloseReason.Within());
        Assert.Equal(new List<TimeSpan>(), await roundTrips);
    }
}
