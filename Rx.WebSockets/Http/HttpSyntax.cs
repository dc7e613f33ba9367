using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Rx.WebSockets.Http;

/// <summary>
/// The one home of HTTP syntax shared by the parsers and writers of this namespace and the WebSocket handshake: the
/// RFC 9110 §5.6 building blocks (token, OWS, quoted-string, parameters), field values (§5.5), the RFC 9112 §5 field
/// line, the message head writer, and the RFC 3986 pieces of request targets and Host.
/// </summary>
/// <remarks>
/// Byte overloads serve the parsers, which work on received octets; char overloads serve field values that are
/// already strings (Latin-1 decoded, or written by the application). Thread-safety: stateless.
/// </remarks>
internal static class HttpSyntax
{
    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';
    private const byte ByteSpace = (byte)' ';
    private const byte ByteTab = (byte)'\t';
    private const byte ByteColon = (byte)':';
    private const char CharSpace = ' ';
    private const char CharTab = '\t';
    private const char CharQuote = '"';
    private const char CharBackslash = '\\';
    private const char CharDelete = '\x7F';

    // RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    // / DIGIT / ALPHA.
    private const string TokenChars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    // RFC 3986 §2.3 unreserved and §2.2 sub-delims: what a reg-name may hold besides pct-encoded octets.
    private const string RegNameChars = "-._~!$&'()*+,;=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly SearchValues<byte> s_tokenBytes = SearchValues.Create(Encoding.ASCII.GetBytes(TokenChars));
    private static readonly SearchValues<char> s_tokenChars = SearchValues.Create(TokenChars);
    private static readonly SearchValues<char> s_regNameChars = SearchValues.Create(RegNameChars);
    private static readonly SearchValues<char> s_ipLiteralChars = SearchValues.Create(RegNameChars + ":");
    private static readonly SearchValues<char> s_fieldValueChars = SearchValues.Create(FieldValueChars());
    private static readonly SearchValues<byte> s_fieldValueBytes = SearchValues.Create(Encoding.Latin1.GetBytes(FieldValueChars()));
    private static readonly SearchValues<byte> s_targetBytes = SearchValues.Create(BuildTargetBytes());

    /// <summary>What <see cref="ParseFieldLine"/> found wrong with a field line; the checks run in this order.</summary>
    public enum FieldLineError
    {
        /// <summary>The line is a valid field line.</summary>
        None,

        /// <summary>The line starts with SP or HTAB (RFC 9112 §5.2 obs-fold).</summary>
        ObsoleteLineFolding,

        /// <summary>The line holds a CR (RFC 9112 §2.2); reported only when the caller asks for it.</summary>
        BareCR,

        /// <summary>The line has no <c>:</c>.</summary>
        MissingColon,

        /// <summary>The field name is empty or holds a byte that is not a tchar, such as whitespace before the colon.</summary>
        InvalidName,

        /// <summary>The field value holds a control byte other than HTAB, or DEL.</summary>
        InvalidValue,
    }

    /// <summary>RFC 9110 §5.6.2: token = 1*tchar.</summary>
    public static bool IsToken(ReadOnlySpan<byte> value) => !value.IsEmpty && !value.ContainsAnyExcept(s_tokenBytes);

    /// <summary>RFC 9110 §5.6.2: token = 1*tchar (field names, methods, parameter names, subprotocol names).</summary>
    public static bool IsToken(ReadOnlySpan<char> value) => !value.IsEmpty && !value.ContainsAnyExcept(s_tokenChars);

    /// <summary>Whether <paramref name="b"/> is a tchar.</summary>
    public static bool IsTokenByte(byte b) => s_tokenBytes.Contains(b);

    /// <summary>
    /// RFC 9110 §5.5: field-vchar, SP and HTAB — every control other than HTAB, and DEL, is refused. Received values
    /// keep obs-text (0x80–0xFF) as opaque octets.
    /// </summary>
    public static bool IsFieldValue(ReadOnlySpan<byte> value) => !value.ContainsAnyExcept(s_fieldValueBytes);

    /// <summary>
    /// Whether <paramref name="value"/> may be written as a field value (or reason phrase): the octets of
    /// <see cref="IsFieldValue(ReadOnlySpan{byte})"/> as ISO-8859-1 characters, so also nothing above U+00FF.
    /// </summary>
    public static bool IsFieldValue(ReadOnlySpan<char> value) => !value.ContainsAnyExcept(s_fieldValueChars);

    /// <summary>The index of the first character that <see cref="IsFieldValue(ReadOnlySpan{char})"/> refuses, or -1.</summary>
    public static int IndexOfNonFieldValue(ReadOnlySpan<char> value) => value.IndexOfAnyExcept(s_fieldValueChars);

    /// <summary>
    /// RFC 9110 §5.6.4: what a quoted-pair may escape (HTAB / SP / VCHAR / obs-text), which is also qdtext once the
    /// caller has handled DQUOTE and backslash. Values decoded from UTF-8 carry obs-text as any char above U+007F.
    /// </summary>
    public static bool IsQuotedText(char c) => c == CharTab || (c >= CharSpace && c != CharDelete);

    /// <summary><see cref="IsQuotedText(char)"/> for a received octet.</summary>
    public static bool IsQuotedText(byte b) => IsQuotedText((char)b);

    /// <summary>RFC 9110 §5.6.3: removes OWS = *( SP / HTAB ) on both sides.</summary>
    public static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> value) => value.Trim(" \t"u8);

    /// <summary>RFC 9110 §5.6.3: removes OWS = *( SP / HTAB ) on both sides.</summary>
    public static ReadOnlySpan<char> TrimOws(ReadOnlySpan<char> value) => value.Trim(" \t");

    /// <summary>RFC 9110 §5.6.3: advances <paramref name="i"/> past OWS = *( SP / HTAB ).</summary>
    public static void SkipOws(ReadOnlySpan<char> s, ref int i)
    {
        while (i < s.Length && (s[i] == CharSpace || s[i] == CharTab))
        {
            i++;
        }
    }

    /// <summary>Reads the run of tchar at <paramref name="i"/> (empty when there is none) and advances past it.</summary>
    public static string ReadToken(ReadOnlySpan<char> s, ref int i)
    {
        int length = s[i..].IndexOfAnyExcept(s_tokenChars);
        if (length < 0)
        {
            length = s.Length - i;
        }

        string token = s.Slice(i, length).ToString();
        i += length;
        return token;
    }

    /// <summary>
    /// Reads the quoted-string whose opening DQUOTE is at <paramref name="i"/>, returns its content with the
    /// quoted-pairs unescaped, and advances past the closing DQUOTE.
    /// </summary>
    /// <returns><see langword="null"/> when it is unterminated or holds a character no quoted-string may hold; <paramref name="i"/> is unchanged then.</returns>
    public static string? ReadQuotedString(ReadOnlySpan<char> s, ref int i)
    {
        // RFC 9110 §5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE;
        // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ).
        Debug.Assert(s[i] == CharQuote, "a quoted-string starts at a DQUOTE");
        var value = new StringBuilder();
        for (int j = i + 1; j < s.Length; j++)
        {
            char c = s[j];
            if (c == CharQuote)
            {
                i = j + 1;
                return value.ToString();
            }

            if (c == CharBackslash)
            {
                if (++j == s.Length)
                {
                    return null;
                }

                c = s[j];
            }

            if (!IsQuotedText(c))
            {
                return null;
            }

            value.Append(c);
        }

        return null;
    }

    /// <summary>
    /// Reads RFC 9110 §5.6.6 <c>parameters</c> from <paramref name="i"/> to the end of <paramref name="s"/> (the
    /// media-type and Content-Disposition shape): names as sent, values unquoted.
    /// </summary>
    /// <returns><see langword="null"/> on success, else what is wrong (for an exception message).</returns>
    public static string? ReadParameters(string s, int i, List<KeyValuePair<string, string>> parameters)
    {
        var reader = new HttpParameterReader(s, i, HttpParameterRules.Rfc9110);
        while (reader.TryRead(out string name, out string? value))
        {
            Debug.Assert(value is not null, "RFC 9110 parameters always have a value");
            parameters.Add(new KeyValuePair<string, string>(name, value));
        }

        if (reader.Error is not null)
        {
            return reader.Error;
        }

        int end = reader.Position;
        return end == s.Length ? null : $"unexpected '{s[end]}' at offset {end}: parameters must be separated by ';'";
    }

    /// <summary>
    /// Splits a field line (RFC 9112 §5: <c>field-line = field-name ":" OWS field-value OWS</c>) and checks it, for
    /// the request head and trailer parser and the multipart part-header parser.
    /// </summary>
    /// <param name="line">The line without its CRLF; not empty (the empty line ends a section).</param>
    /// <param name="rejectBareCR">
    /// Whether a CR anywhere in the line is reported as <see cref="FieldLineError.BareCR"/> before the name and value
    /// checks (the request parser's line-ending rule). Otherwise a CR is caught by those checks as a non-token name
    /// byte or a control byte in the value.
    /// </param>
    /// <param name="name">The field name, as received.</param>
    /// <param name="value">The field value without surrounding OWS.</param>
    /// <param name="errorIndex">
    /// For <see cref="FieldLineError.InvalidName"/>, the index in <paramref name="name"/> of the first byte that is not
    /// a tchar (-1 when the name is empty); for <see cref="FieldLineError.InvalidValue"/>, the index in
    /// <paramref name="value"/> of the first refused byte; else -1.
    /// </param>
    /// <returns>What is wrong, checked in the order of <see cref="FieldLineError"/>; <see cref="FieldLineError.None"/> for a valid line.</returns>
    public static FieldLineError ParseFieldLine(
        ReadOnlySpan<byte> line,
        bool rejectBareCR,
        out ReadOnlySpan<byte> name,
        out ReadOnlySpan<byte> value,
        out int errorIndex)
    {
        Debug.Assert(!line.IsEmpty, "the empty line ends the section and is handled by the caller");
        name = default;
        value = default;
        errorIndex = -1;
        if (line[0] is ByteSpace or ByteTab)
        {
            // RFC 9112 §5.2: "A server that receives an obs-fold in a request message ... MUST either reject the
            // message by sending a 400 (Bad Request) ... or replace each received obs-fold with one or more SP octets";
            // §2.2: whitespace between the start-line and the first field line MUST be rejected or consumed. We reject.
            return FieldLineError.ObsoleteLineFolding;
        }

        if (rejectBareCR && line.Contains(ByteCR))
        {
            // RFC 9112 §2.2: "A sender MUST NOT generate a bare CR ... a recipient of such a bare CR MUST consider
            // that element to be invalid or replace each bare CR with SP"; we refuse.
            return FieldLineError.BareCR;
        }

        int colon = line.IndexOf(ByteColon);
        if (colon < 0)
        {
            return FieldLineError.MissingColon;
        }

        name = line[..colon];
        errorIndex = name.IndexOfAnyExcept(s_tokenBytes);
        if (name.IsEmpty || errorIndex >= 0)
        {
            // RFC 9112 §5.1: "A server MUST reject, with a response status code of 400 (Bad Request), any received
            // request message that contains whitespace between a header field name and colon." Whitespace is not a
            // tchar, so the token check covers it along with empty and non-token names.
            return FieldLineError.InvalidName;
        }

        value = TrimOws(line[(colon + 1)..]);
        errorIndex = value.IndexOfAnyExcept(s_fieldValueBytes);
        if (errorIndex >= 0)
        {
            // RFC 9110 §5.5: "Field values containing CR, LF, or NUL characters are invalid and dangerous ... a
            // recipient of CR, LF, or NUL within a field value MUST either reject the message or replace each of those
            // characters with SP"; other controls are not field-vchar either. We reject all but HTAB.
            return FieldLineError.InvalidValue;
        }

        return FieldLineError.None;
    }

    /// <summary>The protocol version as it appears on a start line.</summary>
    /// <returns><c>HTTP/1.1</c> or <c>HTTP/1.0</c>.</returns>
    public static string VersionText(HttpVersion version) => version == HttpVersion.Http10 ? "HTTP/1.0" : "HTTP/1.1";

    /// <summary>
    /// Writes a first line, the field lines and the empty line that ends the section, in one
    /// <see cref="IBufferWriter{T}.GetSpan"/>: a message head (a response's status line, the WebSocket client's
    /// request line) or the last chunk <c>0</c> with its trailer section (RFC 9112 §7.1.2).
    /// </summary>
    /// <param name="output">Where to write.</param>
    /// <param name="firstLine">The first line without its CRLF; its parts are validated by the caller.</param>
    /// <param name="fields">The fields, or <see langword="null"/> for none.</param>
    /// <exception cref="InvalidOperationException">A field cannot be written safely; nothing has been written.</exception>
    public static void WriteHead(IBufferWriter<byte> output, string firstLine, HttpHeaders? fields)
    {
        if (!IsFieldValue(firstLine))
        {
            ThrowInvalidField("The start line contains a character that is not allowed in a message head.");
        }

        // Validate everything before writing anything: a refused head must leave no partial bytes in the output.
        int count = fields?.Count ?? 0;
        int length = firstLine.Length + 2;
        for (int i = 0; i < count; i++)
        {
            var (name, value) = fields![i];
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

        // field-line = field-name ":" OWS field-value OWS; one SP after the colon, as senders conventionally write.
        Span<byte> span = output.GetSpan(length);
        int written = Encoding.Latin1.GetBytes(firstLine, span);
        written += WriteCrLf(span[written..]);
        for (int i = 0; i < count; i++)
        {
            var (name, value) = fields![i];
            written += Encoding.Latin1.GetBytes(name, span[written..]);
            span[written++] = ByteColon;
            span[written++] = ByteSpace;
            written += Encoding.Latin1.GetBytes(value, span[written..]);
            written += WriteCrLf(span[written..]);
        }

        written += WriteCrLf(span[written..]);
        Debug.Assert(written == length, $"Measured {length} bytes but wrote {written}.");
        output.Advance(written);
    }

    /// <summary>Visible ASCII except <c>#</c>: the bytes any request-target form may hold.</summary>
    public static bool IsTargetText(ReadOnlySpan<byte> value) => !value.IsEmpty && !value.ContainsAnyExcept(s_targetBytes);

    /// <summary>RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), followed by ":".</summary>
    public static bool StartsWithScheme(ReadOnlySpan<byte> target)
    {
        if (target.IsEmpty || !char.IsAsciiLetter((char)target[0]))
        {
            return false;
        }

        for (int i = 1; i < target.Length; i++)
        {
            byte b = target[i];
            if (b == (byte)':')
            {
                return true;
            }

            if (!char.IsAsciiLetterOrDigit((char)b) && b is not ((byte)'+' or (byte)'-' or (byte)'.'))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>RFC 9110 §7.2: Host = uri-host [ ":" port ], or empty when the target has no authority.</summary>
    public static bool IsValidHost(ReadOnlySpan<char> value) => value.IsEmpty || IsValidAuthority(value, requirePort: false);

    /// <summary>The authority-form of RFC 9112 §3.2.3 (<paramref name="requirePort"/>) or a Host value.</summary>
    public static bool IsValidAuthority(ReadOnlySpan<byte> value, bool requirePort)
    {
        Span<char> chars = value.Length <= 256 ? stackalloc char[value.Length] : new char[value.Length];
        for (int i = 0; i < value.Length; i++)
        {
            chars[i] = (char)value[i];
        }

        return IsValidAuthority(chars, requirePort);
    }

    /// <summary>uri-host [ ":" port ] with a non-empty host; a present ":" needs 1–5 digits up to 65535.</summary>
    /// <remarks>
    /// RFC 3986 allows an empty port after ":"; like Ktor we refuse it, since "host:" is more likely a truncation or a
    /// probe than a client's intent, and it costs nothing to a conforming client.
    /// </remarks>
    public static bool IsValidAuthority(ReadOnlySpan<char> value, bool requirePort)
    {
        ReadOnlySpan<char> port;
        if (value.StartsWith('['))
        {
            // RFC 3986 §3.2.2: IP-literal = "[" ( IPv6address / IPvFuture ) "]".
            int close = value.IndexOf(']');
            if (close < 2 || value[1..close].ContainsAnyExcept(s_ipLiteralChars))
            {
                return false;
            }

            var after = value[(close + 1)..];
            if (after.IsEmpty)
            {
                return !requirePort;
            }

            if (after[0] != ':')
            {
                return false;
            }

            port = after[1..];
        }
        else
        {
            int colon = value.IndexOf(':');
            var host = colon < 0 ? value : value[..colon];
            if (host.IsEmpty || !IsRegName(host))
            {
                return false;
            }

            if (colon < 0)
            {
                return !requirePort;
            }

            port = value[(colon + 1)..];
        }

        if (port.IsEmpty || port.Length > 5 || !port.ContainsOnlyAsciiDigits())
        {
            return false;
        }

        return int.Parse(port, System.Globalization.CultureInfo.InvariantCulture) <= 65535;
    }

    /// <summary>The value of a hex digit, or -1.</summary>
    public static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static bool ContainsOnlyAsciiDigits(this ReadOnlySpan<char> value)
    {
        foreach (char c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsRegName(ReadOnlySpan<char> host)
    {
        // RFC 3986 §3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims ); IPv4 addresses fit it too.
        for (int i = 0; i < host.Length; i++)
        {
            char c = host[i];
            if (c == '%')
            {
                if (i + 2 >= host.Length || !char.IsAsciiHexDigit(host[i + 1]) || !char.IsAsciiHexDigit(host[i + 2]))
                {
                    return false;
                }

                i += 2;
            }
            else if (!s_regNameChars.Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] BuildTargetBytes()
    {
        var allowed = new System.Collections.Generic.List<byte>();
        for (int b = 0x21; b <= 0x7E; b++)
        {
            if (b != '#')
            {
                allowed.Add((byte)b);
            }
        }

        return allowed.ToArray();
    }

    private static string FieldValueChars()
    {
        // RFC 9110 §5.5: field-vchar = VCHAR / obs-text, plus SP and HTAB inside the value: HTAB, 0x20–0x7E and
        // 0x80–0xFF. Everything else (CR, LF, NUL, other controls, DEL, and what Latin-1 cannot encode) is refused.
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

/// <summary>
/// Reads the members of a comma-separated list field value (RFC 9110 §5.6.1), trimmed of OWS, skipping empty members,
/// and not splitting inside quoted strings.
/// </summary>
internal ref struct HttpListReader
{
    private ReadOnlySpan<char> _rest;

    public HttpListReader(ReadOnlySpan<char> value) => _rest = value;

    public bool TryRead(out ReadOnlySpan<char> member)
    {
        while (!_rest.IsEmpty)
        {
            int end = FindComma(_rest);
            member = HttpSyntax.TrimOws(_rest[..end]);
            _rest = end < _rest.Length ? _rest[(end + 1)..] : default;
            if (!member.IsEmpty)
            {
                return true;
            }
        }

        member = default;
        return false;
    }

    private static int FindComma(ReadOnlySpan<char> value)
    {
        bool quoted = false;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (quoted)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                return i;
            }
        }

        return value.Length;
    }
}

/// <summary>The parameter grammars that <see cref="HttpParameterReader"/> reads.</summary>
internal enum HttpParameterRules
{
    /// <summary>
    /// RFC 9110 §5.6.6 (media types, Content-Disposition): <c>parameters = *( OWS ";" OWS [ parameter ] )</c>,
    /// <c>parameter = parameter-name "=" parameter-value</c>: empty parameters are skipped, no whitespace is allowed
    /// around <c>=</c>, and a value (token or quoted-string, possibly <c>""</c>) is required.
    /// </summary>
    Rfc9110,

    /// <summary>
    /// RFC 6455 §9.1 (Sec-WebSocket-Extensions): <c>extension-param = token [ "=" (token | quoted-string) ]</c>, with
    /// the implied whitespace of RFC 2616 that it was written against: OWS is allowed around <c>=</c>, the value is
    /// optional, and an empty parameter (<c>a;</c>, <c>a; ;b</c>) is malformed.
    /// </summary>
    Rfc6455Extension,
}

/// <summary>
/// Reads <c>*( OWS ";" OWS parameter )</c> one parameter at a time (RFC 9110 §5.6.6 or RFC 6455 §9.1, see
/// <see cref="HttpParameterRules"/>): names as sent, values unquoted. The caller decides what may follow the list.
/// </summary>
internal ref struct HttpParameterReader
{
    private const char CharSemicolon = ';';
    private const char CharEquals = '=';
    private const char CharQuote = '"';

    private readonly ReadOnlySpan<char> _text;
    private readonly HttpParameterRules _rules;
    private int _position;

    /// <summary>Starts reading at <paramref name="start"/>, where the first <c>;</c> (or OWS before it) is expected.</summary>
    public HttpParameterReader(ReadOnlySpan<char> text, int start, HttpParameterRules rules)
    {
        _text = text;
        _position = start;
        _rules = rules;
    }

    /// <summary>
    /// Once <see cref="TryRead"/> has returned <see langword="false"/> without <see cref="Error"/>: where the list ends,
    /// after its trailing OWS — the end of the text, or the first character that is not <c>;</c>.
    /// </summary>
    public readonly int Position => _position;

    /// <summary>What is wrong, once <see cref="TryRead"/> has returned <see langword="false"/> on a malformed parameter; else null.</summary>
    public string? Error { get; private set; }

    /// <summary>Reads the next parameter.</summary>
    /// <param name="name">The parameter name, a token.</param>
    /// <param name="value">The value, unquoted; null for a parameter without one (RFC 6455 rules only).</param>
    /// <returns><see langword="false"/> at the end of the list (see <see cref="Position"/>) or on an error (see <see cref="Error"/>).</returns>
    public bool TryRead(out string name, out string? value)
    {
        name = string.Empty;
        value = null;
        while (true)
        {
            HttpSyntax.SkipOws(_text, ref _position);
            if (_position == _text.Length || _text[_position] != CharSemicolon)
            {
                return false;
            }

            _position++;
            HttpSyntax.SkipOws(_text, ref _position);
            if (_rules == HttpParameterRules.Rfc9110 && (_position == _text.Length || _text[_position] == CharSemicolon))
            {
                // RFC 9110 §5.6.6: "[ parameter ]": empty parameters (e.g. a trailing ';') are allowed.
                continue;
            }

            return TryReadParameter(out name, out value);
        }
    }

    private bool TryReadParameter(out string name, out string? value)
    {
        value = null;
        name = HttpSyntax.ReadToken(_text, ref _position);
        if (name.Length == 0)
        {
            Error = _position < _text.Length
                ? $"unexpected '{_text[_position]}' at offset {_position}: a parameter name must be a token"
                : "a parameter name is missing at the end";
            return false;
        }

        int afterName = _position;
        if (_rules == HttpParameterRules.Rfc6455Extension)
        {
            HttpSyntax.SkipOws(_text, ref _position);
        }

        if (_position == _text.Length || _text[_position] != CharEquals)
        {
            if (_rules == HttpParameterRules.Rfc9110)
            {
                // RFC 9110 §5.6.6 has no whitespace around "=" and no parameter without a value.
                Error = $"parameter '{name}' has no '=' directly after its name";
                return false;
            }

            // RFC 6455 §9.1: a parameter without a value. The whitespace is left for the list's own OWS.
            _position = afterName;
            return true;
        }

        _position++;
        if (_rules == HttpParameterRules.Rfc6455Extension)
        {
            HttpSyntax.SkipOws(_text, ref _position);
        }

        if (_position < _text.Length && _text[_position] == CharQuote)
        {
            value = HttpSyntax.ReadQuotedString(_text, ref _position);
            if (value is null)
            {
                Error = $"parameter '{name}' has an unterminated or invalid quoted-string";
                return false;
            }
        }
        else
        {
            value = HttpSyntax.ReadToken(_text, ref _position);
            if (value.Length == 0)
            {
                Error = $"parameter '{name}' has no value (a token or a quoted-string)";
                return false;
            }
        }

        return true;
    }
}
