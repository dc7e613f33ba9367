using System.Collections.Generic;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Hosting;

/// <summary>
/// Makes the engine that serves an <see cref="Application"/> (Ktor's <c>ApplicationEngineFactory</c>); see
/// <see cref="Engines"/> for the ones that exist.
/// </summary>
/// <remarks>
/// The engine is given the whole application — its route table, its services, its session defaults — not a request
/// handler, so that an engine built on another HTTP stack (Kestrel) can dispatch to the same routes with its own
/// request type.
/// </remarks>
public interface IApplicationEngineFactory
{
    /// <summary>Creates an engine; it binds nothing until <see cref="IApplicationEngine.StartAsync"/>.</summary>
    /// <param name="settings">Where to listen, limits, timeouts and the clock.</param>
    /// <param name="application">The application to serve; its routes may be swapped while the engine runs.</param>
    /// <returns>The engine, not started.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    IApplicationEngine Create(ApplicationEngineSettings settings, Application application);
}

/// <summary>An HTTP engine serving an <see cref="Application"/> (Ktor's <c>ApplicationEngine</c>).</summary>
/// <remarks>Thread-safety: every member may be called from any thread.</remarks>
public interface IApplicationEngine : IAsyncDisposable
{
    /// <summary>The addresses the engine listens on, with the real port when 0 was asked for; empty before it started.</summary>
    IReadOnlyList<IPEndPoint> LocalEndPoints { get; }

    /// <summary>Binds and starts accepting connections.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes once the engine accepts connections.</returns>
    /// <exception cref="System.IO.IOException">An address could not be bound (asynchronous).</exception>
    /// <exception cref="InvalidOperationException">The engine was started before, or cannot serve a route of the application (asynchronous).</exception>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops gracefully (Ktor's <c>stop(gracePeriod, timeout)</c>): stops accepting, closes every WebSocket session with
    /// 1001 (Going Away), lets requests in flight and closing handshakes finish for <paramref name="gracePeriod"/>,
    /// then aborts what is left and waits for it until <paramref name="timeout"/> has passed since the call.
    /// </summary>
    /// <param name="gracePeriod">How long connections may finish on their own; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="timeout">How long the whole stop may take; a value below <paramref name="gracePeriod"/> cuts the grace period short.</param>
    /// <returns>A task that completes when the engine has stopped, or when <paramref name="timeout"/> is over; later calls return the same task.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A time span is negative and not infinite.</exception>
    Task StopAsync(TimeSpan gracePeriod, TimeSpan timeout);
}

/// <summary>
/// What an engine is created with (Ktor's <c>ApplicationEngine.Configuration</c>): the connector, limits and timeouts
/// as <see cref="HttpServerSettings"/>. <see cref="Engines.Cio"/> uses all of it; another engine maps what it can
/// (host, port, limits, shutdown timing) and documents the rest.
/// </summary>
public sealed record ApplicationEngineSettings
{
    private readonly HttpServerSettings _server;

    /// <summary>Creates the settings.</summary>
    /// <param name="server">The connector, limits and timeouts.</param>
    /// <exception cref="ArgumentNullException"><paramref name="server"/> is null.</exception>
    public ApplicationEngineSettings(HttpServerSettings server)
    {
        ArgumentNullException.ThrowIfNull(server);
        _server = server;
    }

    /// <summary>
    /// The connector (host, port), limits, timeouts and clock. <see cref="HttpServerSettings.ShutdownGracePeriod"/> and
    /// <see cref="HttpServerSettings.ShutdownTimeout"/> are what a stop without arguments uses.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public HttpServerSettings Server
    {
        get => _server;
        init => _server = value ?? throw new ArgumentNullException(nameof(value));
    }
}
