using System.Buffers;
using System.Globalization;

namespace Rx.WebSockets.Http;

/// <summary>The head of an HTTP/1.x response: the status line (RFC 9112 §4) and the header section.</summary>
/// <remarks>
/// Thread-safety: immutable except for <see cref="Headers"/>, which is not thread-safe while being changed.
/// Field values are written as ISO-8859-1 octets (RFC 9110 §5.5 obs-text); characters above U+00FF cannot be
/// represented and are refused.
/// </remarks>
public sealed class HttpResponseHead
{
    /// <summary>Creates a response head.</summary>
    /// <param name="statusCode">The status code, 100–599.</param>
    /// <param name="headers">The header fields; null for an empty section.</param>
    /// <param name="reasonPhrase">The reason phrase; null for <see cref="HttpStatus.GetReasonPhrase"/>.</param>
    /// <param name="version">The protocol version of the status line.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="statusCode"/> is outside 100–599.</exception>
    /// <exception cref="ArgumentException"><paramref name="reasonPhrase"/> contains a control character other than HTAB, or a character above U+00FF.</exception>
    public HttpResponseHead(int statusCode, HttpHeaders? headers = null, string? reasonPhrase = null, HttpVersion version = HttpVersion.Http11)
    {
        // RFC 9110 §15: "Values outside the range 100..599 are invalid."
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        reasonPhrase ??= HttpStatus.GetReasonPhrase(statusCode);

        // RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ). A CR or LF here would let the phrase
        // end the status line and start a header of its choosing (response splitting).
        if (!HttpSyntax.IsFieldValue(reasonPhrase))
        {
            throw new ArgumentException("The reason phrase contains a character that is not allowed in a status line.", nameof(reasonPhrase));
        }

        StatusCode = statusCode;
        ReasonPhrase = reasonPhrase;
        Version = version;
        Headers = headers ?? new HttpHeaders();
    }

    /// <summary>The status code.</summary>
    public int StatusCode { get; }

    /// <summary>The reason phrase (may be empty).</summary>
    public string ReasonPhrase { get; }

    /// <summary>The protocol version of the status line.</summary>
    public HttpVersion Version { get; }

    /// <summary>The header fields, written in order.</summary>
    public HttpHeaders Headers { get; }

    /// <summary>
    /// Writes the status line, the header fields and the empty line that ends the head, e.g.
    /// <c>HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n...\r\n\r\n</c>. The body, if any, is the caller's.
    /// </summary>
    /// <param name="output">Where to write.</param>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// A field name is not a token (RFC 9110 §5.1) or a field value contains CR, LF, NUL or another control
    /// character other than HTAB, or a character above U+00FF. Nothing has been written in that case.
    /// </exception>
    public void Write(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);

        // RFC 9112 §4: "A server MUST send the space that separates the status-code from the reason-phrase even
        // when the reason phrase is absent (i.e., the status-line would end with the space)."
        HttpSyntax.WriteHead(output, ToString(), Headers);
    }

    /// <summary>Returns the status line, e.g. <c>HTTP/1.1 101 Switching Protocols</c>.</summary>
    /// <returns>The status line.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{HttpSyntax.VersionText(Version)} {StatusCode} {ReasonPhrase}");
}
