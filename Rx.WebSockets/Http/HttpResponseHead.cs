using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Rx.WebSockets.Http;

/// <summary>The head of an HTTP/1.x response: the status line (RFC 9112 §4) and the header section.</summary>
/// <remarks>
/// Thread-safety: immutable except for <see cref="Headers"/>, which is not thread-safe while being changed.
/// Field values are written as ISO-8859-1 octets (RFC 9110 §5.5 obs-text); characters above U+00FF cannot be
/// represented and are refused.
/// </remarks>
public sealed class HttpResponseHead
{
    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';
    private const byte ByteColon = (byte)':';
    private const byte ByteSpace = (byte)' ';

    // RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    // / DIGIT / ALPHA.
    private static readonly SearchValues<char> s_tchar =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    // RFC 9110 §5.5: field-vchar = VCHAR / obs-text, plus SP and HTAB inside the value: HTAB, U+0020–U+007E and
    // U+0080–U+00FF. Everything else (CR, LF, NUL, other controls, DEL, and what Latin-1 cannot encode) is refused.
    private static readonly SearchValues<char> s_fieldValueChar = SearchValues.Create(FieldValueChars());

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
        if (!IsFieldValue(reasonPhrase))
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
        string statusLine = string.Create(
            CultureInfo.InvariantCulture,
            $"{VersionText(Version)} {StatusCode} {ReasonPhrase}");
        WriteHead(output, statusLine, Headers);
    }

    /// <summary>Returns the status line, e.g. <c>HTTP/1.1 101 Switching Protocols</c>.</summary>
    /// <returns>The status line.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{VersionText(Version)} {StatusCode} {ReasonPhrase}");

    /// <summary>The protocol version as it appears on a start line.</summary>
    /// <param name="version">The version.</param>
    /// <returns><c>HTTP/1.1</c> or <c>HTTP/1.0</c>.</returns>
    internal static string VersionText(HttpVersion version) => version == HttpVersion.Http10 ? "HTTP/1.0" : "HTTP/1.1";

    /// <summary>
    /// Writes a start line, the header fields and the final empty line in one <see cref="IBufferWriter{T}.GetSpan"/>.
    /// Shared by responses and by the WebSocket client's request writer.
    /// </summary>
    /// <param name="output">Where to write.</param>
    /// <param name="startLine">The start line without its CRLF; its parts are validated by the caller.</param>
    /// <param name="headers">The fields.</param>
    /// <exception cref="InvalidOperationException">A field cannot be written safely; nothing has been written.</exception>
    internal static void WriteHead(IBufferWriter<byte> output, string startLine, HttpHeaders headers)
    {
        if (!IsFieldValue(startLine))
        {
            ThrowInvalidField("The start line contains a character that is not allowed in a message head.");
        }

        // Validate everything before writing anything: a refused head must leave no partial bytes in the output.
        int length = startLine.Length + 2;
        foreach (var (name, value) in headers)
        {
            if (!IsToken(name))
            {
                ThrowInvalidField("A header field name is not a token (RFC 9110 §5.1).");
            }

            // RFC 9110 §5.5: "Field values containing CR, LF, or NUL characters are invalid and dangerous, due to
            // the varying ways that implementations might parse and interpret those characters".
            if (!IsFieldValue(value))
            {
                ThrowInvalidField($"The value of header field '{name}' contains CR, LF, NUL or another character not allowed in a field value.");
            }

            length += name.Length + 2 + value.Length + 2;
        }

        length += 2;

        Span<byte> span = output.GetSpan(length);
        int written = WriteLatin1(startLine, span);
        written += WriteCrLf(span[written..]);
        foreach (var (name, value) in headers)
        {
            written += WriteLatin1(name, span[written..]);
            span[written++] = ByteColon;
            span[written++] = ByteSpace;
            written += WriteLatin1(value, span[written..]);
            written += WriteCrLf(span[written..]);
        }

        written += WriteCrLf(span[written..]);
        Debug.Assert(written == length, $"Measured {length} bytes but wrote {written}.");
        output.Advance(written);
    }

    /// <summary>Whether <paramref name="value"/> is a non-empty token (RFC 9110 §5.6.2): field names, methods, subprotocol names.</summary>
    /// <param name="value">The text.</param>
    /// <returns><see langword="true"/> when every character is a tchar.</returns>
    internal static bool IsToken(string value) => value.Length > 0 && !value.AsSpan().ContainsAnyExcept(s_tchar);

    /// <summary>Whether <paramref name="value"/> may be written as a field value: no control character but HTAB, nothing above U+00FF.</summary>
    /// <param name="value">The text.</param>
    /// <returns><see langword="true"/> when writable.</returns>
    internal static bool IsFieldValue(string value) => !value.AsSpan().ContainsAnyExcept(s_fieldValueChar);

    private static string FieldValueChars()
    {
        var chars = new StringBuilder("\t");
        for (char c = ' '; c <= '~'; c++)
        {
            chars.Append(c);
        }

        for (char c = '\u0080'; c <= '\u00FF'; c++)
        {
            chars.Append(c);
        }

        return chars.ToString();
    }

    private static int WriteLatin1(string text, Span<byte> destination) => Encoding.Latin1.GetBytes(text, destination);

    private static int WriteCrLf(Span<byte> destination)
    {
        destination[0] = ByteCR;
        destination[1] = ByteLF;
        return 2;
    }

    [DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowInvalidField(string message) => throw new InvalidOperationException(message);
}
