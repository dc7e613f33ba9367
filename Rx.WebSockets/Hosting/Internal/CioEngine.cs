using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rx.WebSockets.Http;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Hosting.Internal;

/// <summary>Creates <see cref="CioEngine"/>s.</summary>
internal sealed class CioEngineFactory : IApplicationEngineFactory
{
    public IApplicationEngine Create(ApplicationEngineSettings settings, Application application)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(application);
        return new CioEngine(settings, application);
    }
}

/// <summary>Lets an engine refuse a route table it cannot serve, before the table is used.</summary>
internal interface IRouteTableValidator
{
    /// <summary>Throws when the engine cannot serve <paramref name="routes"/>.</summary>
    /// <exception cref="NotSupportedException">A route needs something the engine lacks.</exception>
    void Validate(RouteTable routes);
}

/// <summary>
/// Serves an <see cref="Application"/> on <see cref="HttpServer"/>: each request is resolved against the application's
/// current route table (read once per request, so a reload never splits a request), then answered by the route.
/// </summary>
/// <remarks>
/// Stop timing is the engine's, not the server's settings': the server is started with an infinite grace period and
/// timeout, and <see cref="StopAsync"/> ends the grace period through the cancellation token of
/// <see cref="HttpServer.StopAsync"/>, so that every stop call can choose its own (Ktor's <c>stop(grace, timeout)</c>).
/// Thread-safety: every member may be called from any thread.
/// </remarks>
internal sealed class CioEngine : IApplicationEngine, IRouteTableValidator
{
    private readonly ApplicationEngineSettings _settings;
    private readonly Application _application;
    private readonly ILogger _logger;
    private readonly HostingInstruments _instruments;
    private readonly bool _ownsInstruments;
    private readonly object _gate = new();
    private HttpServer? _server;
    private IDisposable? _connectionGauge;
    private Task? _stopping;

    public CioEngine(ApplicationEngineSettings settings, Application application)
    {
        _settings = settings;
        _application = application;
        var services = application.Services;
        _logger = services.GetService<ILoggerFactory>()?.CreateLogger<EmbeddedServer>() ?? NullLogger<EmbeddedServer>.Instance;
        var instruments = services.GetService<HostingInstruments>();
        _ownsInstruments = instruments is null;
        _instruments = instruments ?? new HostingInstruments(services.GetService<System.Diagnostics.Metrics.IMeterFactory>());
    }

    public IReadOnlyList<IPEndPoint> LocalEndPoints => Volatile.Read(ref _server)?.LocalEndPoints ?? Array.Empty<IPEndPoint>();

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        HttpServer server;
        lock (_gate)
        {
            if (_server is not null || _stopping is not null)
            {
                throw new InvalidOperationException("The engine has already been started.");
            }

            Validate(_application.Routes);
            var settings = _settings.Server with
            {
                ShutdownGracePeriod = Timeout.InfiniteTimeSpan,
                ShutdownTimeout = Timeout.InfiniteTimeSpan,
                Services = _application.Services,
            };
            server = HttpServer.Start(settings, HandleAsync);
            Volatile.Write(ref _server, server);
        }

        _connectionGauge = _instruments.AddConnectionSource(() => server.ConnectionCount);
        Log.ServerStarted(_logger, string.Join(", ", server.LocalEndPoints.Select(e => e.ToString())));
        return Task.CompletedTask;
    }

    public Task StopAsync(TimeSpan gracePeriod, TimeSpan timeout)
    {
        CheckTimeSpan(gracePeriod, nameof(gracePeriod));
        CheckTimeSpan(timeout, nameof(timeout));
        lock (_gate)
        {
            if (_stopping is not null)
            {
                return _stopping;
            }

            _stopping = _server is null ? Task.CompletedTask : StopCoreAsync(_server, gracePeriod, timeout);
            return _stopping;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_settings.Server.ShutdownGracePeriod, _settings.Server.ShutdownTimeout).ConfigureAwait(false);
        if (_ownsInstruments)
        {
            _instruments.Dispose();
        }
    }

    public void Validate(RouteTable routes)
    {
        // HttpExchange.AcceptWebSocketAsync only creates default sessions; handing a raw route a default session would
        // silently answer the pings and hide the frames its handler was written to see.
        if (routes.WebSocketRoutes.FirstOrDefault(r => r.Raw) is { } raw)
        {
            throw new NotSupportedException(
                $"The Cio engine cannot serve the raw WebSocket route {raw.Pattern} yet: HttpExchange has no raw accept.");
        }
    }

    private static void CheckTimeSpan(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative.");
        }
    }

    private async Task StopCoreAsync(HttpServer server, TimeSpan gracePeriod, TimeSpan timeout)
    {
        Log.ServerStopping(_logger, gracePeriod, timeout);
        var time = _settings.Server.TimeProvider;
        // A timeout shorter than the grace period cuts the grace period short (Ktor).
        var grace = timeout != Timeout.InfiniteTimeSpan && (gracePeriod == Timeout.InfiniteTimeSpan || timeout < gracePeriod) ? timeout : gracePeriod;
        using var graceOver = grace == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(grace, time);
        // Stops accepting and closes every session with 1001 before it returns; aborts the rest when graceOver fires.
        var stopping = server.StopAsync(graceOver.Token);
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            await stopping.ConfigureAwait(false);
        }
        else
        {
            using var done = new CancellationTokenSource();
            var timedOut = Task.Delay(timeout, time, done.Token);
            if (await Task.WhenAny(stopping, timedOut).ConfigureAwait(false) != stopping)
            {
                Log.ServerStopTimedOut(_logger, timeout);
            }

            await done.CancelAsync().ConfigureAwait(false);
        }

        _connectionGauge?.Dispose();
        Log.ServerStopped(_logger);
    }

    private async ValueTask HandleAsync(HttpExchange exchange)
    {
        var request = exchange.Request;
        // Read once: a reload swapping the table while this request runs does not affect it.
        var match = _application.Routes.Match(request.Method, request.Path, exchange.IsWebSocketRequest);
        _instruments.HttpRequests.Add(1, new KeyValuePair<string, object?>(WebSocketMetrics.RouteMatchTag, match.Kind switch
        {
            RouteMatchKind.Http => "http",
            RouteMatchKind.WebSocket => "websocket",
            RouteMatchKind.MethodNotAllowed => "method_not_allowed",
            _ => "not_found",
        }));
        switch (match.Kind)
        {
            case RouteMatchKind.Http:
                if (match.ParameterName is { } name)
                {
                    RoutingExtensions.SetRouteValue(exchange, name, match.ParameterValue!);
                }

                try
                {
                    await match.Handler!(exchange).ConfigureAwait(false);
                }
                catch (Exception e) when (LogFailure(exchange, e))
                {
                    // Never reached: the filter logs and lets the engine answer 500 (or abort a started response).
                }

                break;
            case RouteMatchKind.WebSocket:
                await RunWebSocketAsync(exchange, match).ConfigureAwait(false);
                break;
            case RouteMatchKind.MethodNotAllowed:
                exchange.Response.StatusCode = HttpStatus.MethodNotAllowed;
                exchange.Response.Headers.Set("Allow", match.Allow!);
                WriteText(exchange, "Method Not Allowed");
                break;
            default:
                exchange.Response.StatusCode = HttpStatus.NotFound;
                WriteText(exchange, "Not Found");
                break;
        }
    }

    private async Task RunWebSocketAsync(HttpExchange exchange, RouteMatch match)
    {
        var route = match.WebSocket!;
        if (route.Raw)
        {
            // Only reachable for a raw route added to a running application outside a module (modules are validated).
            throw new NotSupportedException($"The Cio engine cannot serve the raw WebSocket route {route.Pattern}.");
        }

        if (!exchange.IsWebSocketRequest)
        {
            // RFC 9110 §15.5.22: 426 "indicates that the server refuses to perform the request using the current
            // protocol"; "The server MUST send an Upgrade header field in a 426 response to indicate the required
            // protocol(s)". More useful to a browser or curl pointed at a WebSocket URL than the handshake's 400.
            exchange.Response.StatusCode = HttpStatus.UpgradeRequired;
            exchange.Response.Headers.Set("Upgrade", "websocket").Set("Connection", "Upgrade");
            WriteText(exchange, "This resource is a WebSocket endpoint: connect with a WebSocket client.");
            return;
        }

        IWebSocketServerSession accepted;
        try
        {
            accepted = await exchange.AcceptWebSocketAsync(route.Options, _application.Scheduler).ConfigureAwait(false);
        }
        catch (HandshakeRejectedException e)
        {
            // The refusal (400, 403, 426 ...) has been sent: a client error, not a server fault.
            Log.HandshakeRejected(_logger, exchange.Request.Path, e.StatusCode, e.Message);
            return;
        }

        if (match.ParameterName is { } name)
        {
            RoutingExtensions.SetRouteValue(accepted.Call, name, match.ParameterValue!);
        }

        await SessionRunner.RunAsync(_application, accepted, route, _instruments, _logger).ConfigureAwait(false);
    }

    private bool LogFailure(HttpExchange exchange, Exception e)
    {
        // A refused body (413, 400 ...) is the client's fault and the engine answers it with its status; an aborted
        // request is the client gone. Neither is a handler failure.
        if (e is not HttpRequestRejectedException && !exchange.RequestAborted.IsCancellationRequested)
        {
            Log.HttpHandlerFailed(_logger, exchange.Request.Method, exchange.Request.Path, e);
        }

        return false;
    }

    private static void WriteText(HttpExchange exchange, string text)
    {
        exchange.Response.Headers.Set("Content-Type", "text/plain; charset=utf-8");
        exchange.Response.Write(text);
    }
}
