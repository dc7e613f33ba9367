using Microsoft.Extensions.Logging;

namespace Rx.WebSockets.Hosting.Internal;

/// <summary>The hosting layer's log messages, source-generated (no boxing or formatting when the level is off).</summary>
/// <remarks>
/// Levels: lifecycle at Information; a handler that fails at Error; what peers cause (refused handshakes, protocol
/// errors, dead peers found by the pinger) at Debug or Information, never Error — a peer's behaviour is not a server fault.
/// </remarks>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Rx.WebSockets server listening on {EndPoints}")]
    public static partial void ServerStarted(ILogger logger, string endPoints);

    [LoggerMessage(2, LogLevel.Information, "Rx.WebSockets server stopping (grace period {GracePeriod}, timeout {Timeout})")]
    public static partial void ServerStopping(ILogger logger, TimeSpan gracePeriod, TimeSpan timeout);

    [LoggerMessage(3, LogLevel.Information, "Rx.WebSockets server stopped")]
    public static partial void ServerStopped(ILogger logger);

    [LoggerMessage(4, LogLevel.Warning, "Rx.WebSockets server stop timed out after {Timeout}: connections still closing were abandoned")]
    public static partial void ServerStopTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(5, LogLevel.Error, "HTTP handler failed: {Method} {Path}")]
    public static partial void HttpHandlerFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(6, LogLevel.Error, "WebSocket handler failed on {Route}; the session closes with 1011")]
    public static partial void WebSocketHandlerFailed(ILogger logger, string route, Exception exception);

    [LoggerMessage(7, LogLevel.Debug, "WebSocket handshake refused on {Path} with {StatusCode}: {Reason}")]
    public static partial void HandshakeRejected(ILogger logger, string path, int statusCode, string reason);

    [LoggerMessage(8, LogLevel.Debug, "WebSocket session opened on {Route} from {RemoteEndPoint}")]
    public static partial void SessionOpened(ILogger logger, string route, string? remoteEndPoint);

    [LoggerMessage(9, LogLevel.Debug, "WebSocket session on {Route} from {RemoteEndPoint} ended: {CloseCode} {CloseMessage}")]
    public static partial void SessionClosed(ILogger logger, string route, string? remoteEndPoint, int closeCode, string closeMessage);

    [LoggerMessage(10, LogLevel.Information, "WebSocket session on {Route} from {RemoteEndPoint} closed: the peer did not answer a ping in time")]
    public static partial void SessionPingTimeout(ILogger logger, string route, string? remoteEndPoint);

    [LoggerMessage(11, LogLevel.Information, "Module reloaded after a change in {Path}: {RouteCount} routes")]
    public static partial void ModuleReloaded(ILogger logger, string path, int routeCount);

    [LoggerMessage(12, LogLevel.Error, "Module reload after a change in {Path} failed; the previous routes stay in use")]
    public static partial void ModuleReloadFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(13, LogLevel.Warning, "Watch path {Path} does not exist; it is not watched")]
    public static partial void WatchPathMissing(ILogger logger, string path);

    [LoggerMessage(14, LogLevel.Warning, "File watcher on {Path} failed; changes may be missed")]
    public static partial void WatcherFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(15, LogLevel.Debug, "Watching {Path} for changes")]
    public static partial void Watching(ILogger logger, string path);
}
