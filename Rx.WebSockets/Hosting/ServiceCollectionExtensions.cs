using System.Reactive.Concurrency;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Rx.WebSockets.Hosting.Internal;

namespace Rx.WebSockets.Hosting;

/// <summary>Registers Rx.WebSockets in a <see cref="IServiceCollection"/> (a generic host's, or any container).</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds what sessions need: <see cref="WebSocketOptions"/> as <c>IOptions&lt;WebSocketOptions&gt;</c>, validated when
    /// the host starts (<c>ValidateOnStart</c>); an <see cref="IScheduler"/> (<see cref="Scheduler.Default"/> unless one
    /// is registered already, e.g. a <c>TestScheduler</c>); logging; and the metrics of <see cref="WebSocketMetrics"/>.
    /// </summary>
    /// <remarks>
    /// Sessions given <see cref="Scheduler.Default"/> arm their timed work (ping period, pong deadline, close timeout) in
    /// one process-wide timer heap instead of one <c>System.Threading.Timer</c> per item: due times are rounded up to the
    /// next millisecond and the work runs on the thread pool, as it would on <see cref="Scheduler.Default"/>. Any other
    /// registered scheduler, a <c>TestScheduler</c> included, is used exactly as given.
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configure">Changes the default options of every WebSocket route; may be called several times.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    /// <remarks>
    /// Validation beyond the setters' own checks: a pinger with a zero <see cref="WebSocketOptions.Timeout"/>,
    /// subprotocols that are not unique tokens (RFC 6455 §4.1), empty origins. A failure makes the host's start throw
    /// <see cref="OptionsValidationException"/>.
    /// </remarks>
    public static IServiceCollection AddRxWebSockets(this IServiceCollection services, Action<WebSocketOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<WebSocketOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebSocketOptions>, WebSocketOptionsValidator>());
        services.TryAddSingleton<IScheduler>(Scheduler.Default);
        services.AddLogging();
        services.AddMetrics();
        services.TryAddSingleton(sp => new HostingInstruments(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        return services;
    }

    /// <summary>
    /// Adds an <see cref="EmbeddedServer"/> that starts and stops with the host (an <c>IHostedService</c>), serving
    /// <paramref name="module"/> with the host's services: <c>session.Application</c> is the host's provider, through
    /// a DI scope per session. Calls <see cref="AddRxWebSockets"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the engine, host, port, watch paths, shutdown timing and TLS; validated at host start.</param>
    /// <param name="module">The application's routes.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <remarks>
    /// One server per container: calling this again adds the module to the same server (modules run in the order added)
    /// and the options' <c>configure</c> actions apply in order. The server is a singleton <see cref="EmbeddedServer"/>,
    /// so <c>GetRequiredService&lt;EmbeddedServer&gt;().LocalEndPoints</c> gives the bound port. On host stop it stops
    /// gracefully with <see cref="EmbeddedServerOptions.ShutdownGracePeriod"/> and
    /// <see cref="EmbeddedServerOptions.ShutdownTimeout"/>, bounded by the host's own shutdown timeout.
    /// </remarks>
    public static IServiceCollection AddEmbeddedServer(this IServiceCollection services, Action<EmbeddedServerOptions> configure, Action<Application> module)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(module);
        services.AddRxWebSockets();
        services.AddOptions<EmbeddedServerOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmbeddedServerOptions>, EmbeddedServerOptionsValidator>());
        services.AddSingleton(new EmbeddedServerModule(module));
        services.TryAddSingleton(sp => EmbeddedServerHostedService.CreateServer(
            sp, sp.GetRequiredService<IOptions<EmbeddedServerOptions>>(), sp.GetServices<EmbeddedServerModule>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, EmbeddedServerHostedService>());
        return services;
    }
}
