using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Reactive.Concurrency;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rx.WebSockets.Hosting.Internal;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Hosting;

/// <summary>
/// An application on an engine, with start, stop and reload (Ktor's <c>embeddedServer(factory, port, host, watchPaths,
/// parentCoroutineContext, configure, module)</c>).
/// </summary>
/// <remarks>
/// <para>
/// Lifetime: <see cref="Create"/> runs the module (its routes are in place when it returns); <see cref="StartAsync"/>
/// binds and starts watching; <see cref="StopAsync()"/> — or the end of the parent lifetime — stops gracefully:
/// no new connections, every WebSocket session closed with 1001 (Going Away), requests in flight and closing
/// handshakes given the grace period, the rest aborted. <see cref="Completion"/> completes when it has stopped.
/// </para>
/// <para>
/// Reloading (<c>watchPaths</c>): a change under a watched file or folder, once quiet for 500 ms, runs the module again
/// into a new route table, which replaces the old one in one step. The listening socket, connections and live sessions
/// are untouched; requests parsed after the swap use the new routes. A module that throws (or registers a route the
/// engine cannot serve) leaves the old routes in place, and the failure is logged. In .NET there is no class reloading:
/// what a module can change is what it reads at run time (configuration, files, the routes it decides to map).
/// </para>
/// <para>Thread-safety: every member may be called from any thread.</para>
/// </remarks>
public sealed class EmbeddedServer : IAsyncDisposable
{
    /// <summary>The default port of <see cref="Create"/>: 80, as Ktor's <c>embeddedServer</c>.</summary>
    public const int DefaultPort = 80;

    /// <summary>The default host of <see cref="Create"/>: every IPv4 interface, as Ktor.</summary>
    public const string DefaultHost = "0.0.0.0";

    /// <summary>How long watched paths must be quiet before the module runs again.</summary>
    public static readonly TimeSpan WatchDebounce = TimeSpan.FromMilliseconds(500);

    private readonly IReadOnlyList<Action<Application>> _modules;
    private readonly CancellationToken _parentLifetime;
    private readonly IAsyncDisposable? _ownedServices;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private ModuleWatcher? _watcher;
    private CancellationTokenRegistration _parentRegistration;
    private bool _started;
    private Task? _stopping;

    private EmbeddedServer(
        IApplicationEngineFactory factory,
        ApplicationEngineSettings settings,
        Application application,
        IReadOnlyList<Action<Application>> modules,
        IReadOnlyList<string> watchPaths,
        CancellationToken parentLifetime,
        IAsyncDisposable? ownedServices)
    {
        Settings = settings;
        Application = application;
        WatchPaths = watchPaths;
        _modules = modules;
        _parentLifetime = parentLifetime;
        _ownedServices = ownedServices;
        _logger = application.Services.GetService<ILoggerFactory>()?.CreateLogger<EmbeddedServer>() ?? NullLogger<EmbeddedServer>.Instance;
        Engine = factory.Create(settings, application) ?? throw new InvalidOperationException("The engine factory returned null.");
    }

    /// <summary>The application: routes, services, session defaults.</summary>
    public Application Application { get; }

    /// <summary>The engine serving it.</summary>
    public IApplicationEngine Engine { get; }

    /// <summary>The engine's settings (connector, limits, timeouts), after <c>configure</c>.</summary>
    public ApplicationEngineSettings Settings { get; }

    /// <summary>The watched paths, as given.</summary>
    public IReadOnlyList<string> WatchPaths { get; }

    /// <summary>The addresses the engine listens on, with the real port when 0 was asked for; empty before <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => Engine.LocalEndPoints;

    /// <summary>Completes when the server has stopped (by <see cref="StopAsync()"/>, disposal or the parent lifetime).</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Creates a server for <paramref name="module"/> on the engine made by <paramref name="factory"/> and runs the module.
    /// </summary>
    /// <param name="factory">The engine, e.g. <see cref="Engines.Cio"/>.</param>
    /// <param name="port">The TCP port; 0 picks a free one (read it from <see cref="LocalEndPoints"/>). Default 80 (Ktor).</param>
    /// <param name="host">The address or host name to listen on. Default <c>0.0.0.0</c> (Ktor).</param>
    /// <param name="watchPaths">Files or folders whose changes run the module again; none by default.</param>
    /// <param name="parentLifetime">When cancelled, the server stops (Ktor's parent coroutine context).</param>
    /// <param name="configure">Changes the engine settings (limits, timeouts, clock) built from <paramref name="host"/> and <paramref name="port"/>.</param>
    /// <param name="services">
    /// The application's services; the caller keeps ownership. Null: a small container of the server's own, with
    /// <see cref="ServiceCollectionExtensions.AddRxWebSockets"/> defaults and no log output, disposed with the server.
    /// </param>
    /// <param name="module">The application: registers its routes on the <see cref="Hosting.Application"/>. Required.</param>
    /// <returns>The server, not started.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> or <paramref name="module"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not between 0 and 65535.</exception>
    /// <exception cref="ArgumentException"><paramref name="host"/> is empty, or the module registered an invalid route.</exception>
    /// <exception cref="NotSupportedException">The module registered a route the engine cannot serve.</exception>
    /// <remarks>Any exception the module throws propagates; nothing is left running.</remarks>
    public static EmbeddedServer Create(
        IApplicationEngineFactory factory,
        int port = DefaultPort,
        string host = DefaultHost,
        IEnumerable<string>? watchPaths = null,
        CancellationToken parentLifetime = default,
        Func<HttpServerSettings, HttpServerSettings>? configure = null,
        IServiceProvider? services = null,
        Action<Application>? module = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(module);
        var server = new HttpServerSettings { Host = host, Port = port };
        server = configure is null ? server : configure(server) ?? throw new InvalidOperationException("configure returned null.");
        ServiceProvider? owned = null;
        if (services is null)
        {
            owned = new ServiceCollection().AddRxWebSockets().BuildServiceProvider();
            services = owned;
        }

        try
        {
            return CreateCore(factory, server, watchPaths, parentLifetime, services, new[] { module }, owned);
        }
        catch
        {
            owned?.Dispose();
            throw;
        }
    }

    /// <summary>Creates the server and runs its modules (the generic host's path goes through here too).</summary>
    internal static EmbeddedServer CreateCore(
        IApplicationEngineFactory factory,
        HttpServerSettings server,
        IEnumerable<string>? watchPaths,
        CancellationToken parentLifetime,
        IServiceProvider services,
        IReadOnlyList<Action<Application>> modules,
        IAsyncDisposable? ownedServices)
    {
        var options = services.GetService<IOptions<WebSocketOptions>>()?.Value ?? new WebSocketOptions();
        var scheduler = services.GetService<IScheduler>() ?? Scheduler.Default;
        // A copy: a module that changes the application's defaults must not change the host's options singleton.
        var application = new Application(services, options.Clone(), scheduler);
        var paths = watchPaths?.ToArray() ?? Array.Empty<string>();
        if (paths.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("A watch path is empty.", nameof(watchPaths));
        }

        var embedded = new EmbeddedServer(factory, new ApplicationEngineSettings(server), application, modules, paths, parentLifetime, ownedServices);
        embedded.LoadModules();
        return embedded;
    }

    /// <summary>
    /// Binds, starts accepting, and starts watching. If the parent lifetime has already ended, the server stops at once.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the server accepts connections.</returns>
    /// <exception cref="InvalidOperationException">The server was started or stopped before.</exception>
    /// <exception cref="System.IO.IOException">The address could not be bound.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_started || _stopping is not null)
            {
                throw new InvalidOperationException("The server has already been started or stopped; create a new one.");
            }

            _started = true;
        }

        await Engine.StartAsync(cancellationToken).ConfigureAwait(false);
        if (WatchPaths.Count > 0)
        {
            var watcher = new ModuleWatcher(WatchPaths, WatchDebounce, Settings.Server.TimeProvider, Reload, _logger);
            lock (_gate)
            {
                if (_stopping is not null)
                {
                    // Stopped while the engine was starting: nothing to watch for any more.
                    watcher.Dispose();
                    return;
                }

                _watcher = watcher;
                watcher.Start();
            }
        }

        // Registered last: a lifetime that has already ended runs the callback here, and the server stops at once.
        _parentRegistration = _parentLifetime.Register(static s => _ = ((EmbeddedServer)s!).StopAsync(), this);
    }

    /// <summary>
    /// Stops with the grace period and timeout of <see cref="Settings"/> (<see cref="HttpServerSettings.ShutdownGracePeriod"/>,
    /// default 1 s, and <see cref="HttpServerSettings.ShutdownTimeout"/>, default 5 s, as Ktor).
    /// </summary>
    /// <returns>A task that completes when the server has stopped; later calls return the same task.</returns>
    public Task StopAsync() => StopAsync(Settings.Server.ShutdownGracePeriod, Settings.Server.ShutdownTimeout);

    /// <summary>
    /// Stops gracefully (Ktor's <c>stop(gracePeriodMillis, timeoutMillis)</c>): stops watching and accepting, closes every
    /// WebSocket session with 1001 (Going Away), waits up to <paramref name="gracePeriod"/> for in-flight responses and
    /// closing handshakes, then aborts the rest and waits for them until <paramref name="timeout"/> has passed.
    /// </summary>
    /// <param name="gracePeriod">How long connections may finish on their own.</param>
    /// <param name="timeout">How long the stop may take in all.</param>
    /// <returns>A task that completes when the server has stopped; later calls return the first call's task.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A time span is negative and not infinite.</exception>
    public Task StopAsync(TimeSpan gracePeriod, TimeSpan timeout)
    {
        if ((gracePeriod < TimeSpan.Zero && gracePeriod != Timeout.InfiniteTimeSpan) || (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan))
        {
            throw new ArgumentOutOfRangeException(gracePeriod < TimeSpan.Zero ? nameof(gracePeriod) : nameof(timeout), "Time spans must not be negative.");
        }

        lock (_gate)
        {
            return _stopping ??= StopCoreAsync(gracePeriod, timeout);
        }
    }

    /// <summary>Stops as <see cref="StopAsync()"/> does, then releases the engine and the server's own services.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await Engine.DisposeAsync().ConfigureAwait(false);
        _parentRegistration.Dispose();
        if (_ownedServices is not null)
        {
            await _ownedServices.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task StopCoreAsync(TimeSpan gracePeriod, TimeSpan timeout)
    {
        try
        {
            ModuleWatcher? watcher;
            lock (_gate)
            {
                watcher = _watcher;
                _watcher = null;
            }

            watcher?.Dispose();
            await Engine.StopAsync(gracePeriod, timeout).ConfigureAwait(false);
            _completion.TrySetResult();
        }
        catch (Exception e)
        {
            _completion.TrySetException(e);
            throw;
        }
    }

    private void LoadModules()
    {
        var validator = Engine as IRouteTableValidator;
        Application.Load(
            app =>
            {
                foreach (var module in _modules)
                {
                    module(app);
                }
            },
            validator is null ? null : validator.Validate);
    }

    private void Reload(string changedPath)
    {
        try
        {
            LoadModules();
            Log.ModuleReloaded(_logger, changedPath, Application.Routes.Count);
        }
        catch (Exception e)
        {
            // The old table is still current: requests keep being served while the module is fixed.
            Log.ModuleReloadFailed(_logger, changedPath, e);
        }
    }
}
