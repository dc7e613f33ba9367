using System.Reactive.Concurrency;
using System.Threading.Tasks;
using Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;

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
    /// <param name="compression">
    /// permessage-deflate parameters as if the handshake had agreed them (both sessions then compress, each with its
    /// options' <see cref="WebSocketOptions.Compression"/> and limits); null for no extension.
    /// </param>
    /// <returns>The pair.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="compression"/> asks for a window the codec cannot honour: 8 bits always, 9–14 bits when the system zlib is missing.</exception>
    public static WebSocketTestPair Create(
        IScheduler scheduler, WebSocketOptions? serverOptions = null, WebSocketOptions? clientOptions = null, PerMessageDeflateParameters? compression = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        serverOptions ??= new WebSocketOptions();
        clientOptions ??= new WebSocketOptions();
        var transport = new InMemoryTransport();
        return new WebSocketTestPair(
            transport,
            WebSocketSession.Create(transport.Client, Side.Client, clientOptions, scheduler, extension: CreateExtension(Side.Client, clientOptions, compression)),
            WebSocketSession.Create(transport.Server, Side.Server, serverOptions, scheduler, extension: CreateExtension(Side.Server, serverOptions, compression)));
    }

    private static PerMessageDeflateExtension? CreateExtension(Side side, WebSocketOptions options, PerMessageDeflateParameters? compression) =>
        compression is null ? null : new PerMessageDeflateExtension(side, compression, options.Compression, options.Limits);

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
