using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// The server's side of one peer connection, seen from a test: the session once accepted, how many pings and pongs it
/// received (counted from before the session started, so none is missed), and the reason it ended with.
/// </summary>
public sealed class SessionProbe
{
    private readonly TaskCompletionSource<IWebSocketServerSession> _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly BehaviorSubject<int> _pings = new(0);
    private readonly BehaviorSubject<int> _pongs = new(0);
    private int _pingCount;
    private int _pongCount;

    /// <summary>The session, once the server accepted the connection.</summary>
    public Task<IWebSocketServerSession> Accepted => _accepted.Task;

    /// <summary>Pings received so far.</summary>
    public int PingCount => Volatile.Read(ref _pingCount);

    /// <summary>Pongs received so far.</summary>
    public int PongCount => Volatile.Read(ref _pongCount);

    /// <summary>The close reason the session ended with (the peer's Close, or its answer to ours).</summary>
    public async Task<CloseReason?> ClosedAsync(TimeSpan timeout) => await (await Accepted.WaitAsync(timeout)).CloseReason.WaitAsync(timeout);

    /// <summary>The close reason as the expectations file writes it: <c>{"code": N, "reason": "..."}</c>, or null.</summary>
    public async Task<JsonNode?> ClosedJsonAsync(TimeSpan timeout) => Expectations.Close(await ClosedAsync(timeout));

    /// <summary>Completes with the count once <paramref name="count"/> pings have arrived.</summary>
    public Task<int> WaitForPingsAsync(int count, CancellationToken cancellationToken = default) =>
        _pings.FirstAsync(n => n >= count).ToTask(cancellationToken);

    /// <summary>Completes with the count once <paramref name="count"/> pongs have arrived.</summary>
    public Task<int> WaitForPongsAsync(int count, CancellationToken cancellationToken = default) =>
        _pongs.FirstAsync(n => n >= count).ToTask(cancellationToken);

    /// <summary>Starts watching <paramref name="session"/>; called by the server before the session starts reading.</summary>
    internal void Attach(IWebSocketServerSession session)
    {
        session.Pings.Subscribe(_ => _pings.OnNext(Interlocked.Increment(ref _pingCount)));
        session.Pongs.Subscribe(_ => _pongs.OnNext(Interlocked.Increment(ref _pongCount)));
        _accepted.TrySetResult(session);
    }
}
