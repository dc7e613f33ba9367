using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>RFC 6455 §7.1 closing handshake through a default session: either side closes, the close timeout, abnormal closure (1006).</summary>
public class CloseTests
{
    private static readonly CloseReason GoingAway = new(CloseCode.GoingAway, "bye");

    [Fact]
    public async Task PeerCloses_SessionEchoesReasonCompletesIncomingAndReportsIt()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var incomingEnd = server.Incoming.Termination();
        server.Start();

        await peer.SendAsync(Frame.Close(GoingAway));

        Assert.Equal(Frame.Close(GoingAway), await peer.ReceiveFrameAsync());
        await peer.ReceiveEndAsync(); // RFC 6455 §7.1.1: the server closes the connection first
        Assert.Null(await incomingEnd);
        Assert.Equal(GoingAway, await server.CloseReason.Within());
        Assert.Equal(GoingAway, await server.Closed.FirstValue());
    }

    [Fact]
    public async Task PeerClosesWithEmptyPayload_SessionReplies1000AndReports1005()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        server.Start();

        await peer.SendAsync(Frame.Close());

        Assert.Equal(Frame.Close(CloseReason.Normal), await peer.ReceiveFrameAsync());
        Assert.Equal(CloseCode.NoStatusReceived, (await server.CloseReason.Within())!.Code);
    }

    [Fact]
    public async Task SessionCloses_SendsCloseAndWaitsForPeersClose()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler);
        var incomingEnd = server.Incoming.Termination();

        var closed = server.Close(GoingAway).FirstAsync().ToTask();

        Assert.Equal(Frame.Close(GoingAway), await peer.ReceiveFrameAsync());
        Assert.Equal(WebSocketState.Closing, server.State);
        Assert.False(closed.IsCompleted); // still waiting for the peer's Close

        await peer.SendAsync(Frame.Close(GoingAway));

        // RFC 6455 §7.1.1: TCP is closed after both sending and receiving a Close, so the half-close comes only now.
        await peer.ReceiveEndAsync();
        Assert.Equal(GoingAway, await closed.Within());
        Assert.Null(await incomingEnd);
        Assert.Equal(WebSocketState.Closed, server.State);
    }

    [Fact]
    public async Task SessionCloses_DataFramesQueuedBeforeTheCloseAreWrittenFirst()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());

        server.Send("one");
        server.Send("two");
        _ = server.Close();

        Assert.Equal(Frame.Text("one"), await peer.ReceiveFrameAsync());
        Assert.Equal(Frame.Text("two"), await peer.ReceiveFrameAsync());
        Assert.Equal(Frame.Close(CloseReason.Normal), await peer.ReceiveFrameAsync());
    }

    [Fact]
    public async Task SessionCloses_PeerNeverAnswers_CloseTimeoutReports1006()
    {
        var scheduler = new TestScheduler();
        var options = new WebSocketOptions { PingInterval = null, CloseTimeout = TimeSpan.FromSeconds(3) };
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, options);
        var incomingEnd = server.Incoming.Termination();

        _ = server.Close();
        Assert.Equal(Frame.Close(CloseReason.Normal), await peer.ReceiveFrameAsync());
        scheduler.AdvanceBy(TimeSpan.FromSeconds(3).Ticks);

        var reason = await server.CloseReason.Within();
        Assert.Equal(CloseCode.ClosedAbnormally, reason!.Code);
        var error = Assert.IsType<ConnectionClosedException>(await incomingEnd);
        Assert.Null(error.Received);
        Assert.Equal(CloseReason.Normal, error.Sent);
    }

    [Fact]
    public async Task SessionCloses_PeerAnswersJustBeforeTimeout_ReportsAgreedReason()
    {
        var scheduler = new TestScheduler();
        var options = new WebSocketOptions { PingInterval = null, CloseTimeout = TimeSpan.FromSeconds(3) };
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler, options);

        _ = server.Close(GoingAway);
        await peer.ReceiveFrameAsync();
        scheduler.AdvanceBy(TimeSpan.FromSeconds(3).Ticks - 1);
        await peer.SendAsync(Frame.Close(GoingAway));

        Assert.Equal(GoingAway, await server.CloseReason.Within());
    }

    [Fact]
    public async Task PeerEndsStreamWithoutClose_Reports1006NeverSentAndIncomingErrors()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var incomingEnd = server.Incoming.Termination();
        server.Start();

        peer.CompleteOutput();

        var error = Assert.IsType<ConnectionClosedException>(await incomingEnd);
        Assert.Null(error.Received);
        Assert.Equal(CloseCode.ClosedAbnormally, (await server.CloseReason.Within())!.Code);
        // RFC 6455 §7.4.1: 1006 "MUST NOT be set as a status code in a Close control frame": nothing is sent.
        await peer.ReceiveEndAsync();
    }

    [Fact]
    public async Task PeerEndsStreamInTheMiddleOfAFrame_Reports1006()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        server.Start();

        await peer.SendBytesAsync(Hex.Parse("81 85 00 00 00 00 68 65")); // masked text, 5 bytes announced, 2 sent
        peer.CompleteOutput();

        Assert.Equal(CloseCode.ClosedAbnormally, (await server.CloseReason.Within())!.Code);
    }

    [Fact]
    public async Task TransportError_Reports1006WithTheCause()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var incomingEnd = server.Incoming.Termination();
        server.Start();
        var reset = new System.IO.IOException("reset");

        peer.CompleteOutput(reset);

        var error = Assert.IsType<ConnectionClosedException>(await incomingEnd);
        Assert.Same(reset, error.InnerException);
        Assert.Equal(CloseCode.ClosedAbnormally, (await server.CloseReason.Within())!.Code);
    }

    [Fact]
    public async Task ClientSessionCloses_ServerSessionEchoes_BothAgree()
    {
        var scheduler = new TestScheduler();
        var options = new WebSocketOptions { PingInterval = null };
        await using var pair = WebSocketTestPair.Create(scheduler, options, options);
        pair.StartBoth();

        _ = pair.Client.Close(GoingAway);

        Assert.Equal(GoingAway, await pair.Client.CloseReason.Within());
        Assert.Equal(GoingAway, await pair.Server.CloseReason.Within());
    }

    [Fact]
    public async Task ServerSessionCloses_ClientSessionEchoes_BothAgree()
    {
        var scheduler = new TestScheduler();
        var options = new WebSocketOptions { PingInterval = null };
        await using var pair = WebSocketTestPair.Create(scheduler, options, options);
        pair.StartBoth();

        pair.Server.Outgoing.OnCompleted();

        Assert.Equal(CloseReason.Normal, await pair.Server.CloseReason.Within());
        Assert.Equal(CloseReason.Normal, await pair.Client.CloseReason.Within());
    }

    [Fact]
    public async Task OutgoingOnError_Closes1011WithoutExceptionText()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());

        server.Outgoing.OnError(new InvalidOperationException("secret detail"));

        var close = Assert.IsType<CloseFrame>(await peer.ReceiveFrameAsync());
        Assert.Equal(new CloseReason(CloseCode.InternalError, "Internal error"), close.Reason);
    }

    [Fact]
    public async Task Close_Twice_SecondReasonIgnored()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());

        _ = server.Close(GoingAway);
        _ = server.Close(CloseReason.Normal);

        Assert.Equal(Frame.Close(GoingAway), await peer.ReceiveFrameAsync());
        await peer.SendAsync(Frame.Close(GoingAway));
        await peer.ReceiveEndAsync(); // nothing but the end after the one Close
    }

    [Fact]
    public async Task SessionCloses_NoHalfCloseUntilThePeersCloseOrTheCloseTimeout()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler);

        _ = server.Close(GoingAway);
        Assert.Equal(Frame.Close(GoingAway), await peer.ReceiveFrameAsync());
        var end = peer.ReceiveEndAsync();

        // The peer has not answered: the write side stays open (a peer may drop its reply Close once it sees our FIN)
        // until the close timeout gives up on it.
        Assert.False(end.IsCompleted);
        scheduler.AdvanceBy(new WebSocketOptions().CloseTimeout.Ticks);
        await end.Within();
        Assert.Equal(CloseCode.ClosedAbnormally, (await server.CloseReason.Within())!.Code);
    }

    [Fact]
    public async Task AfterClose_SendAsyncFaultsAndObserverFramesAreCounted()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        server.Start();
        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        await server.CloseReason.Within();

        var send = server.SendAsync(Frame.Text("late"));
        server.Send("late too");

        await Assert.ThrowsAsync<ConnectionClosedException>(() => send.Within());
        Assert.Equal(1, server.UnsentFrameCount);
    }

    [Fact]
    public async Task Dispose_SendsGoingAwayAndEnds()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());

        await server.DisposeAsync().AsTask().Within();

        Assert.Equal(Frame.Close(new CloseReason(CloseCode.GoingAway)), await peer.ReceiveFrameAsync());
        Assert.Equal(CloseCode.GoingAway, (await server.CloseReason.Within())!.Code);
    }

    [Fact]
    public async Task Incoming_EndsBeforeCloseReasonCompletes_AndNothingFollows()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var events = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.Incoming.Subscribe(f => events.Enqueue("frame"), e => events.Enqueue("error"), () => events.Enqueue("completed"));
        var closed = server.CloseReason.ContinueWith(_ => events.Enqueue("closed"), TaskScheduler.Default);
        server.Start();

        await peer.SendAsync(Frame.Text("a"));
        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        await peer.SendAsync(Frame.Text("after close")); // never read: RFC 6455 §1.4, nothing follows a Close
        await closed.Within();

        Assert.Equal(new[] { "frame", "completed", "closed" }, events.ToArray());
    }
}
