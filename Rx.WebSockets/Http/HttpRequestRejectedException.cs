using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Rx.WebSockets.Http;

/// <summary>
/// A request was refused before it reached a handler; answer with <see cref="StatusCode"/> and close the connection.
/// </summary>
/// <remarks>
/// The message is a fixed text per <see cref="Reason"/>: it never quotes the request, so it is safe to send as the
/// body of the error response and to write to logs.
/// </remarks>
public sealed class HttpRequestRejectedException : Exception
{
    /// <summary>Creates the exception for <paramref name="reason"/>.</summary>
    /// <param name="reason">Why the request was refused.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reason"/> is not a defined value.</exception>
    public HttpRequestRejectedException(RequestRejectionReason reason)
        : base(Describe(reason))
    {
        Reason = reason;
        StatusCode = reason.ToStatusCode();
    }

    /// <summary>Why the request was refused.</summary>
    public RequestRejectionReason Reason { get; }

    /// <summary>The status code to answer: 400, 413, 414, 417, 431, 501 or 505.</summary>
    public int StatusCode { get; }

    private static string Describe(RequestRejectionReason reason) => reason switch
    {
        RequestRejectionReason.InvalidRequestLine => "Invalid request line.",
        RequestRejectionReason.InvalidRequestTarget => "Invalid request target.",
        RequestRejectionReason.RequestLineTooLong => "Request line too long.",
        RequestRejectionReason.HttpVersionNotSupported => "HTTP version not supported.",
        RequestRejectionReason.InvalidLineEnding => "Invalid line ending: lines must end with CRLF.",
        RequestRejectionReason.TooManyLeadingEmptyLines => "Too many empty lines before the request line.",
        RequestRejectionReason.InvalidHeaderName => "Invalid header field name.",
        RequestRejectionReason.InvalidHeaderValue => "Invalid header field line.",
        RequestRejectionReason.ObsoleteLineFolding => "Header line folding is not allowed.",
        RequestRejectionReason.HeadersTooLarge => "Request header fields too large.",
        RequestRejectionReason.TooManyHeaders => "Too many request header fields.",
        RequestRejectionReason.MissingHost => "Missing Host header.",
        RequestRejectionReason.MultipleHosts => "Multiple Host headers.",
        RequestRejectionReason.InvalidHost => "Invalid Host header.",
        RequestRejectionReason.UnsupportedExpectation => "Unsupported expectation.",
        RequestRejectionReason.ContentLengthWithTransferEncoding => "Both Content-Length and Transfer-Encoding.",
        RequestRejectionReason.InvalidContentLength => "Invalid Content-Length.",
        RequestRejectionReason.MultipleContentLengths => "Multiple Content-Length values.",
        RequestRejectionReason.TransferEncodingInHttp10 => "Transfer-Encoding is not allowed in HTTP/1.0.",
        RequestRejectionReason.InvalidTransferEncoding => "Invalid Transfer-Encoding.",
        RequestRejectionReason.UnsupportedTransferCoding => "Unsupported transfer coding.",
        RequestRejectionReason.RequestBodyTooLarge => "Request body too large.",
        RequestRejectionReason.InvalidChunkSize => "Invalid chunk size.",
        RequestRejectionReason.InvalidChunkExtension => "Invalid chunk extension.",
        RequestRejectionReason.ChunkPrefixTooLong => "Chunk size line too long.",
        RequestRejectionReason.MissingChunkTerminator => "Chunk data not followed by CRLF.",
        RequestRejectionReason.TrailersTooLarge => "Request trailer fields too large.",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown rejection reason."),
    };
}

/// <summary>Throw helpers for the HTTP parsers, kept out of hot methods so that those stay small (Kestrel's shape).</summary>
internal static class RequestRejection
{
    /// <summary>Refuses the request for <paramref name="reason"/>.</summary>
    /// <param name="reason">Why.</param>
    [DoesNotReturn]
    [StackTraceHidden]
    public static void Throw(RequestRejectionReason reason) => throw Create(reason);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static HttpRequestRejectedException Create(RequestRejectionReason reason) => new(reason);
}
