using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Server.Internal;

namespace Rx.WebSockets.Server;

/// <summary>
/// A small HTTP/1.1 server on sockets and pipelines (Ktor's CIO <c>httpServer</c>): it accepts connections, parses
/// requests, and calls a handler for each; a handler may upgrade its connection to a WebSocket session.
/// </summary>
/// <remarks>
/// <para>
/// Lifetime: <see cref="Start(HttpServerSettings, HttpRequestHandler)"/> binds and starts accepting before it
/// returns. <see cref="StopAsync"/> stops accepting, lets requests in flight finish for
/// <see cref="HttpServerSettings.ShutdownGracePeriod"/>, then aborts the connections left; <see cref="Completion"/>
/// completes when everything is closed.
/// </para>
/// <para>Thread-safety: every member may be called from any thread.</para>
/// </remarks>
public sealed class HttpServer : IAsyncDisposable
{
    private readonly HttpServerSettings _settings;
    private readonly IReadOnlyList<SocketListener> _listeners;
    private readonly Func<SocketTransport, IServerConnection> _connectionFactory;
    private readonly SocketTransportOptions _transportOptions;
    private readonly ConcurrentDictionary<long, ConnectionEntry> _connections = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abortNow = new();
    private readonly object _gate = new();
    private Task[] _acceptLoops = Array.Empty<Task>();
    private Task? _stopping;
    private volatile bool _isStopping;
    private long _lastConnectionId;

    private HttpServer(HttpServerSettings settings, IReadOnlyList<SocketListener> listeners, Func<HttpServer, SocketTransport, IServerConnection> connectionFactory)
    {
        _settings = settings;
        _listeners = listeners;
        _connectionFactory = transport => connectionFactory(this, transport);
        _transportOptions = new SocketTransportOptions(settings.MaxReceiveBufferSize, settings.MaxSendBufferSize)
        {
            Tls = settings.Tls,
            TimeProvider = settings.TimeProvider,
        };
        Timeouts = new TimeoutQueue(settings.TimeProvider, TimeSpan.FromSeconds(1));
        Context = new ServerContext(settings, Timeouts);
        LocalEndPoints = listeners.Select(l => l.LocalEndPoint).ToArray();
    }

    /// <summary>The addresses the server listens on, with the real port when <see cref="HttpServerSettings.Port"/> was 0.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints { get; }

    /// <summary>Completes when the server has stopped and every connection is closed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The settings the server was started with.</summary>
    public HttpServerSettings Settings => _settings;

    /// <summary>The shared timer of every connection's timeouts.</summary>
    internal TimeoutQueue Timeouts { get; }

    /// <summary>What the connections share.</summary>
    internal ServerContext Context { get; }

    /// <summary>How many connections are open.</summary>
    internal int ConnectionCount => _connections.Count;

    /// <summary>
    /// Stops the server: stops accepting (the port is released at once), asks every connection to finish the
    /// requests in flight and close, waits up to <see cref="HttpServerSettings.ShutdownGracePeriod"/>, then aborts
    /// the connections still open and waits for them up to the rest of <see cref="HttpServerSettings.ShutdownTimeout"/>.
    /// Idle keep-alive connections are closed at once.
    /// </summary>
    /// <param name="cancellationToken">Cancelling it ends the grace period at once: the remaining connections are aborted.</param>
    /// <returns>A task that completes when the server has stopped; later calls return the same task.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(static s => ((HttpServer)s!).CancelGracePeriod(), this);
        }

        lock (_gate)
        {
            return _stopping ??= StopCoreAsync();
        }
    }

    /// <summary>Stops the server as <see cref="StopAsync"/> does, with no cancellation.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>
    /// Binds the listening sockets and starts accepting connections; every request is handed to
    /// <paramref name="handler"/> (Ktor's <c>httpServer(settings, handler)</c>).
    /// </summary>
    /// <param name="settings">Where to listen, timeouts and limits.</param>
    /// <param name="handler">Handles each request; see <see cref="HttpRequestHandler"/>.</param>
    /// <returns>The running server; stop it with <see cref="StopAsync"/> or <see cref="DisposeAsync"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="IOException">
    /// An address could not be bound (in use, not available) or the host name could not be resolved; the message
    /// names the address. Nothing is left listening in that case.
    /// </exception>
    public static HttpServer Start(HttpServerSettings settings, HttpRequestHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Start(settings, (server, transport) => new Http1Connection(server.Context, transport, handler));
    }

    /// <summary>Binds the listening sockets and starts accepting; each connection is served by <paramref name="connectionFactory"/>.</summary>
    /// <param name="settings">The settings.</param>
    /// <param name="connectionFactory">Creates the object that serves one accepted connection.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="IOException">An address could not be bound or resolved; the message names it.</exception>
    internal static HttpServer Start(HttpServerSettings settings, Func<HttpServer, SocketTransport, IServerConnection> connectionFactory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(connectionFactory);
        var listeners = Bind(settings);
        var server = new HttpServer(settings, listeners, connectionFactory);
        server._acceptLoops = listeners.Select(l => Task.Run(() => l.AcceptLoopAsync(server.OnAccepted, settings.TimeProvider))).ToArray();
        return server;
    }

    private static List<SocketListener> Bind(HttpServerSettings settings)
    {
        bool isLiteral = IPAddress.TryParse(settings.Host, out var literal);
        IPAddress[] addresses;
        if (isLiteral)
        {
            addresses = new[] { literal! };
        }
        else
        {
            try
            {
                addresses = Dns.GetHostAddresses(settings.Host).Distinct().ToArray();
            }
            catch (SocketException e)
            {
                throw new IOException($"Failed to resolve the host '{settings.Host}' to listen on: {e.Message}.", e);
            }
        }

        var listeners = new List<SocketListener>();
        int port = settings.Port;
        try
        {
            foreach (var address in addresses)
            {
                if (!isLiteral && !IsSupported(address.AddressFamily))
                {
                    continue;
                }

                // With port 0 and several addresses (localhost), every address shares the port picked for the first.
                var listener = SocketListener.Bind(new IPEndPoint(address, port), settings.ReuseAddress, settings.ListenBacklog);
                listeners.Add(listener);
                port = listener.LocalEndPoint.Port;
            }
        }
        catch
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }

            throw;
        }

        if (listeners.Count == 0)
        {
            throw new IOException($"Failed to bind to '{settings.Host}:{settings.Port}': the host has no address this machine supports.");
        }

        return listeners;
    }

    private static bool IsSupported(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => Socket.OSSupportsIPv4,
        AddressFamily.InterNetworkV6 => Socket.OSSupportsIPv6,
        _ => false,
    };

    private void OnAccepted(Socket socket)
    {
        if (!Context.Connections.TryAdd())
        {
            RefusedConnection.Refuse(socket, Context.Date.Value, _settings.TimeProvider);
            return;
        }

        SocketTransport transport;
        IServerConnection connection;
        try
        {
            socket.NoDelay = true;
            transport = new SocketTransport(socket, _transportOptions);
        }
        catch (SocketException)
        {
            // The client reset the connection between accept and set-up: it costs only itself.
            socket.Dispose();
            Context.Connections.Remove();
            return;
        }

        try
        {
            connection = _connectionFactory(transport);
        }
        catch (Exception e)
        {
            // The accept loop must survive a failure to set up one connection.
            System.Diagnostics.Debug.Fail($"Creating a connection failed: {e}");
            transport.Abort();
            Context.Connections.Remove();
            return;
        }

        long id = Interlocked.Increment(ref _lastConnectionId);
        var entry = new ConnectionEntry(connection);
        _connections[id] = entry;
        entry.Running = Task.Run(() => RunConnectionAsync(id, connection));
        if (_isStopping)
        {
            // Accepted while StopAsync was closing the listeners: it may have missed this one in its snapshot.
            connection.RequestStop();
        }
    }

    private async Task RunConnectionAsync(long id, IServerConnection connection)
    {
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // RunAsync is documented never to fault; a bug in one connection must not take the server down.
            System.Diagnostics.Debug.Fail($"A connection faulted: {e}");
        }
        finally
        {
            _connections.TryRemove(id, out _);
            Context.Connections.Remove();
        }
    }

    private void CancelGracePeriod()
    {
        try
        {
            _abortNow.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped.
        }
    }

    // Everything up to the grace timer runs synchronously inside StopAsync, so that a test that calls StopAsync and
    // then advances a fake clock always finds the grace timer registered.
    private Task StopCoreAsync()
    {
        _isStopping = true;
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        foreach (var entry in _connections.Values)
        {
            entry.Connection.RequestStop();
        }

        var graceOver = DelayAsync(_settings.ShutdownGracePeriod, _abortNow.Token);
        return FinishStopAsync(graceOver);
    }

    private async Task FinishStopAsync(Task graceOver)
    {
        var drained = DrainedAsync();
        if (await Task.WhenAny(drained, graceOver).ConfigureAwait(false) != drained)
        {
            foreach (var entry in _connections.Values)
            {
                entry.Connection.Abort();
            }

            var grace = _settings.ShutdownGracePeriod;
            var timeout = _settings.ShutdownTimeout;
            var rest = timeout == Timeout.InfiniteTimeSpan ? timeout
                : grace == Timeout.InfiniteTimeSpan || timeout <= grace ? TimeSpan.Zero
                : timeout - grace;
            await Task.WhenAny(drained, DelayAsync(rest, CancellationToken.None)).ConfigureAwait(false);
        }

        Timeouts.Dispose();
        _completion.TrySetResult();
    }

    private async Task DrainedAsync()
    {
        // Once the accept loops have ended no connection is added, so this snapshot holds every one still open.
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        await Task.WhenAll(_connections.Values.Select(e => e.Running).ToArray()).ConfigureAwait(false);
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => delay == TimeSpan.Zero
        ? Task.CompletedTask
        : Task.Delay(delay, _settings.TimeProvider, cancellationToken);

    private sealed class ConnectionEntry
    {
        public ConnectionEntry(IServerConnection connection) => Connection = connection;

        public IServerConnection Connection { get; }

        public Task Running { get; set; } = Task.CompletedTask;
    }
}
