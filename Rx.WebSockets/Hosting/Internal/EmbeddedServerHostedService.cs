using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Rx.WebSockets.Hosting.Internal;

/// <summary>A module registered by <see cref="ServiceCollectionExtensions.AddEmbeddedServer"/>; every one runs, in order.</summary>
/// <param name="Configure">The module.</param>
internal sealed record EmbeddedServerModule(Action<Application> Configure);

/// <summary>Runs the container's <see cref="EmbeddedServer"/> with the host: started with it, stopped gracefully with it.</summary>
internal sealed class EmbeddedServerHostedService : IHostedService
{
    private readonly EmbeddedServer _server;
    private readonly EmbeddedServerOptions _options;

    public EmbeddedServerHostedService(EmbeddedServer server, IOptions<EmbeddedServerOptions> options)
    {
        _server = server;
        _options = options.Value;
    }

    public static EmbeddedServer CreateServer(IServiceProvider services, IOptions<EmbeddedServerOptions> options, IEnumerable<EmbeddedServerModule> modules)
    {
        var value = options.Value;
        return EmbeddedServer.CreateCore(
            value.Engine,
            value.ToServerSettings(),
            value.WatchPaths,
            parentLifetime: default,
            services,
            modules.Select(m => m.Configure).ToArray(),
            ownedServices: null);
    }

    public Task StartAsync(CancellationToken cancellationToken) => _server.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var stopping = _server.StopAsync(_options.ShutdownGracePeriod, _options.ShutdownTimeout);
        try
        {
            await stopping.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's own shutdown timeout ended first; the server keeps aborting in the background.
        }
    }
}
