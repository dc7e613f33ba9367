using System.Reactive.Disposables;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Hosting.Internal;

/// <summary>
/// The session a hosted handler sees: the engine's session with <see cref="Application"/> replaced by the session's own
/// DI scope, and the frames the application exchanges counted for <see cref="WebSocketMetrics"/>.
/// </summary>
/// <remarks>
/// Everything else delegates to the engine's session, including the internal core that
/// <see cref="WebSocketSessionExtensions.ReadAllAsync"/> and <see cref="WebSocketSessionExtensions.Messages"/> use.
/// Thread-safety: as the wrapped session.
/// </remarks>
internal sealed class HostedWebSocketSession : DelegatingWebSocketSession, IDisposable
{
    private readonly IWebSocketServerSession _inner;
    private readonly HostingInstruments _instruments;
    private readonly CompositeDisposable _counting = new();

    public HostedWebSocketSession(IWebSocketServerSession inner, IServiceProvider application, HostingInstruments instruments, bool raw)
        : base(inner)
    {
        _inner = inner;
        _instruments = instruments;
        Application = application;
        Outgoing = new CountingObserver(inner.Outgoing, instruments);

        // Subscribed before the handler runs (and before reading starts), so no frame goes uncounted. A raw session's
        // Incoming already holds its pings and pongs.
        _counting.Add(inner.Incoming.Subscribe(f => instruments.OnFrame(f, sent: false), _ => { }));
        if (!raw)
        {
            _counting.Add(inner.Pings.Subscribe(f => instruments.OnFrame(f, sent: false), _ => { }));
            _counting.Add(inner.Pongs.Subscribe(f => instruments.OnFrame(f, sent: false), _ => { }));
        }
    }

    public override ICall Call => _inner.Call;

    public override IServiceProvider Application { get; }

    public override IObserver<Frame> Outgoing { get; }

    public override Task SendAsync(Frame frame, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        _instruments.OnFrame(frame, sent: true);
        return base.SendAsync(frame, cancellationToken);
    }

    public void Dispose() => _counting.Dispose();

    private sealed class CountingObserver : IObserver<Frame>
    {
        private readonly IObserver<Frame> _inner;
        private readonly HostingInstruments _instruments;

        public CountingObserver(IObserver<Frame> inner, HostingInstruments instruments)
        {
            _inner = inner;
            _instruments = instruments;
        }

        public void OnNext(Frame value)
        {
            if (value is not null)
            {
                _instruments.OnFrame(value, sent: true);
            }

            _inner.OnNext(value!);
        }

        public void OnError(Exception error) => _inner.OnError(error);

        public void OnCompleted() => _inner.OnCompleted();
    }
}
