namespace Rx.WebSockets.Http.Body;

/// <summary>How the length of a request body is determined (RFC 9112 §6.3).</summary>
public enum RequestBodyKind
{
    /// <summary>No body: neither <c>Transfer-Encoding</c> nor <c>Content-Length</c> (§6.3 rule 7).</summary>
    None,

    /// <summary>Exactly <see cref="RequestBodyFraming.ContentLength"/> bytes follow the head (§6.3 rule 6).</summary>
    ContentLength,

    /// <summary>A chunked body follows the head (§6.3 rule 4; decode it with <see cref="ChunkedDecoder"/>).</summary>
    Chunked,
}

/// <summary>The framing of one request body, as decided by <see cref="MessageFraming.Decide"/>.</summary>
public readonly record struct RequestBodyFraming
{
    private RequestBodyFraming(RequestBodyKind kind, long contentLength)
    {
        Kind = kind;
        ContentLength = contentLength;
    }

    /// <summary>No body.</summary>
    public static RequestBodyFraming None => default;

    /// <summary>A chunked body.</summary>
    public static RequestBodyFraming Chunked => new(RequestBodyKind.Chunked, 0);

    /// <summary>How the body is framed.</summary>
    public RequestBodyKind Kind { get; }

    /// <summary>The body length when <see cref="Kind"/> is <see cref="RequestBodyKind.ContentLength"/>; 0 otherwise.</summary>
    public long ContentLength { get; }

    /// <summary>Whether any body bytes may follow the head (a chunked body, or a non-zero Content-Length).</summary>
    public bool HasBody => Kind == RequestBodyKind.Chunked || ContentLength > 0;

    /// <summary>A body of exactly <paramref name="length"/> bytes.</summary>
    /// <param name="length">The length, 0 or more.</param>
    /// <returns>The framing.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public static RequestBodyFraming ForContentLength(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return new RequestBodyFraming(RequestBodyKind.ContentLength, length);
    }
}

/// <summary>
/// Decides how a request's body is delimited (RFC 9112 §6), refusing every ambiguous combination instead of picking
/// one reading: two parsers that read a body's length differently are how request smuggling works (§11.2).
/// </summary>
/// <remarks>
/// Deliberate choices where the RFC allows several: a request with both <c>Transfer-Encoding</c> and
/// <c>Content-Length</c> is refused (§6.1 allows processing it by Transfer-Encoding alone); a repeated
/// <c>Content-Length</c> is refused even when the values are equal (§6.3 rule 5 and RFC 9110 §8.6 allow collapsing
/// them) — Kestrel, Ktor and nginx refuse too, and a client never needs to send it; leading zeros are accepted
/// (<c>1*DIGIT</c>). Unlike Ktor, <c>identity</c> is not a transfer coding (it left the registry with RFC 7230) and a
/// request without a length has no body even with <c>Connection: close</c> (§6.3 rule 7).
/// </remarks>
public static class MessageFraming
{
    private const string TransferEncoding = "Transfer-Encoding";
    private const string ContentLength = "Content-Length";

    // 2^63 - 1 has 19 digits; a longer run of significant digits cannot fit a long.
    private const int MaxContentLengthDigits = 19;

    /// <summary>Decides the body framing of <paramref name="head"/>.</summary>
    /// <param name="head">The request head.</param>
    /// <param name="limits">The limits; <see cref="HttpLimits.MaxRequestBodySize"/> bounds a <c>Content-Length</c>.</param>
    /// <returns>None, a Content-Length, or chunked.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="HttpRequestRejectedException">
    /// The framing is invalid or ambiguous (400), uses a transfer coding other than chunked (501), or announces a
    /// body larger than the limit (413). The connection must be closed after the response.
    /// </exception>
    public static RequestBodyFraming Decide(HttpRequestHead head, HttpLimits limits)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(limits);

        var headers = head.Headers;
        bool hasTransferEncoding = headers.Contains(TransferEncoding);
        int contentLengths = headers.CountOf(ContentLength);

        if (hasTransferEncoding)
        {
            if (head.Version == HttpVersion.Http10)
            {
                // RFC 9112 §6.1: "A server or client that receives an HTTP/1.0 message containing a Transfer-Encoding
                // header field MUST treat the message as if the framing is faulty, even if a Content-Length is present".
                RequestRejection.Throw(RequestRejectionReason.TransferEncodingInHttp10);
            }

            if (contentLengths > 0)
            {
                // RFC 9112 §6.3 rule 3: both fields "might indicate an attempt to perform request smuggling ... and
                // ought to be handled as an error"; §6.1: "A server MAY reject a request that contains both".
                RequestRejection.Throw(RequestRejectionReason.ContentLengthWithTransferEncoding);
            }

            CheckTransferCodings(headers);
            return RequestBodyFraming.Chunked;
        }

        if (contentLengths == 0)
        {
            // RFC 9112 §6.3 rule 7: "If this is a request message and none of the above are true, then the message
            // body length is zero (no message body is present)."
            return RequestBodyFraming.None;
        }

        if (contentLengths > 1)
        {
            RequestRejection.Throw(RequestRejectionReason.MultipleContentLengths);
        }

        long length = ParseContentLength(headers.Get(ContentLength)!);
        if (length > limits.MaxRequestBodySize)
        {
            RequestRejection.Throw(RequestRejectionReason.RequestBodyTooLarge);
        }

        return RequestBodyFraming.ForContentLength(length);
    }

    private static long ParseContentLength(string value)
    {
        if (value.Contains(',', StringComparison.Ordinal))
        {
            // RFC 9112 §6.3 rule 5: a list such as "5, 5" or "5, 6" — refused whether or not the members agree (class remarks).
            RequestRejection.Throw(RequestRejectionReason.MultipleContentLengths);
        }

        // RFC 9110 §8.6: Content-Length = 1*DIGIT. No sign, no spaces, no hex; and it must fit a long.
        if (value.Length == 0)
        {
            RequestRejection.Throw(RequestRejectionReason.InvalidContentLength);
        }

        var digits = value.AsSpan();
        foreach (char c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                RequestRejection.Throw(RequestRejectionReason.InvalidContentLength);
            }
        }

        digits = digits.TrimStart('0');
        if (digits.Length > MaxContentLengthDigits)
        {
            RequestRejection.Throw(RequestRejectionReason.InvalidContentLength);
        }

        long length = 0;
        foreach (char c in digits)
        {
            int digit = c - '0';
            if (length > (long.MaxValue - digit) / 10)
            {
                RequestRejection.Throw(RequestRejectionReason.InvalidContentLength);
            }

            length = (length * 10) + digit;
        }

        return length;
    }

    private static void CheckTransferCodings(HttpHeaders headers)
    {
        // RFC 9112 §6.1: Transfer-Encoding = #transfer-coding, the codings in the order applied, across all field lines.
        int codings = 0;
        int chunked = 0;
        bool lastIsChunked = false;
        bool unsupported = false;
        foreach (var value in headers.GetValues(TransferEncoding))
        {
            var list = new HttpListReader(value);
            while (list.TryRead(out var member))
            {
                // transfer-coding = token *( OWS ";" OWS transfer-parameter )
                int semicolon = member.IndexOf(';');
                var name = HttpSyntax.TrimOws(semicolon < 0 ? member : member[..semicolon]);
                if (!HttpSyntax.IsToken(name))
                {
                    RequestRejection.Throw(RequestRejectionReason.InvalidTransferEncoding);
                }

                codings++;
                lastIsChunked = name.Equals("chunked", StringComparison.OrdinalIgnoreCase);
                if (lastIsChunked)
                {
                    chunked++;
                    if (semicolon >= 0)
                    {
                        // RFC 9112 §7: the chunked coding defines no parameters; one here is a confused or evasive sender.
                        RequestRejection.Throw(RequestRejectionReason.InvalidTransferEncoding);
                    }
                }
                else
                {
                    unsupported = true;
                }
            }
        }

        if (chunked > 1)
        {
            // RFC 9112 §6.1: "A sender MUST NOT apply the chunked transfer coding more than once to a message body".
            RequestRejection.Throw(RequestRejectionReason.InvalidTransferEncoding);
        }

        if (codings == 0 || !lastIsChunked)
        {
            // RFC 9112 §6.3 rule 4: "If a Transfer-Encoding header field is present in a request and the chunked
            // transfer coding is not the final encoding, the message body length cannot be determined reliably; the
            // server MUST respond with the 400 (Bad Request) status code and then close the connection."
            RequestRejection.Throw(RequestRejectionReason.InvalidTransferEncoding);
        }

        if (unsupported)
        {
            // RFC 9112 §6.1: "A server that receives a request message with a transfer coding it does not understand
            // SHOULD respond with 501 (Not Implemented)." We implement chunked only (gzip, deflate, compress, ...).
            RequestRejection.Throw(RequestRejectionReason.UnsupportedTransferCoding);
        }
    }
}
