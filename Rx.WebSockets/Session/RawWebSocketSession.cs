using System.IO.Pipelines;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading.Tasks;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Protocol.Extensions;

namespace Rx.WebSockets.Session;

/// <summary>
/// The raw session (Ktor's <c>RawWebSocket</c>, fastwebsockets' frames-first API): every frame the decoder produces —
/// fragments, pings, pongs, the peer's Close — goes to Incoming, and every frame given to Outgoing is written as it is.
/// Nothing is answered automatically: no pong, no Close echo, no reassembly, no pinger.
/// </summary>
/// <remarks>
/// After the peer's Close the session stops reading, completes Incoming and waits, up to the close timeout, for the
/// application to send its own Close. After the application's Close is written the writer is completed and the session
/// reads until the peer's Close, the end of the stream or the close timeout.
/// Thread-safety: as <see cref="WebSocketSessionBase"/>; the pings and pongs subjects are notified on the read loop only.
/// </remarks>
internal sealed class RawWebSocketSession : WebSocketSessionBase
{
    private readonly Subject<PingFrame> _pings = new();
    private readonly Subject<PongFrame> _pongs = new();

    public RawWebSocketSession(IDuplexPipe transport, Side side, WebSocketOptions options, IScheduler scheduler, string? subProtocol, IWebSocketExtension? extension = null)
        : base(transport, side, options, scheduler, subProtocol, extension)
    {
    }

    /// <summary>Always null: a raw session has no pinger (Ktor's raw session has no ping settings at all).</summary>
    /// <exception cref="NotSupportedException">A non-null value is set.</exception>
    public override TimeSpan? PingInterval
    {
        get => null;
        set
        {
            if (value is not null)
            {
                throw new NotSupportedException("A raw session has no pinger; wire KeepAlive.Pinger yourself, or use a default session.");
            }
        }
    }

    public override TimeSpan Timeout
    {
        get => Options.Timeout;
        set => Options.Timeout = value;
    }

    public override IObservable<PingFrame> Pings => _pings.AsObservable();

    public override IObservable<PongFrame> Pongs => _pongs.AsObservable();

    protected override async ValueTask OnFrameAsync(Frame frame)
    {
        switch (frame)
        {
            case PingFrame ping:
                _pings.OnNext(ping);
                break;
            case PongFrame pong:
                _pongs.OnNext(pong);
                break;
        }

        if (frame is CloseFrame close)
        {
            // No automatic reply: the application answers through Outgoing. The timer bounds how long it may take; it is
            // armed before the Close is delivered, so an observer that reacts to the Close sees the session's final state.
            if (Handshake.OnCloseReceived(close.Reason, out _) == CloseDecision.Reply)
            {
                ArmCloseTimer();
            }

            StopReading(null);
        }

        await DeliverAsync(frame).ConfigureAwait(false);
    }

    protected override void OnApplicationFrame(Frame frame)
    {
        if (frame is CloseFrame close)
        {
            SendClose(close);
        }
        else
        {
            PostData(frame);
        }
    }

    protected override void SendClose(CloseFrame close)
    {
        // The application's own frame goes out as it is — including the reply to the peer's Close.
        bool started = Handshake.TryStartClosing(close.Reason ?? Rx.WebSockets.CloseReason.Normal, out _);
        if (Queue.SealWithClose(close) && started)
        {
            ArmCloseTimer();
        }

        Start();
    }

    protected override void OnEnded()
    {
        _pings.OnCompleted();
        _pongs.OnCompleted();
    }
}
