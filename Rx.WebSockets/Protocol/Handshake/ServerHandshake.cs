using Rx.WebSockets.Http;
using Rx.WebSockets.Protocol.Extensions;
using Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;

namespace Rx.WebSockets.Protocol.Handshake;

/// <summary>
/// The server side of the opening handshake (RFC 6455 §4.2): validates a parsed upgrade request and builds the
/// 101 response, or the rejection response with the status the RFC calls for. Sans-I/O: the caller writes the bytes.
/// </summary>
/// <remarks>
/// <para>
/// Checks run in the order of RFC 6455 §4.2.1, and the first failure decides the status: method (405), version
/// (400), <c>Host</c> (400), <c>Upgrade</c> (400), <c>Connection</c> (400), <c>Sec-WebSocket-Key</c> (400),
/// <c>Sec-WebSocket-Version</c> (426, or 400 when repeated), then <c>Origin</c> (403, see
/// <see cref="OriginPolicy"/>). Routing (404) and authentication (401) are the caller's, before or after this call.
/// </para>
/// <para>
/// Extensions are not negotiated yet: an offered <c>Sec-WebSocket-Extensions</c> is ignored and none is
/// answered; RFC 6455 §4.2.2 /extensions/ is "A (possibly empty) list", so the client then uses none.
/// </para>
/// <para>Thread-safety: stateless; <see cref="WebSocketOptions"/> must not change during a call.</para>
/// </remarks>
public static class ServerHandshake
{
    /// <summary>The only protocol version this server speaks (RFC 6455 §11.6).</summary>
    public const string SupportedVersion = "13";

    private const string MethodGet = "GET";
    private const string UpgradeWebSocket = "websocket";
    private const string ConnectionUpgrade = "Upgrade";

    /// <summary>
    /// Whether <paramref name="request"/> asks for a WebSocket upgrade: its <c>Upgrade</c> list holds the token
    /// <c>websocket</c> and its <c>Connection</c> list holds <c>upgrade</c> (both case-insensitive, across all lines).
    /// </summary>
    /// <param name="request">The parsed request head.</param>
    /// <returns><see langword="true"/> when the HTTP engine should route the request to <see cref="Accept"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    /// <remarks>
    /// Method and version are deliberately not looked at: a <c>POST</c> or HTTP/1.0 upgrade attempt is still
    /// routed to <see cref="Accept"/>, which answers it with a status and a reason instead of treating it as a
    /// plain request.
    /// </remarks>
    public static bool IsUpgradeRequest(HttpRequestHead request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Headers.ContainsToken("Upgrade", UpgradeWebSocket)
            && request.Headers.ContainsToken("Connection", ConnectionUpgrade);
    }

    /// <summary>Validates a client's opening handshake and builds the server's answer.</summary>
    /// <param name="request">The parsed request head.</param>
    /// <param name="options">Subprotocols (server preference order) and allowed origins.</param>
    /// <returns>An accepted result with the 101 head, or a rejected one with its status, headers and text body.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static HandshakeResult Accept(HttpRequestHead request, WebSocketOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        var headers = request.Headers;

        // RFC 6455 §4.2.1 item 1: "An HTTP/1.1 or higher GET request". Methods are case-sensitive (RFC 9110 §9.1),
        // so "get" is not GET.
        if (!string.Equals(request.Method, MethodGet, StringComparison.Ordinal))
        {
            // RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405 response".
            var allow = new HttpHeaders().Add("Allow", MethodGet);
            return HandshakeResult.Rejected(HttpStatus.MethodNotAllowed, "A WebSocket handshake must use the GET method.", allow);
        }

        // RFC 6455 §4.2.1 item 1 again ("HTTP/1.1 or higher"). 400 rather than 505: the server speaks HTTP/1.0, but
        // HTTP/1.0 has no upgrade mechanism (RFC 9110 §7.8: "A server that receives an Upgrade header field in an
        // HTTP/1.0 request MUST ignore that Upgrade field"), so this request cannot be a WebSocket handshake.
        if (request.Version == HttpVersion.Http10)
        {
            return HandshakeResult.Rejected(HttpStatus.BadRequest, "A WebSocket handshake requires HTTP/1.1 or later.");
        }

        // RFC 6455 §4.2.1 item 2: "A |Host| header field containing the server's authority." RFC 9112 §3.2 also
        // answers 400 to a request "that contains more than one Host header field line".
        if (headers.CountOf("Host") != 1 || headers.Get("Host")!.Length == 0)
        {
            return HandshakeResult.Rejected(HttpStatus.BadRequest, "A WebSocket handshake must carry exactly one non-empty Host header.");
        }

        // RFC 6455 §4.2.1 item 3: "An |Upgrade| header field containing the value "websocket", treated as an ASCII
        // case-insensitive value."
        if (!headers.ContainsToken("Upgrade", UpgradeWebSocket))
        {
            return HandshakeResult.Rejected(HttpStatus.BadRequest, "A WebSocket handshake must carry \"Upgrade: websocket\".");
        }

        // RFC 6455 §4.2.1 item 4: "A |Connection| header field that includes the token "Upgrade", treated as an
        // ASCII case-insensitive value." Browsers send e.g. "keep-alive, Upgrade".
        if (!headers.ContainsToken("Connection", ConnectionUpgrade))
        {
            return HandshakeResult.Rejected(HttpStatus.BadRequest, "A WebSocket handshake must carry the \"Upgrade\" token in Connection.");
        }

        // RFC 6455 §4.2.1 item 5: "A |Sec-WebSocket-Key| header field with a base64-encoded ... value that, when
        // decoded, is 16 bytes in length." §11.3.1: it "MUST NOT appear more than once in an HTTP request."
        string? key = headers.Get("Sec-WebSocket-Key");
        if (headers.CountOf("Sec-WebSocket-Key") != 1 || !HandshakeKeys.IsValidKey(key))
        {
            return HandshakeResult.Rejected(HttpStatus.BadRequest, "A WebSocket handshake must carry one Sec-WebSocket-Key: the base64 of 16 bytes.");
        }

        // RFC 6455 §11.3.5: "the |Sec-WebSocket-Version| header field MUST NOT appear more than once in an HTTP
        // request." A repeated field is malformed (400), not a version to negotiate (426).
        if (headers.CountOf("Sec-WebSocket-Version") > 1)
        {
            return HandshakeResult.Rejected(HttpStatus.BadRequest, "A WebSocket handshake must carry Sec-WebSocket-Version once.");
        }

        // RFC 6455 §4.2.1 item 6: "A |Sec-WebSocket-Version| header field, with a value of 13." §4.2.2 /version/: "If
        // this version does not match a version understood by the server, the server MUST abort the WebSocket
        // handshake ... and instead send an appropriate HTTP error code (such as 426 Upgrade Required) and a
        // |Sec-WebSocket-Version| header field indicating the version(s) the server is capable of understanding."
        if (!string.Equals(headers.Get("Sec-WebSocket-Version"), SupportedVersion, StringComparison.Ordinal))
        {
            // RFC 9110 §7.8: "A server that sends a 426 (Upgrade Required) response MUST send an Upgrade header
            // field to indicate the acceptable protocols", and "A sender of Upgrade MUST also send an "Upgrade"
            // connection option in the Connection header field".
            var upgradeRequired = new HttpHeaders()
                .Add("Upgrade", UpgradeWebSocket)
                .Add("Connection", ConnectionUpgrade)
                .Add("Sec-WebSocket-Version", SupportedVersion);
            return HandshakeResult.Rejected(HttpStatus.UpgradeRequired, "This server speaks WebSocket version 13 only.", upgradeRequired);
        }

        // RFC 6455 §10.2: "Servers that are not intended to process input from any web page but only for certain
        // sites SHOULD verify the |Origin| field is an origin they expect. If the origin indicated is unacceptable
        // to the server, then it SHOULD respond to the WebSocket handshake with a reply containing HTTP 403
        // Forbidden status code." This is the defence against cross-site WebSocket hijacking (see OriginPolicy).
        if (!OriginPolicy.IsAllowed(headers, options.AllowedOrigins))
        {
            return HandshakeResult.Rejected(HttpStatus.Forbidden, "The Origin of this WebSocket handshake is not allowed.");
        }

        string? subProtocol = SubProtocolNegotiation.Select(options.SubProtocols, headers);

        // RFC 6455 §9.1 and RFC 7692 §5: the first acceptable permessage-deflate offer, or none; declining never fails.
        var perMessageDeflate = options.Compression is { } compression ? Negotiator.Negotiate(headers, compression) : null;

        // RFC 6455 §4.2.2 step 5: a Status-Line with 101, "An |Upgrade| header field with value "websocket"", "A
        // |Connection| header field with value "Upgrade"", "A |Sec-WebSocket-Accept| header field", and the
        // selected subprotocol if any.
        var response = new HttpHeaders()
            .Add("Upgrade", UpgradeWebSocket)
            .Add("Connection", ConnectionUpgrade)
            .Add("Sec-WebSocket-Accept", HandshakeKeys.ComputeAccept(key!));
        if (subProtocol is not null)
        {
            response.Add(SubProtocolNegotiation.HeaderName, subProtocol);
        }

        if (perMessageDeflate is not null)
        {
            response.Add(ExtensionHeader.HeaderName, perMessageDeflate.ToString());
        }

        return HandshakeResult.Accepted(new HttpResponseHead(HttpStatus.SwitchingProtocols, response), subProtocol, perMessageDeflate);
    }
}
