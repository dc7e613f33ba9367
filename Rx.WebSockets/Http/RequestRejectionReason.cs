namespace Rx.WebSockets.Http;

/// <summary>
/// Why a request was refused before it reached a handler. Each reason maps to one status code
/// (<see cref="RequestRejectionReasonExtensions.ToStatusCode"/>); after any of them the server answers and closes
/// the connection, because the rest of the byte stream can no longer be trusted to be framed as the client meant.
/// </summary>
public enum RequestRejectionReason
{
    /// <summary>400: the request line does not match <c>method SP request-target SP HTTP-version</c> (RFC 9112 §3).</summary>
    InvalidRequestLine,

    /// <summary>400: the request target has a forbidden byte or does not fit the method's form (RFC 9112 §3.2).</summary>
    InvalidRequestTarget,

    /// <summary>414: the request line is longer than <see cref="HttpLimits.MaxRequestLineLength"/>.</summary>
    RequestLineTooLong,

    /// <summary>505: a well-formed <c>HTTP/x.y</c> version whose major version is not 1, or <c>HTTP/0.9</c> (RFC 9110 §15.6.6).</summary>
    HttpVersionNotSupported,

    /// <summary>400: a line ends in a bare LF, or a CR is not followed by LF (RFC 9112 §2.2).</summary>
    InvalidLineEnding,

    /// <summary>400: more empty lines before the request line than the parser skips (RFC 9112 §2.2).</summary>
    TooManyLeadingEmptyLines,

    /// <summary>400: a field name is empty, is not a token, or is followed by whitespace before the colon (RFC 9112 §5.1).</summary>
    InvalidHeaderName,

    /// <summary>400: a field line has no colon, or its value contains a control character other than HTAB (RFC 9110 §5.5).</summary>
    InvalidHeaderValue,

    /// <summary>400: a field line starts with whitespace: obsolete line folding (RFC 9112 §5.2) or whitespace after the request line (§2.2).</summary>
    ObsoleteLineFolding,

    /// <summary>431: the header section is larger than <see cref="HttpLimits.MaxRequestHeadersTotalSize"/>.</summary>
    HeadersTooLarge,

    /// <summary>431: more header fields than <see cref="HttpLimits.MaxRequestHeaderCount"/>.</summary>
    TooManyHeaders,

    /// <summary>400: an HTTP/1.1 request without a <c>Host</c> field (RFC 9112 §3.2).</summary>
    MissingHost,

    /// <summary>400: more than one <c>Host</c> field line (RFC 9112 §3.2).</summary>
    MultipleHosts,

    /// <summary>400: a <c>Host</c> value that is not <c>uri-host [ ":" port ]</c> (RFC 9110 §7.2), or a bad CONNECT authority.</summary>
    InvalidHost,

    /// <summary>417: an <c>Expect</c> member other than <c>100-continue</c> (RFC 9110 §10.1.1).</summary>
    UnsupportedExpectation,

    /// <summary>400: both <c>Transfer-Encoding</c> and <c>Content-Length</c> (RFC 9112 §6.1, §6.3 rule 3; request smuggling).</summary>
    ContentLengthWithTransferEncoding,

    /// <summary>400: a <c>Content-Length</c> that is not a non-negative decimal number that fits 63 bits (RFC 9110 §8.6).</summary>
    InvalidContentLength,

    /// <summary>400: more than one <c>Content-Length</c> line or list member, even with equal values (RFC 9112 §6.3 rule 5).</summary>
    MultipleContentLengths,

    /// <summary>400: <c>Transfer-Encoding</c> in an HTTP/1.0 request (RFC 9112 §6.1).</summary>
    TransferEncodingInHttp10,

    /// <summary>
    /// 400: <c>Transfer-Encoding</c> whose final coding is not <c>chunked</c> (RFC 9112 §6.3 rule 4), that applies
    /// <c>chunked</c> twice or with parameters (§6.1, §7), or that is not a list of tokens.
    /// </summary>
    InvalidTransferEncoding,

    /// <summary>501: <c>Transfer-Encoding</c> ends in <c>chunked</c> but also names a coding the server does not implement (RFC 9112 §6.1).</summary>
    UnsupportedTransferCoding,

    /// <summary>413: the body (announced by <c>Content-Length</c>, or decoded from chunks) exceeds <see cref="HttpLimits.MaxRequestBodySize"/>.</summary>
    RequestBodyTooLarge,

    /// <summary>400: a chunk size that is empty, not hexadecimal, or larger than 2^62 (RFC 9112 §7.1).</summary>
    InvalidChunkSize,

    /// <summary>400: a malformed chunk extension (RFC 9112 §7.1.1).</summary>
    InvalidChunkExtension,

    /// <summary>400: a chunk-size line longer than <see cref="HttpLimits.MaxChunkPrefixLength"/>.</summary>
    ChunkPrefixTooLong,

    /// <summary>400: chunk data not followed by CRLF (RFC 9112 §7.1).</summary>
    MissingChunkTerminator,

    /// <summary>431: a chunked trailer section larger than <see cref="HttpLimits.MaxTrailerSize"/> or with more fields than <see cref="HttpLimits.MaxRequestHeaderCount"/>.</summary>
    TrailersTooLarge,
}

/// <summary>Maps <see cref="RequestRejectionReason"/> to HTTP status codes.</summary>
public static class RequestRejectionReasonExtensions
{
    /// <summary>The status code to answer for <paramref name="reason"/>: 400, 413, 414, 417, 431, 501 or 505.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The status code.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reason"/> is not a defined value.</exception>
    public static int ToStatusCode(this RequestRejectionReason reason) => reason switch
    {
        RequestRejectionReason.RequestLineTooLong => 414,
        RequestRejectionReason.HttpVersionNotSupported => 505,
        RequestRejectionReason.HeadersTooLarge
            or RequestRejectionReason.TooManyHeaders
            or RequestRejectionReason.TrailersTooLarge => 431,
        RequestRejectionReason.UnsupportedExpectation => 417,
        RequestRejectionReason.UnsupportedTransferCoding => 501,
        RequestRejectionReason.RequestBodyTooLarge => 413,
        >= RequestRejectionReason.InvalidRequestLine and <= RequestRejectionReason.TrailersTooLarge => 400,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown rejection reason."),
    };
}
