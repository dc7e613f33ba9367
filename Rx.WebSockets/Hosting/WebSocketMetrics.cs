namespace Rx.WebSockets.Hosting;

/// <summary>
/// The names of the metrics the hosting layer records through <c>System.Diagnostics.Metrics</c>, for
/// <c>dotnet-counters monitor --counters Rx.WebSockets</c>, OpenTelemetry views or a <c>MeterListener</c>.
/// </summary>
/// <remarks>
/// Frame and byte counts are those the application exchanges with its sessions: the messages of a default session's
/// <see cref="Session.IWebSocketSession.Incoming"/> (whole, reassembled), the pings and pongs it received, and the frames
/// it sent through <see cref="Session.IWebSocketSession.Outgoing"/> or <see cref="Session.IWebSocketSession.SendAsync"/>.
/// Bytes are payload bytes, without frame headers; the pings and pongs a default session sends by itself are not counted,
/// nor are Close frames (see <see cref="SessionsClosed"/>).
/// </remarks>
public static class WebSocketMetrics
{
    /// <summary>The meter's name: <c>Rx.WebSockets</c>.</summary>
    public const string MeterName = "Rx.WebSockets";

    /// <summary>UpDownCounter (observable), <c>{connection}</c>: open TCP connections, HTTP and upgraded.</summary>
    public const string ActiveConnections = "rxws.connections.active";

    /// <summary>UpDownCounter, <c>{session}</c>: live WebSocket sessions; tag <c>rxws.route</c>.</summary>
    public const string ActiveSessions = "rxws.sessions.active";

    /// <summary>Counter, <c>{session}</c>: sessions opened; tag <c>rxws.route</c>.</summary>
    public const string SessionsOpened = "rxws.sessions.opened";

    /// <summary>Counter, <c>{session}</c>: sessions ended; tags <c>rxws.route</c> and <c>rxws.close_code</c> (1000, 1001, 1006, 1011 ...).</summary>
    public const string SessionsClosed = "rxws.sessions.closed";

    /// <summary>Counter, <c>{frame}</c>: frames received by the application; tag <c>rxws.frame_type</c> (text, binary, continuation, ping, pong).</summary>
    public const string FramesReceived = "rxws.frames.received";

    /// <summary>Counter, <c>{frame}</c>: frames sent by the application; tag <c>rxws.frame_type</c>.</summary>
    public const string FramesSent = "rxws.frames.sent";

    /// <summary>Counter, <c>By</c>: payload bytes of the frames received by the application.</summary>
    public const string BytesReceived = "rxws.bytes.received";

    /// <summary>Counter, <c>By</c>: payload bytes of the frames sent by the application.</summary>
    public const string BytesSent = "rxws.bytes.sent";

    /// <summary>Counter, <c>{request}</c>: HTTP requests dispatched; tag <c>rxws.route_match</c> (http, websocket, not_found, method_not_allowed).</summary>
    public const string HttpRequests = "rxws.http.requests";

    /// <summary>The tag naming the route pattern, e.g. <c>/echo</c>.</summary>
    public const string RouteTag = "rxws.route";

    /// <summary>The tag holding a close code as an integer.</summary>
    public const string CloseCodeTag = "rxws.close_code";

    /// <summary>The tag naming a frame's type.</summary>
    public const string FrameTypeTag = "rxws.frame_type";

    /// <summary>The tag saying what a request resolved to.</summary>
    public const string RouteMatchTag = "rxws.route_match";
}
