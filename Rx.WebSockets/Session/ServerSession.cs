using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Session;

/// <summary>
/// A server session: a session plus the upgraded request and the host's services, by delegation (Ktor's
/// <c>DefaultWebSocketServerSession</c> is a thin wrapper adding <c>call</c> the same way).
/// </summary>
/// <remarks>Thread-safety: as the wrapped session; the added members are immutable.</remarks>
internal sealed class ServerSession : IWebSocketServerSession, ISessionCore
{
    private readonly IWebSocketSession _inner;

    public ServerSession(IWebSocketSession inner, ICall call, IServiceProvider application)
    {
        _inner = inner;
        Call = call;
        Application = application;
    }

    public ICall Call { get; }

    public IServiceProvider Application { get; }

    public IObservable<Frame> Incoming => _inner.Incoming;

    public IObserver<Frame> Outgoing => _inner.Outgoing;

    public Task<CloseReason?> CloseReason => _inner.CloseReason;

    public IObservable<CloseReason> Closed => _inner.Closed;

    public TimeSpan? PingInterval
    {
        get => _inner.PingInterval;
        set => _inner.PingInterval = value;
    }

    public long PingIntervalMillis
    {
        get => _inner.PingIntervalMillis;
        set => _inner.PingIntervalMillis = value;
    }

    public TimeSpan Timeout
    {
        get => _inner.Timeout;
        set => _inner.Timeout = value;
    }

    public long TimeoutMillis
    {
        get => _inner.TimeoutMillis;
        set => _inner.TimeoutMillis = value;
    }

    public long MaxFrameSize => _inner.MaxFrameSize;

    public bool Masking => _inner.Masking;

    public IReadOnlyList<string> Extensions => _inner.Extensions;

    public string? SubProtocol => _inner.SubProtocol;

    public WebSocketState State => _inner.State;

    public Side Side => _inner.Side;

    public IObservable<PingFrame> Pings => _inner.Pings;

    public IObservable<PongFrame> Pongs => _inner.Pongs;

    public long UnsentFrameCount => _inner.UnsentFrameCount;

    WebSocketSessionBase ISessionCore.Core => ((ISessionCore)_inner).Core;

    public void Start() => _inner.Start();

    public Task SendAsync(Frame frame, CancellationToken cancellationToken = default) => _inner.SendAsync(frame, cancellationToken);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
