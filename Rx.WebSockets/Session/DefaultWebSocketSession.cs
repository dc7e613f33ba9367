using System.IO.Pipelines;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading.Tasks;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Protocol.Extensions;

namespace Rx.WebSockets.Session;

/// <summary>
/// The default session (Ktor's <c>DefaultWebSocketSession</c>, with its gaps closed): answers pings ahead of queued data
/// (ponger), pings the peer (pinger), echoes the peer's Close and times out an unanswered one, reassembles fragmented
/// messages, and hides control frames from Incoming.
/// </summary>
/// <remarks>
/// <para>
/// Differences from Ktor, deliberately: pongs go on the control lane instead of behind queued messages; a close
/// handshake that the peer does not complete ends after <see cref="WebSocketOptions.CloseTimeout"/> with 1006 (Ktor
/// waits forever); protocol errors are reported as the decoder's code (Ktor reports 1006); a ping timeout ends Incoming
/// with <see cref="PingTimeoutException"/> and is not logged as an error.
/// </para>
/// <para>
/// Thread-safety: as <see cref="WebSocketSessionBase"/>. <c>_pingerGate</c> serialises pinger restarts from property
/// setters with the start and the end of the session.
/// </para>
/// </remarks>
internal sealed class DefaultWebSocketSession : WebSocketSessionBase, IPingerHost
{
    // Per-session objects are few and small on purpose (issue 6: ten thousand idle sessions): the pinger is one object
    // fed directly by the read loop rather than an Rx chain subscribed to Pongs, the ponger is a call, and the message
    // assembler is created by the first data frame.
    private readonly object _pingerGate = new();
    private readonly Subject<PingFrame> _pings = new();
    private readonly Subject<PongFrame> _pongs = new();
    private readonly Subject<TimeSpan> _pingRoundTrips = new();
    private volatile Pinger? _pinger;
    private MessageAssembler? _assembler;
    private TimeSpan? _pingInterval;
    private TimeSpan _timeout;
    private bool _pingerLive;

    public DefaultWebSocketSession(IDuplexPipe transport, Side side, WebSocketOptions options, IScheduler scheduler, string? subProtocol, IWebSocketExtension? extension = null)
        : base(transport, side, options, scheduler, subProtocol, extension)
    {
        _pingInterval = Options.PingInterval;
        _timeout = Options.Timeout;
    }

    public override TimeSpan? PingInterval
    {
        get
        {
            lock (_pingerGate)
            {
                return _pingInterval;
            }
        }

        set
        {
            if (value is { } v && v <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Use null to disable the pinger.");
            }

            lock (_pingerGate)
            {
                _pingInterval = value;
                RestartPinger();
            }
        }
    }

    public override TimeSpan Timeout
    {
        get
        {
            lock (_pingerGate)
            {
                return _timeout;
            }
        }

        set
        {
            if (value < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The timeout must not be negative.");
            }

            lock (_pingerGate)
            {
                _timeout = value;
                RestartPinger();
            }
        }
    }

    public override IObservable<PingFrame> Pings => _pings.AsObservable();

    public override IObservable<PongFrame> Pongs => _pongs.AsObservable();

    public override IObservable<TimeSpan> PingRoundTrips => _pingRoundTrips.AsObservable();

    protected override void OnStarting()
    {
        lock (_pingerGate)
        {
            if (Handshake.State != ProtocolState.Open)
            {
                return; // started only to read the peer's Close: no keep-alive any more
            }

            _pingerLive = true;
            RestartPinger();
        }
    }

    protected override ValueTask OnFrameAsync(Frame frame)
    {
        switch (frame)
        {
            case DataFrame data:
                // Not async: a message delivered synchronously (no ReadAllAsync consumer waiting) costs no state machine.
                _assembler ??= new MessageAssembler(Options.Limits.MaxMessageSize);
                return _assembler.TryAdd(data, out var message) ? DeliverAsync(message) : default;
            case PingFrame ping:
                // RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response ... as soon
                // as is practical": the control lane puts it ahead of queued data frames (KeepAlive.Ponger's answer: the
                // same payload, before the application's observers of Pings see the ping).
                Queue.PostControl(Frame.Pong(ping.Payload));
                _pings.OnNext(ping);
                break;
            case PongFrame pong:
                // The pinger first, so that the round trip does not include the application's observers of Pongs.
                _pinger?.OnPong(pong);
                _pongs.OnNext(pong);
                break;
            case CloseFrame close:
                OnCloseReceived(close);
                break;
        }

        return default;
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

    protected override void OnEnded()
    {
        lock (_pingerGate)
        {
            _pingerLive = false;
            _pinger?.Dispose();
            _pinger = null;
        }

        _assembler?.Dispose();
        _pings.OnCompleted();
        _pongs.OnCompleted();
        _pingRoundTrips.OnCompleted();
    }

    protected override void OnClosing() => StopPinger();

    private void OnCloseReceived(CloseFrame close)
    {
        StopPinger();
        switch (Handshake.OnCloseReceived(close.Reason, out var reply))
        {
            case CloseDecision.Reply:
                // RFC 6455 §5.5.1: the reply may wait "until its current message is sent": it follows the frames already
                // accepted, so an answer the application queued before the peer's Close still reaches the peer.
                Queue.SealWithClose(reply!);
                ArmCloseTimer();
                break;
            case CloseDecision.CloseTransport:
                // Our Close was answered: the handshake is complete; the write loop ends after our Close.
                break;
        }

        StopReading(null);
    }

    private void StopPinger()
    {
        lock (_pingerGate)
        {
            _pingerLive = false;
            _pinger?.Dispose();
            _pinger = null;
        }
    }

    // Called under _pingerGate.
    private void RestartPinger()
    {
        if (!_pingerLive)
        {
            return;
        }

        _pinger?.Dispose();
        _pinger = null;
        if (_pingInterval is { } interval)
        {
            var pinger = new Pinger(this, interval, _timeout, Scheduler, measureRoundTrips: true);
            _pinger = pinger;
            pinger.Start();
        }
    }

    void IPingerHost.OnPing(PingFrame ping) => Queue.PostControl(ping);

    void IPingerHost.OnRoundTrip(TimeSpan roundTrip) => _pingRoundTrips.OnNext(roundTrip);

    void IPingerHost.OnPingTimeout(PingTimeoutException error)
    {
        StopPinger();
        // Ktor's reason: 1011 "Ping timeout". Incoming ends with the typed exception; nothing is logged as an error.
        Fail(new CloseReason(CloseCode.InternalError, PingTimeoutMessage), error);
    }
}
