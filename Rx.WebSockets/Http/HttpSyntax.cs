using System.Buffers;
using System.Text;

namespace Rx.WebSockets.Http;

/// <summary>Character classes of RFC 9110 §5.6 and RFC 3986, shared by the HTTP parsers and writers.</summary>
internal static class HttpSyntax
{
    private const string TokenChars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    // RFC 3986 §2.3 unreserved and §2.2 sub-delims: what a reg-name may hold besides pct-encoded octets.
    private const string RegNameChars = "-._~!$&'()*+,;=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly SearchValues<byte> s_tokenBytes = SearchValues.Create(Encoding.ASCII.GetBytes(TokenChars));
    private static readonly SearchValues<char> s_tokenChars = SearchValues.Create(TokenChars);
    private static readonly SearchValues<char> s_regNameChars = SearchValues.Create(RegNameChars);
    private static readonly SearchValues<char> s_ipLiteralChars = SearchValues.Create(RegNameChars + ":");
    private static readonly SearchValues<byte> s_fieldValueExcluded = SearchValues.Create(BuildFieldValueExcluded());
    private static readonly SearchValues<byte> s_targetBytes = SearchValues.Create(BuildTargetBytes());

    /// <summary>RFC 9110 §5.6.2: token = 1*tchar.</summary>
    public static bool IsToken(ReadOnlySpan<byte> value) => !value.IsEmpty && !value.ContainsAnyExcept(s_tokenBytes);

    /// <summary>RFC 9110 §5.6.2: token = 1*tchar.</summary>
    public static bool IsToken(ReadOnlySpan<char> value) => !value.IsEmpty && !value.ContainsAnyExcept(s_tokenChars);

    /// <summary>Whether <paramref name="b"/> is a tchar.</summary>
    public static bool IsTokenByte(byte b) => s_tokenBytes.Contains(b);

    /// <summary>RFC 9110 §5.5: field-vchar, SP and HTAB; every control other than HTAB (and DEL) is refused.</summary>
    public static bool IsFieldValue(ReadOnlySpan<byte> value) => !value.ContainsAny(s_fieldValueExcluded);

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

    private static byte[] BuildFieldValueExcluded()
    {
        var excluded = new System.Collections.Generic.List<byte>();
        for (int b = 0; b < 0x20; b++)
        {
            if (b != '\t')
            {
                excluded.Add((byte)b);
            }
        }

        excluded.Add(0x7F);
        return excluded.ToArray();
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
            member = _rest[..end].Trim(" \t");
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
