using System.Collections.Generic;
using System.Reactive.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Hosting.Internal;

/// <summary>
/// Runs a route's handler on an accepted session, whatever the engine (Ktor's <c>webSocket</c> route wiring): a DI scope
/// per session, metrics, logs, and the session's end awaited.
/// </summary>
internal static class SessionRunner
{
    /// <summary>Runs <paramref name="route"/>'s handler on <paramref name="accepted"/> until the session has ended.</summary>
    /// <returns>A task that completes when the session has ended and its scope is disposed; it does not fault.</returns>
    public static async Task RunAsync(
        Application application, IWebSocketServerSession accepted, WebSocketRoute route, HostingInstruments instruments, ILogger logger)
    {
        var routeTag = new KeyValuePair<string, object?>(WebSocketMetrics.RouteTag, route.Pattern);
        string? remote = accepted.Call.RemoteEndPoint?.ToString();
        // Scoped services live as long as the session: created here, disposed when it has ended.
        var scopeFactory = application.Services.GetService<IServiceScopeFactory>();
        AsyncServiceScope? scope = scopeFactory?.CreateAsyncScope();
        using var session = new HostedWebSocketSession(accepted, scope?.ServiceProvider ?? application.Services, instruments, route.Raw);
        // Subscribed before the session starts (in Run), so the pinger's first round trip is not missed.
        using var roundTrips = accepted.PingRoundTrips.Subscribe(
            roundTrip => instruments.PingRoundTrip.Record(roundTrip.TotalSeconds, routeTag), static _ => { });
        instruments.SessionsOpened.Add(1, routeTag);
        instruments.ActiveSessions.Add(1, routeTag);
        Log.SessionOpened(logger, route.Pattern, remote);
        CloseReason? reason = null;
        try
        {
            var work = Observable.Defer(() => route.Handler(session))
                .Do(static _ => { }, error =>
                {
                    // A handler that passes Incoming's end on (peer protocol error, abnormal closure, ping timeout) did
                    // not fail: the session already closed with its own code, logged when the session ends.
                    if (error is not WebSocketException)
                    {
                        Log.WebSocketHandlerFailed(logger, route.Pattern, error);
                    }
                });
            using (session.Run(_ => work).Subscribe(static _ => { }, static _ => { }))
            {
                reason = await accepted.CloseReason.ConfigureAwait(false);
            }
        }
        finally
        {
            int code = reason?.Code.Value ?? CloseCode.ClosedAbnormally.Value;
            instruments.ActiveSessions.Add(-1, routeTag);
            instruments.SessionsClosed.Add(1, routeTag, new KeyValuePair<string, object?>(WebSocketMetrics.CloseCodeTag, code));
            if (reason is { } r && r.Code == CloseCode.InternalError && r.Message == WebSocketSessionBase.PingTimeoutMessage)
            {
                Log.SessionPingTimeout(logger, route.Pattern, remote);
            }
            else
            {
                Log.SessionClosed(logger, route.Pattern, remote, code, reason?.Message ?? string.Empty);
            }

            if (scope is { } s)
            {
                await s.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
