using System.Buffers;
using System.Collections.Generic;
using System.Text;

namespace Rx.WebSockets.Http.Multipart;

/// <summary>
/// The RFC 9110 §5.6 value grammar shared by <c>Content-Type</c> and <c>Content-Disposition</c>: tokens,
/// quoted-strings and <c>;</c>-separated parameters (§5.6.6).
/// </summary>
internal static class HeaderValueSyntax
{
    private const char CharSpace = ' ';
    private const char CharTab = '\t';
    private const char CharQuote = '"';
    private const char CharBackslash = '\\';
    private const char CharSemicolon = ';';
    private const char CharEquals = '=';

    // RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static readonly SearchValues<char> s_tokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>The same set as bytes, for the part-header field-name check.</summary>
    public static readonly SearchValues<byte> TokenBytes =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>Whether <paramref name="c"/> is an RFC 9110 tchar.</summary>
    public static bool IsTokenChar(char c) => s_tokenChars.Contains(c);

    /// <summary>Skips optional whitespace (SP / HTAB).</summary>
    public static void SkipOws(string s, ref int i)
    {
        while (i < s.Length && (s[i] == CharSpace || s[i] == CharTab))
        {
            i++;
        }
    }

    /// <summary>Reads a run of tchar (possibly empty).</summary>
    public static string ReadToken(string s, ref int i)
    {
        int start = i;
        int end = s.AsSpan(i).IndexOfAnyExcept(s_tokenChars);
        i = end < 0 ? s.Length : i + end;
        return s[start..i];
    }

    /// <summary>
    /// Reads a quoted-string at <paramref name="i"/> (which is at the opening quote) and unescapes its quoted-pairs.
    /// </summary>
    /// <returns>Null when it is unterminated or holds a control character.</returns>
    public static string? ReadQuotedString(string s, ref int i)
    {
        // RFC 9110 §5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE;
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
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

            if (!IsQuotedTextChar(c))
            {
                return null;
            }

            value.Append(c);
        }

        return null;
    }

    /// <summary>
    /// Reads <c>*( OWS ";" OWS [ parameter ] )</c> to the end of <paramref name="s"/> (RFC 9110 §5.6.6), where
    /// <c>parameter = token "=" ( token / quoted-string )</c>; names are returned as sent, values unquoted.
    /// </summary>
    /// <returns>Null on success, else what is wrong.</returns>
    public static string? ReadParameters(string s, int i, List<KeyValuePair<string, string>> parameters)
    {
        while (true)
        {
            SkipOws(s, ref i);
            if (i == s.Length)
            {
                return null;
            }

            if (s[i] != CharSemicolon)
            {
                return $"unexpected '{s[i]}' at offset {i}: parameters must be separated by ';'";
            }

            i++;
            SkipOws(s, ref i);
            if (i == s.Length || s[i] == CharSemicolon)
            {
                // The grammar's "[ parameter ]": empty parameters (e.g. a trailing ';') are allowed.
                continue;
            }

            string name = ReadToken(s, ref i);
            if (name.Length == 0)
            {
                return $"unexpected '{s[i]}' at offset {i}: a parameter name must be a token";
            }

            // RFC 9110 §5.6.6 has no whitespace around "=".
            if (i == s.Length || s[i] != CharEquals)
            {
                return $"parameter '{name}' has no '=' directly after its name";
            }

            i++;
            string? value;
            if (i < s.Length && s[i] == CharQuote)
            {
                value = ReadQuotedString(s, ref i);
                if (value is null)
                {
                    return $"parameter '{name}' has an unterminated or invalid quoted-string";
                }
            }
            else
            {
                value = ReadToken(s, ref i);
                if (value.Length == 0)
                {
                    return $"parameter '{name}' has no value (a token or a quoted-string)";
                }
            }

            parameters.Add(new KeyValuePair<string, string>(name, value));
        }
    }

    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; the quote and backslash are handled by the caller.
    // Part header values arrive decoded from UTF-8, so obs-text shows up as any char above U+007F.
    private static bool IsQuotedTextChar(char c) => c == CharTab || (c >= CharSpace && c != '\x7F');
}
