using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Session;

/// <summary>
/// A server session that forwards every session member to an inner session; subclasses add or replace what they
/// decorate (the upgraded request and services, metrics). One place for the forwarding, so decorators stay small.
/// </summary>
/// <remarks>Thread-safety: as the wrapped session.</remarks>
internal abstract class DelegatingWebSocketSession : IWebSocketServerSession, ISessionCore
{
    protected DelegatingWebSocketSession(IWebSocketSession inner) => Inner = inner;

    protected IWebSocketSession Inner { get; }

    public abstract ICall Call { get; }

    public abstract IServiceProvider Application { get; }

    public IObservable<Frame> Incoming => Inner.Incoming;

    public virtual IObserver<Frame> Outgoing => Inner.Outgoing;

    public Task<CloseReason?> CloseReason => Inner.CloseReason;

    public IObservable<CloseReason> Closed => Inner.Closed;

    public TimeSpan? PingInterval
    {
        get => Inner.PingInterval;
        set => Inner.PingInterval = value;
    }

    public long PingIntervalMillis
    {
        get => Inner.PingIntervalMillis;
        set => Inner.PingIntervalMillis = value;
    }

    public TimeSpan Timeout
    {
        get => Inner.Timeout;
        set => Inner.Timeout = value;
    }

    public long TimeoutMillis
    {
        get => Inner.TimeoutMillis;
        set => Inner.TimeoutMillis = value;
    }

    public long MaxFrameSize => Inner.MaxFrameSize;

    public bool Masking => Inner.Masking;

    public IReadOnlyList<string> Extensions => Inner.Extensions;

    public string? SubProtocol => Inner.SubProtocol;

    public WebSocketState State => Inner.State;

    public Side Side => Inner.Side;

    public IObservable<PingFrame> Pings => Inner.Pings;

    public IObservable<PongFrame> Pongs => Inner.Pongs;

    public IObservable<TimeSpan> PingRoundTrips => Inner.PingRoundTrips;

    public long UnsentFrameCount => Inner.UnsentFrameCount;

    WebSocketSessionBase ISessionCore.Core => ((ISessionCore)Inner).Core;

    public void Start() => Inner.Start();

    public virtual Task SendAsync(Frame frame, CancellationToken cancellationToken = default) => Inner.SendAsync(frame, cancellationToken);

    public ValueTask DisposeAsync() => Inner.DisposeAsync();
}
