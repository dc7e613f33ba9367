namespace Rx.WebSockets.Http;

/// <summary>
/// The HTTP status codes that the engine and the WebSocket handshake send, with their reason phrases
/// (RFC 9110 §15; 431 from RFC 6585 §5).
/// </summary>
/// <remarks>Thread-safety: stateless.</remarks>
public static class HttpStatus
{
    /// <summary>101: the connection switches to the protocol named in <c>Upgrade</c> (RFC 9110 §15.2.2).</summary>
    public const int SwitchingProtocols = 101;

    /// <summary>200 (RFC 9110 §15.3.1).</summary>
    public const int OK = 200;

    /// <summary>204 (RFC 9110 §15.3.5).</summary>
    public const int NoContent = 204;

    /// <summary>206 (RFC 9110 §15.3.7).</summary>
    public const int PartialContent = 206;

    /// <summary>304 (RFC 9110 §15.4.5).</summary>
    public const int NotModified = 304;

    /// <summary>400 (RFC 9110 §15.5.1).</summary>
    public const int BadRequest = 400;

    /// <summary>403 (RFC 9110 §15.5.4); the answer to a WebSocket handshake from an origin that is not allowed.</summary>
    public const int Forbidden = 403;

    /// <summary>404 (RFC 9110 §15.5.5).</summary>
    public const int NotFound = 404;

    /// <summary>405 (RFC 9110 §15.5.6); the response must carry <c>Allow</c>.</summary>
    public const int MethodNotAllowed = 405;

    /// <summary>408 (RFC 9110 §15.5.9).</summary>
    public const int RequestTimeout = 408;

    /// <summary>412 (RFC 9110 §15.5.13).</summary>
    public const int PreconditionFailed = 412;

    /// <summary>413 (RFC 9110 §15.5.14, formerly "Payload Too Large").</summary>
    public const int ContentTooLarge = 413;

    /// <summary>414 (RFC 9110 §15.5.15).</summary>
    public const int UriTooLong = 414;

    /// <summary>416 (RFC 9110 §15.5.17).</summary>
    public const int RangeNotSatisfiable = 416;

    /// <summary>417 (RFC 9110 §15.5.18).</summary>
    public const int ExpectationFailed = 417;

    /// <summary>426 (RFC 9110 §15.5.22); the response must carry <c>Upgrade</c>.</summary>
    public const int UpgradeRequired = 426;

    /// <summary>431 (RFC 6585 §5).</summary>
    public const int RequestHeaderFieldsTooLarge = 431;

    /// <summary>500 (RFC 9110 §15.6.1).</summary>
    public const int InternalServerError = 500;

    /// <summary>501 (RFC 9110 §15.6.2).</summary>
    public const int NotImplemented = 501;

    /// <summary>503 (RFC 9110 §15.6.4).</summary>
    public const int ServiceUnavailable = 503;

    /// <summary>505 (RFC 9110 §15.6.6).</summary>
    public const int HttpVersionNotSupported = 505;

    /// <summary>The reason phrase of <paramref name="statusCode"/>, or the empty string for a code not listed here.</summary>
    /// <param name="statusCode">The status code.</param>
    /// <returns>The phrase, e.g. <c>Switching Protocols</c>.</returns>
    /// <remarks>
    /// RFC 9112 §4: "A client SHOULD ignore the reason-phrase content because it is not a reliable channel for
    /// information"; an empty phrase is valid (<c>HTTP/1.1 299 </c>), so unknown codes need no table entry.
    /// </remarks>
    public static string GetReasonPhrase(int statusCode) => statusCode switch
    {
        SwitchingProtocols => "Switching Protocols",
        OK => "OK",
        NoContent => "No Content",
        PartialContent => "Partial Content",
        NotModified => "Not Modified",
        BadRequest => "Bad Request",
        Forbidden => "Forbidden",
        NotFound => "Not Found",
        MethodNotAllowed => "Method Not Allowed",
        RequestTimeout => "Request Timeout",
        PreconditionFailed => "Precondition Failed",
        ContentTooLarge => "Content Too Large",
        UriTooLong => "URI Too Long",
        RangeNotSatisfiable => "Range Not Satisfiable",
        ExpectationFailed => "Expectation Failed",
        UpgradeRequired => "Upgrade Required",
        RequestHeaderFieldsTooLarge => "Request Header Fields Too Large",
        InternalServerError => "Internal Server Error",
        NotImplemented => "Not Implemented",
        ServiceUnavailable => "Service Unavailable",
        HttpVersionNotSupported => "HTTP Version Not Supported",
        _ => string.Empty,
    };
}
