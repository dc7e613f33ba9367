using Rx.WebSockets.Http;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// What every connection of one server shares: settings, the parser, the timer queue, the Date cache and the blocks
/// of the response pipes.
/// </summary>
/// <remarks>Thread-safety: every member is safe to use from many connections at once.</remarks>
internal sealed class ServerContext
{
    public ServerContext(HttpServerSettings settings, TimeoutQueue timeouts)
    {
        Settings = settings;
        Timeouts = timeouts;
        Parser = new HttpRequestParser(settings.Limits);
        Date = new DateHeader(settings.TimeProvider);
        Services = settings.Services ?? EmptyServiceProvider.Instance;
        Connections = new ConnectionCounter(settings.MaxConnections);
    }

    public HttpServerSettings Settings { get; }

    public HttpLimits Limits => Settings.Limits;

    public HttpRequestParser Parser { get; }

    public TimeoutQueue Timeouts { get; }

    public DateHeader Date { get; }

    public BlockMemoryPool ResponseBlocks { get; } = new();

    public IServiceProvider Services { get; }

    /// <summary>The open connections, against <see cref="HttpServerSettings.MaxConnections"/>.</summary>
    public ConnectionCounter Connections { get; }

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public static readonly EmptyServiceProvider Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
