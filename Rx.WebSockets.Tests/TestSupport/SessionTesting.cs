using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;

namespace Rx.WebSockets.Tests.TestSupport;

/// <summary>Helpers for session tests: bounded awaits on real async loops, and a scheduler that can tell whether timers are left.</summary>
public static class SessionTesting
{
    /// <summary>How long a test waits for an event of the real read/write loops before failing (never a sleep).</summary>
    public static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(5);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(EventTimeout);

    public static Task Within(this Task task) => task.WaitAsync(EventTimeout);

    /// <summary>The first value of a hot observable, subscribed now: call before triggering the event.</summary>
    public static Task<T> FirstValue<T>(this IObservable<T> source) => source.FirstAsync().ToTask().WaitAsync(EventTimeout);

    /// <summary>The error Incoming (or any observable) ends with, subscribed now.</summary>
    public static async Task<Exception?> Termination<T>(this IObservable<T> source)
    {
        try
        {
            await source.LastOrDefaultAsync().ToTask().WaitAsync(EventTimeout);
            return null;
        }
        catch (TimeoutException)
        {
            throw;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>A client test peer over the client end and a default server session over the server end.</summary>
    public static (WebSocketTestPeer Peer, IWebSocketSession Server) ServerWithPeer(TestScheduler scheduler, WebSocketOptions? options = null, bool raw = false)
    {
        var transport = new InMemoryTransport();
        options ??= new WebSocketOptions { PingInterval = null };
        var server = raw
            ? WebSocketSession.CreateRaw(transport.Server, Side.Server, options, scheduler)
            : WebSocketSession.Create(transport.Server, Side.Server, options, scheduler);
        return (new WebSocketTestPeer(transport.Client, Side.Client), server);
    }

    public static async Task<Frame> ReceiveFrameAsync(this WebSocketTestPeer peer)
    {
        var frame = await peer.ReceiveAsync().WaitAsync(EventTimeout);
        Assert.NotNull(frame);
        return frame;
    }

    public static async Task ReceiveEndAsync(this WebSocketTestPeer peer)
    {
        var frame = await peer.ReceiveAsync().WaitAsync(EventTimeout);
        Assert.Null(frame);
    }
}

/// <summary>A TestScheduler that can tell whether any non-cancelled work is still queued (a leaked timer).</summary>
public sealed class InspectableScheduler : TestScheduler
{
    public bool HasPendingWork => GetNext() is not null;
}
