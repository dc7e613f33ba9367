using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Rx.WebSockets.Http.Multipart;

/// <summary>
/// A parsed <c>Content-Disposition</c> field value (RFC 6266 §4.1, as used by RFC 7578 §4.2 for form-data parts):
/// the disposition type and its parameters, with <c>filename*</c> (RFC 8187) decoded.
/// </summary>
/// <remarks>
/// Values are returned exactly as sent (after quoted-string unescaping): file names are not sanitised, paths are not
/// stripped. A caller that stores files must do that itself. Thread-safety: immutable.
/// </remarks>
public sealed class ContentDisposition
{
    private const string FormDataType = "form-data";
    private const string NameParameter = "name";
    private const string FileNameParameter = "filename";
    private const string FileNameStarParameter = "filename*";
    private const char CharQuote = '\'';
    private const char CharPercent = '%';

    // RFC 8187 §3.2.1: attr-char = ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    private static readonly SearchValues<char> s_attrChars =
        SearchValues.Create("!#$&+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ContentDisposition(string type, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        Type = type;
        Parameters = parameters;
        Name = GetParameter(NameParameter);
        string? plain = GetParameter(FileNameParameter);
        string? extended = GetParameter(FileNameStarParameter);
        FileNameExtended = extended is null ? null : DecodeExtValue(extended);

        // RFC 6266 §4.3: "when both "filename" and "filename*" are present ... recipients SHOULD pick "filename*""
        FileName = FileNameExtended ?? plain;
    }

    /// <summary>The disposition type as sent, e.g. <c>form-data</c>, <c>attachment</c> (compare case-insensitively).</summary>
    public string Type { get; }

    /// <summary>Whether <see cref="Type"/> is <c>form-data</c> (case-insensitive).</summary>
    public bool IsFormData => string.Equals(Type, FormDataType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The <c>name</c> parameter (the form field name, RFC 7578 §4.2), or null when absent.</summary>
    public string? Name { get; }

    /// <summary>
    /// The file name: the decoded <c>filename*</c> when present and decodable, else the <c>filename</c> parameter as
    /// sent, else null. An empty <c>filename=""</c> (a file input with no file chosen) is returned as the empty
    /// string, distinct from absent.
    /// </summary>
    public string? FileName { get; }

    /// <summary>
    /// The decoded <c>filename*</c> parameter (RFC 8187 ext-value, UTF-8 or ISO-8859-1), or null when absent or not
    /// decodable (unknown charset, bad percent-encoding, invalid UTF-8).
    /// </summary>
    /// <remarks>RFC 7578 §4.2 says form-data senders MUST NOT use <c>filename*</c>; other multipart types and responses do.</remarks>
    public string? FileNameExtended { get; }

    /// <summary>Every parameter in order: names as sent, values unquoted (a <c>*</c> parameter's value is not decoded here).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; }

    /// <summary>Parses a <c>Content-Disposition</c> field value.</summary>
    /// <param name="value">The field value, e.g. <c>form-data; name="a"; filename="x.txt"</c>.</param>
    /// <returns>The parsed value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="MultipartException">
    /// (<see cref="MultipartErrorKind.Malformed"/>) The value does not match RFC 6266's grammar, or a parameter appears twice.
    /// </exception>
    public static ContentDisposition Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string? error = TryParseCore(value, out var result);
        if (error is not null)
        {
            MultipartThrowHelper.ThrowMalformed($"Invalid Content-Disposition '{value}': {error}.");
        }

        return result!;
    }

    /// <summary>Parses a <c>Content-Disposition</c> field value.</summary>
    /// <param name="value">The field value.</param>
    /// <param name="result">The parsed value, or null.</param>
    /// <returns><see langword="true"/> when the value is valid.</returns>
    public static bool TryParse(string? value, [NotNullWhen(true)] out ContentDisposition? result)
    {
        result = null;
        return value is not null && TryParseCore(value, out result) is null;
    }

    /// <summary>The value of the parameter named <paramref name="name"/> (case-insensitive), unquoted, or null.</summary>
    /// <param name="name">The parameter name, e.g. <c>name</c>.</param>
    /// <returns>The value, or null when absent.</returns>
    public string? GetParameter(string name)
    {
        foreach (var parameter in Parameters)
        {
            if (string.Equals(parameter.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return parameter.Value;
            }
        }

        return null;
    }

    private static string? TryParseCore(string value, out ContentDisposition? result)
    {
        result = null;

        // RFC 6266 §4.1: content-disposition = "Content-Disposition" ":" disposition-type *( ";" disposition-parm )
        int i = 0;
        HttpSyntax.SkipOws(value, ref i);
        string type = HttpSyntax.ReadToken(value, ref i);
        if (type.Length == 0)
        {
            return "the disposition type must be a token";
        }

        var parameters = new List<KeyValuePair<string, string>>();
        string? error = HttpSyntax.ReadParameters(value, i, parameters);
        if (error is not null)
        {
            return error;
        }

        for (int a = 0; a < parameters.Count; a++)
        {
            for (int b = a + 1; b < parameters.Count; b++)
            {
                if (string.Equals(parameters[a].Key, parameters[b].Key, StringComparison.OrdinalIgnoreCase))
                {
                    // RFC 6266 §4.1: "Content-Disposition header field values with multiple instances of the same
                    // parameter name are invalid."
                    return $"the parameter '{parameters[a].Key}' appears more than once";
                }
            }
        }

        result = new ContentDisposition(type, parameters.AsReadOnly());
        return null;
    }

    /// <summary>Decodes an RFC 8187 §3.2 ext-value: <c>charset "'" [ language ] "'" value-chars</c>.</summary>
    private static string? DecodeExtValue(string extValue)
    {
        int firstQuote = extValue.IndexOf(CharQuote, StringComparison.Ordinal);
        int secondQuote = firstQuote < 0 ? -1 : extValue.IndexOf(CharQuote, firstQuote + 1);
        if (secondQuote < 0)
        {
            return null;
        }

        // RFC 8187 §3.2.1: "Recipients are required to support ... "UTF-8" and "ISO-8859-1"" (charset is case-insensitive).
        string charset = extValue[..firstQuote];
        Encoding encoding;
        if (string.Equals(charset, "UTF-8", StringComparison.OrdinalIgnoreCase))
        {
            encoding = s_strictUtf8;
        }
        else if (string.Equals(charset, "ISO-8859-1", StringComparison.OrdinalIgnoreCase))
        {
            encoding = Encoding.Latin1;
        }
        else
        {
            return null;
        }

        var valueChars = extValue.AsSpan(secondQuote + 1);
        var bytes = new byte[valueChars.Length];
        int length = 0;
        for (int i = 0; i < valueChars.Length; i++)
        {
            char c = valueChars[i];
            if (c == CharPercent)
            {
                if (i + 2 >= valueChars.Length || !char.IsAsciiHexDigit(valueChars[i + 1]) || !char.IsAsciiHexDigit(valueChars[i + 2]))
                {
                    return null;
                }

                // Both are ASCII hex digits now, so the casts to byte lose nothing.
                bytes[length++] = (byte)((HttpSyntax.HexValue((byte)valueChars[i + 1]) << 4) | HttpSyntax.HexValue((byte)valueChars[i + 2]));
                i += 2;
            }
            else if (s_attrChars.Contains(c))
            {
                bytes[length++] = (byte)c;
            }
            else
            {
                return null;
            }
        }

        try
        {
            return encoding.GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
