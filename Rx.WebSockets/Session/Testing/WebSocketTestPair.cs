using System.Reactive.Concurrency;
using System.Threading.Tasks;

namespace Rx.WebSockets.Session.Testing;

/// <summary>
/// A client session and a server session connected by an <see cref="InMemoryTransport"/>, on one scheduler: the test kit
/// for applications. Give both a <c>TestScheduler</c>, push frames through either session's Outgoing, advance virtual
/// time, and record Incoming with a testable observer.
/// </summary>
/// <remarks>
/// The sessions' read and write loops are real asynchronous loops over in-memory pipes: after pushing a frame, await the
/// event you expect (for example <c>session.Incoming.FirstAsync().ToTask()</c> with a timeout) before advancing virtual
/// time, so that the scheduler is driven from one thread at a time. Neither session is started: call
/// <see cref="StartBoth"/> (or <see cref="IWebSocketSession.Start"/>) after subscribing.
/// Thread-safety: as the sessions.
/// </remarks>
public sealed class WebSocketTestPair : IAsyncDisposable
{
    private WebSocketTestPair(InMemoryTransport transport, IWebSocketSession client, IWebSocketSession server)
    {
        Transport = transport;
        Client = client;
        Server = server;
    }

    /// <summary>The transport between the two sessions.</summary>
    public InMemoryTransport Transport { get; }

    /// <summary>The client session (masks its frames).</summary>
    public IWebSocketSession Client { get; }

    /// <summary>The server session.</summary>
    public IWebSocketSession Server { get; }

    /// <summary>Creates two default sessions.</summary>
    /// <param name="scheduler">The scheduler of both sessions' timers.</param>
    /// <param name="serverOptions">The server's options; <c>new WebSocketOptions()</c> when null.</param>
    /// <param name="clientOptions">The client's options; <c>new WebSocketOptions()</c> when null.</param>
    /// <returns>The pair.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/> is null.</exception>
    public static WebSocketTestPair Create(IScheduler scheduler, WebSocketOptions? serverOptions = null, WebSocketOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        var transport = new InMemoryTransport();
        return new WebSocketTestPair(
            transport,
            WebSocketSession.Create(transport.Client, Side.Client, clientOptions ?? new WebSocketOptions(), scheduler),
            WebSocketSession.Create(transport.Server, Side.Server, serverOptions ?? new WebSocketOptions(), scheduler));
    }

    /// <summary>Starts reading on both sessions.</summary>
    public void StartBoth()
    {
        Client.Start();
        Server.Start();
    }

    /// <summary>Disposes both sessions.</summary>
    /// <returns>A task that completes when both have ended.</returns>
    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
    }
}
