using System.Reactive.Concurrency;
using System.Threading;
using Rx.WebSockets.Hosting.Internal;
using Rx.WebSockets.Http;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Hosting;

/// <summary>
/// The application an engine serves (Ktor's <c>Application</c> with its routing): WebSocket and HTTP routes, the
/// services, and the defaults of every session. A module (<c>Action&lt;Application&gt;</c>) registers the routes.
/// </summary>
/// <remarks>
/// <para>
/// Paths: exact (<c>/echo</c>), or with one parameter as the whole last segment (<c>/files/{name}</c>), read with
/// <see cref="RoutingExtensions.GetRouteValue(HttpExchange, string)"/>. Paths are compared as sent, case-sensitively.
/// An unknown path is answered with 404; a known path with another method with 405 and an <c>Allow</c> header; a
/// <c>HEAD</c> request is answered by the path's <c>GET</c> handler (the engine sends the headers without the body).
/// A WebSocket route answers <c>GET</c> requests that ask for an upgrade, and also plain <c>GET</c>s when the path has no
/// HTTP <c>GET</c> handler (the handshake refuses them with 426).
/// </para>
/// <para>
/// Reloading: when an <see cref="EmbeddedServer"/> watches paths, it runs the module again on every change into a new
/// route table and swaps the table in one step; requests already dispatched and live sessions are not affected. While a
/// module runs, registrations go to the table it is building; a registration made outside a module run is added to the
/// current table (copied, then swapped).
/// </para>
/// <para>Thread-safety: every member may be called from any thread; registrations are serialised.</para>
/// </remarks>
public sealed class Application
{
    private readonly object _gate = new();
    private readonly object _loadGate = new();
    private RouteTable _routes = RouteTable.Empty;
    private RouteTable.Builder? _building;

    /// <summary>Creates an application with no routes.</summary>
    /// <param name="services">The services handed to sessions (through a scope per session) and to handlers.</param>
    /// <param name="webSocketOptions">The defaults of every WebSocket route; a route's <c>configure</c> changes a copy. <see langword="null"/> for the defaults.</param>
    /// <param name="scheduler">The scheduler of every session's timers; <see cref="System.Reactive.Concurrency.Scheduler.Default"/> when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public Application(IServiceProvider services, WebSocketOptions? webSocketOptions = null, IScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        Services = services;
        WebSocketOptions = webSocketOptions ?? new WebSocketOptions();
        Scheduler = scheduler ?? System.Reactive.Concurrency.Scheduler.Default;
    }

    /// <summary>The application's services (the host's, or a small container of the server's own).</summary>
    public IServiceProvider Services { get; }

    /// <summary>The defaults of every WebSocket route. Changing them affects routes registered afterwards only.</summary>
    public WebSocketOptions WebSocketOptions { get; }

    /// <summary>
    /// The scheduler of every session's pinger and close timeout. When it is <see cref="System.Reactive.Concurrency.Scheduler.Default"/>,
    /// sessions use one shared timer heap in its place (millisecond steps, thread-pool work); any other scheduler is used as given.
    /// </summary>
    public IScheduler Scheduler { get; }

    /// <summary>The current route table.</summary>
    internal RouteTable Routes => Volatile.Read(ref _routes);

    /// <summary>
    /// Maps a WebSocket route with a default session (Ktor's <c>webSocket(path) { }</c>): pings answered, pinger running,
    /// close handshake performed, fragmented messages reassembled.
    /// </summary>
    /// <param name="path">The path pattern, e.g. <c>/echo</c> or <c>/rooms/{room}</c>.</param>
    /// <param name="handler">Runs each session; its completion closes with 1000, its error with 1011.</param>
    /// <param name="configure">Changes this route's options (a copy of <see cref="WebSocketOptions"/>).</param>
    /// <returns>This application.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="handler"/> is null.</exception>
    /// <exception cref="ArgumentException">The pattern is invalid, or the path already has a WebSocket route.</exception>
    public Application WebSocket(string path, WebSocketHandler handler, Action<WebSocketOptions>? configure = null) =>
        AddWebSocket(path, handler, configure, raw: false);

    /// <summary>
    /// Maps a WebSocket route with a raw session (Ktor's <c>webSocketRaw</c>): every frame, including pings, pongs, the
    /// peer's Close and fragments, reaches the handler, and nothing is answered automatically.
    /// </summary>
    /// <param name="path">The path pattern.</param>
    /// <param name="handler">Runs each session.</param>
    /// <param name="configure">Changes this route's options (a copy of <see cref="WebSocketOptions"/>).</param>
    /// <returns>This application.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="handler"/> is null.</exception>
    /// <exception cref="ArgumentException">The pattern is invalid, or the path already has a WebSocket route.</exception>
    public Application WebSocketRaw(string path, WebSocketHandler handler, Action<WebSocketOptions>? configure = null) =>
        AddWebSocket(path, handler, configure, raw: true);

    /// <summary>Maps <c>GET</c> (and so <c>HEAD</c>) requests to <paramref name="path"/>.</summary>
    /// <param name="path">The path pattern.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This application.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The pattern is invalid or the route exists.</exception>
    public Application Get(string path, HttpRequestHandler handler) => Map(HttpMethods.Get, path, handler);

    /// <summary>Maps <c>POST</c> requests to <paramref name="path"/>.</summary>
    /// <param name="path">The path pattern.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This application.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The pattern is invalid or the route exists.</exception>
    public Application Post(string path, HttpRequestHandler handler) => Map(HttpMethods.Post, path, handler);

    /// <summary>Maps <c>PUT</c> requests to <paramref name="path"/>.</summary>
    /// <param name="path">The path pattern.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This application.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The pattern is invalid or the route exists.</exception>
    public Application Put(string path, HttpRequestHandler handler) => Map(HttpMethods.Put, path, handler);

    /// <summary>Maps <c>DELETE</c> requests to <paramref name="path"/>.</summary>
    /// <param name="path">The path pattern.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This application.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The pattern is invalid or the route exists.</exception>
    public Application Delete(string path, HttpRequestHandler handler) => Map(HttpMethods.Delete, path, handler);

    /// <summary>Maps requests with <paramref name="method"/> to <paramref name="path"/>.</summary>
    /// <param name="method">The method token, case-sensitive (RFC 9110 §9.1), e.g. <c>PATCH</c>.</param>
    /// <param name="path">The path pattern.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This application.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The method is not a token, the pattern is invalid, or the route exists.</exception>
    public Application Map(string method, string path, HttpRequestHandler handler)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(handler);
        Register(builder => builder.AddHttp(method, path, handler));
        return this;
    }

    /// <summary>
    /// Runs <paramref name="module"/> into a new route table, checks it with <paramref name="validate"/>, and makes it
    /// current. If either throws, the current table stays and the exception propagates.
    /// </summary>
    /// <param name="module">The module.</param>
    /// <param name="validate">Refuses a table the engine cannot serve (throws); may be null.</param>
    /// <returns>The new table.</returns>
    internal RouteTable Load(Action<Application> module, Action<RouteTable>? validate)
    {
        // One module run at a time: a reload triggered while another runs waits for it.
        lock (_loadGate)
        {
            var builder = new RouteTable.Builder();
            lock (_gate)
            {
                _building = builder;
            }

            RouteTable table;
            try
            {
                module(this);
                lock (_gate)
                {
                    table = builder.Build();
                }

                validate?.Invoke(table);
            }
            finally
            {
                lock (_gate)
                {
                    _building = null;
                }
            }

            Volatile.Write(ref _routes, table);
            return table;
        }
    }

    private Application AddWebSocket(string path, WebSocketHandler handler, Action<WebSocketOptions>? configure, bool raw)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(handler);
        var options = WebSocketOptions.Clone();
        configure?.Invoke(options);
        Register(builder => builder.AddWebSocket(new WebSocketRoute(path, handler, options, raw)));
        return this;
    }

    private void Register(Action<RouteTable.Builder> add)
    {
        lock (_gate)
        {
            if (_building is { } building)
            {
                add(building);
                return;
            }

            var builder = RouteTable.Builder.From(_routes);
            add(builder);
            Volatile.Write(ref _routes, builder.Build());
        }
    }
}
