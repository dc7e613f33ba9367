using Rx.WebSockets.Protocol;

namespace Rx.WebSockets.Tests.Protocol;

/// <summary>RFC 6455 §7 Closing the Connection (§5.5.1 Close, §7.1.2 Start the Closing Handshake, §7.1.5 Close Code, §7.1.7 Fail).</summary>
public class CloseHandshakeTests
{
    private static readonly CloseReason GoingAway = new(CloseCode.GoingAway, "bye");

    [Fact]
    public void New_IsOpen_WithNoReasons()
    {
        var handshake = new CloseHandshake();

        Assert.Equal(ProtocolState.Open, handshake.State);
        Assert.Null(handshake.Sent);
        Assert.Null(handshake.Received);
        Assert.Null(handshake.Result);
        Assert.False(handshake.IsFailed);
    }

    [Fact]
    public void StartClosing_WhenOpen_ReturnsCloseFrameAndMovesToCloseSent()
    {
        var handshake = new CloseHandshake();

        Assert.True(handshake.TryStartClosing(GoingAway, out var frame));

        Assert.Equal(Frame.Close(GoingAway), frame);
        Assert.Equal(ProtocolState.CloseSent, handshake.State);
        Assert.Equal(GoingAway, handshake.Sent);
        Assert.Null(handshake.Result);
    }

    [Fact]
    public void StartClosing_Twice_SecondCallSendsNothing()
    {
        var handshake = new CloseHandshake();
        handshake.TryStartClosing(CloseReason.Normal, out _);

        Assert.False(handshake.TryStartClosing(GoingAway, out var frame));

        Assert.Null(frame);
        Assert.Equal(CloseReason.Normal, handshake.Sent);
    }

    [Theory]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    public void StartClosing_UnsendableCode_ThrowsAndStaysOpen(ushort code)
    {
        var handshake = new CloseHandshake();

        Assert.Throws<ArgumentException>(() => handshake.TryStartClosing(new CloseReason(code), out _));

        Assert.Equal(ProtocolState.Open, handshake.State);
    }

    [Fact]
    public void PeerCloses_WhenOpen_RepliesWithSameReasonAndReportsIt()
    {
        var handshake = new CloseHandshake();

        var decision = handshake.OnCloseReceived(GoingAway, out var reply);

        Assert.Equal(CloseDecision.Reply, decision);
        Assert.Equal(Frame.Close(GoingAway), reply);
        Assert.Equal(ProtocolState.CloseReceived, handshake.State);
        Assert.Equal(GoingAway, handshake.Received);
        Assert.Equal(GoingAway, handshake.Result);
    }

    [Fact]
    public void PeerCloses_WithEmptyPayload_RepliesWith1000AndReports1005()
    {
        var handshake = new CloseHandshake();

        handshake.OnCloseReceived(null, out var reply);

        Assert.Equal(Frame.Close(CloseReason.Normal), reply);
        Assert.Equal(CloseCode.NoStatusReceived, handshake.Result!.Code);
    }

    [Fact]
    public void PeerCloses_WithUnsendableCode_RepliesWith1000()
    {
        var handshake = new CloseHandshake();

        handshake.OnCloseReceived(new CloseReason(CloseCode.ClosedAbnormally), out var reply);

        Assert.Equal(Frame.Close(CloseReason.Normal), reply);
    }

    [Fact]
    public void PeerCloses_AfterWeStarted_CompletesWithPeersReason()
    {
        var handshake = new CloseHandshake();
        handshake.TryStartClosing(CloseReason.Normal, out _);

        var decision = handshake.OnCloseReceived(GoingAway, out var reply);

        Assert.Equal(CloseDecision.CloseTransport, decision);
        Assert.Null(reply);
        Assert.Equal(ProtocolState.Closed, handshake.State);
        Assert.Equal(GoingAway, handshake.Result);
    }

    [Fact]
    public void PeerRepliesEmpty_AfterWeStarted_ReportsOurReason()
    {
        var handshake = new CloseHandshake();
        handshake.TryStartClosing(GoingAway, out _);

        handshake.OnCloseReceived(null, out _);

        Assert.Equal(GoingAway, handshake.Result);
    }

    [Fact]
    public void StartClosing_AfterPeerClosed_ReturnsFalse()
    {
        var handshake = new CloseHandshake();
        handshake.OnCloseReceived(GoingAway, out _);

        Assert.False(handshake.TryStartClosing(CloseReason.Normal, out _));
        Assert.Equal(GoingAway, handshake.Result);
    }

    [Fact]
    public void SecondPeerClose_IsIgnored()
    {
        var handshake = new CloseHandshake();
        handshake.OnCloseReceived(GoingAway, out _);

        Assert.Equal(CloseDecision.None, handshake.OnCloseReceived(CloseReason.Normal, out var reply));
        Assert.Null(reply);
        Assert.Equal(GoingAway, handshake.Result);
    }

    [Fact]
    public void EndOfStream_WhenOpen_IsAbnormal1006()
    {
        var handshake = new CloseHandshake();

        Assert.Equal(CloseDecision.Abnormal, handshake.OnEndOfStream());

        Assert.Equal(CloseCode.ClosedAbnormally, handshake.Result!.Code);
        Assert.Equal(ProtocolState.Closed, handshake.State);
    }

    [Fact]
    public void EndOfStream_AfterWeStarted_IsAbnormal1006()
    {
        var handshake = new CloseHandshake();
        handshake.TryStartClosing(CloseReason.Normal, out _);

        Assert.Equal(CloseDecision.Abnormal, handshake.OnEndOfStream());
        Assert.Equal(CloseCode.ClosedAbnormally, handshake.Result!.Code);
    }

    [Fact]
    public void EndOfStream_AfterPeerClosed_KeepsPeersReason()
    {
        var handshake = new CloseHandshake();
        handshake.OnCloseReceived(GoingAway, out _);

        Assert.Equal(CloseDecision.None, handshake.OnEndOfStream());
        Assert.Equal(GoingAway, handshake.Result);
    }

    [Fact]
    public void CloseTimeout_AfterWeStarted_IsAbnormal1006()
    {
        var handshake = new CloseHandshake();
        handshake.TryStartClosing(CloseReason.Normal, out _);

        Assert.Equal(CloseDecision.Abnormal, handshake.OnCloseTimeout());

        Assert.Equal(new CloseReason(CloseCode.ClosedAbnormally, CloseHandshake.CloseTimeoutMessage), handshake.Result);
        Assert.Equal(ProtocolState.Closed, handshake.State);
    }

    [Fact]
    public void CloseTimeout_AfterHandshakeCompleted_ChangesNothing()
    {
        var handshake = new CloseHandshake();
        handshake.TryStartClosing(CloseReason.Normal, out _);
        handshake.OnCloseReceived(CloseReason.Normal, out _);

        Assert.Equal(CloseDecision.None, handshake.OnCloseTimeout());
        Assert.Equal(CloseReason.Normal, handshake.Result);
    }

    [Fact]
    public void CloseTimeout_WhileReplying_ClosesTransportAndKeepsPeersReason()
    {
        var handshake = new CloseHandshake();
        handshake.OnCloseReceived(GoingAway, out _);

        Assert.Equal(CloseDecision.Abnormal, handshake.OnCloseTimeout());
        Assert.Equal(GoingAway, handshake.Result);
    }

    [Theory]
    [InlineData(1002)]
    [InlineData(1007)]
    [InlineData(1009)]
    public void Fail_WhenOpen_SendsCodeAndReportsIt(ushort code)
    {
        var handshake = new CloseHandshake();
        var reason = new CloseReason(code, "x");

        Assert.True(handshake.TryFail(reason, out var frame));

        Assert.Equal(Frame.Close(reason), frame);
        Assert.Equal(ProtocolState.Closed, handshake.State);
        Assert.Equal(reason, handshake.Result);
        Assert.True(handshake.IsFailed);
    }

    [Fact]
    public void Fail_AfterWeStarted_SendsNoSecondCloseButReportsFailure()
    {
        var handshake = new CloseHandshake();
        handshake.TryStartClosing(CloseReason.Normal, out _);
        var reason = new CloseReason(CloseCode.ProtocolError);

        Assert.True(handshake.TryFail(reason, out var frame));

        Assert.Null(frame);
        Assert.Equal(reason, handshake.Result);
    }

    [Fact]
    public void Fail_AfterPeerClosed_IsRefused()
    {
        var handshake = new CloseHandshake();
        handshake.OnCloseReceived(GoingAway, out _);

        Assert.False(handshake.TryFail(new CloseReason(CloseCode.ProtocolError), out var frame));
        Assert.Null(frame);
        Assert.Equal(GoingAway, handshake.Result);
    }

    [Fact]
    public void PeerClose_AfterFail_IsIgnored()
    {
        var handshake = new CloseHandshake();
        var reason = new CloseReason(CloseCode.TooBig);
        handshake.TryFail(reason, out _);

        Assert.Equal(CloseDecision.None, handshake.OnCloseReceived(CloseReason.Normal, out _));
        Assert.Equal(CloseDecision.Abnormal, handshake.OnEndOfStream());
        Assert.Equal(reason, handshake.Result);
    }

    [Fact]
    public void TransportClosed_WithoutAnyEvent_Reports1006()
    {
        var handshake = new CloseHandshake();

        Assert.Equal(CloseCode.ClosedAbnormally, handshake.OnTransportClosed().Code);
        Assert.Equal(ProtocolState.Closed, handshake.State);
    }

    [Fact]
    public void TransportClosed_AfterHandshake_ReportsAgreedReason()
    {
        var handshake = new CloseHandshake();
        handshake.OnCloseReceived(GoingAway, out _);

        Assert.Equal(GoingAway, handshake.OnTransportClosed());
    }

    [Fact]
    public void ConcurrentStartAndPeerClose_ExactlyOneWins()
    {
        for (int i = 0; i < 200; i++)
        {
            var handshake = new CloseHandshake();
            bool started = false;
            var decision = CloseDecision.None;
            System.Threading.Tasks.Parallel.Invoke(
                () => started = handshake.TryStartClosing(CloseReason.Normal, out _),
                () => decision = handshake.OnCloseReceived(GoingAway, out _));

            // Either we closed first (and the peer's Close completes the handshake) or the peer did (and we reply).
            Assert.True(started ? decision == CloseDecision.CloseTransport : decision == CloseDecision.Reply);
            Assert.Equal(GoingAway, handshake.Result);
        }
    }
}
