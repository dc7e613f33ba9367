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

    /// <summary>
    /// Histogram, <c>s</c>: the round trip of each ping a default session's pinger sent, from the ping being queued to
    /// the matching pong being read (<see cref="Session.IWebSocketSession.PingRoundTrips"/>); tag <c>rxws.route</c>.
    /// </summary>
    /// <remarks>
    /// In seconds, as a <see cref="double"/>, like the .NET runtime's and ASP.NET Core's own duration histograms
    /// (<c>http.server.request.duration</c>, <c>kestrel.connection.duration</c>) and OpenTelemetry's semantic conventions,
    /// so <c>dotnet-counters</c> and exporters show it next to them without conversion. The bucket advice reaches down to
    /// 100 µs, because loopback and LAN round trips are well under the 5 ms of the HTTP histograms' first bucket.
    /// Nothing is recorded for pongs that answer no outstanding ping, nor for pings that time out (those end the session
    /// with 1011, counted by <see cref="SessionsClosed"/>).
    /// </remarks>
    public const string PingRoundTrip = "rxws.ping.round_trip";

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
