using System.Collections.Generic;
using System.Text;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Protocol.Extensions;

/// <summary>
/// One element of the <c>Sec-WebSocket-Extensions</c> list (RFC 6455 §9.1): an extension name with its parameters,
/// such as one offer of a client (<c>permessage-deflate; client_max_window_bits</c>) or the server's answer to it.
/// Parses the header's grammar strictly and writes it canonically.
/// </summary>
/// <remarks>
/// <para>
/// The grammar (RFC 6455 §9.1, with the implied whitespace of RFC 2616 that it was written against):
/// <code>
/// Sec-WebSocket-Extensions = extension-list
/// extension-list = 1#extension
/// extension      = extension-token *( ";" extension-param )
/// extension-token = registered-token ; = token
/// extension-param = token [ "=" (token | quoted-string) ]
/// </code>
/// Optional whitespace is accepted around <c>,</c>, <c>;</c> and <c>=</c>; empty list elements (<c>a, , b</c>) are
/// skipped as RFC 9110 §5.6.1.2 requires of a recipient, but a list with no element at all is malformed (<c>1#</c>).
/// A quoted value must unescape to a token (RFC 6455 §9.1), so <c>x="10"</c> equals <c>x=10</c> and <c>x="a b"</c>
/// is malformed. Names are kept as received; compare them case-insensitively.
/// </para>
/// <para>
/// The header may be split over several field lines (RFC 6455 §9.1: "the |Sec-WebSocket-Extensions| header field MAY
/// appear multiple times in an HTTP request (which is logically the same as a single |Sec-WebSocket-Extensions|
/// header field that contains all values)"); <see cref="TryParseList(IEnumerable{string}, out IReadOnlyList{ExtensionHeader})"/>
/// reads them as one list, in order.
/// </para>
/// <para>Thread-safety: immutable.</para>
/// </remarks>
public sealed class ExtensionHeader
{
    /// <summary>The name of the header field, in requests and responses.</summary>
    public const string HeaderName = "Sec-WebSocket-Extensions";

    private const char CharComma = ',';
    private const char CharEquals = '=';
    private const string ParameterSeparator = "; ";
    private const string ElementSeparator = ", ";

    /// <summary>Creates an element.</summary>
    /// <param name="name">The extension name, a token (e.g. <c>permessage-deflate</c>).</param>
    /// <param name="parameters">Its parameters in order, or <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or one of the parameters is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a token.</exception>
    public ExtensionHeader(string name, IEnumerable<ExtensionParameter>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!HttpSyntax.IsToken(name))
        {
            throw new ArgumentException("An extension name must be a non-empty token (RFC 6455 §9.1).", nameof(name));
        }

        var list = new List<ExtensionParameter>();
        if (parameters is not null)
        {
            foreach (var parameter in parameters)
            {
                ArgumentNullException.ThrowIfNull(parameter, nameof(parameters));
                list.Add(parameter);
            }
        }

        Name = name;
        Parameters = list.AsReadOnly();
    }

    /// <summary>The extension name, as received.</summary>
    public string Name { get; }

    /// <summary>The parameters, in the order they appeared (duplicates kept: judging them is the extension's job).</summary>
    public IReadOnlyList<ExtensionParameter> Parameters { get; }

    /// <summary>Parses one field value of <c>Sec-WebSocket-Extensions</c>.</summary>
    /// <param name="fieldValue">The field value.</param>
    /// <param name="elements">The elements in order; empty when the value is malformed.</param>
    /// <returns><see langword="false"/> when the value does not match the RFC 6455 §9.1 grammar.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fieldValue"/> is null.</exception>
    public static bool TryParseList(string fieldValue, out IReadOnlyList<ExtensionHeader> elements)
    {
        ArgumentNullException.ThrowIfNull(fieldValue);
        return TryParseList([fieldValue], out elements);
    }

    /// <summary>Parses every field line of <c>Sec-WebSocket-Extensions</c> as one list.</summary>
    /// <param name="fieldValues">The field values, in the order the lines appeared.</param>
    /// <param name="elements">The elements in order; empty when a value is malformed.</param>
    /// <returns><see langword="false"/> when a line does not match the grammar or the lines hold no element at all.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fieldValues"/> or one of its values is null.</exception>
    public static bool TryParseList(IEnumerable<string> fieldValues, out IReadOnlyList<ExtensionHeader> elements)
    {
        ArgumentNullException.ThrowIfNull(fieldValues);
        var list = new List<ExtensionHeader>();
        elements = Array.Empty<ExtensionHeader>();
        foreach (var value in fieldValues)
        {
            ArgumentNullException.ThrowIfNull(value, nameof(fieldValues));
            if (!TryParseInto(value, list))
            {
                return false;
            }
        }

        // RFC 6455 §9.1: extension-list = 1#extension — at least one element; RFC 9110 §5.6.1.2: "Empty elements do
        // not contribute to the count of elements present."
        if (list.Count == 0)
        {
            return false;
        }

        elements = list.AsReadOnly();
        return true;
    }

    /// <summary>Writes a list as one field value: the elements joined by <c>", "</c>.</summary>
    /// <param name="elements">The elements.</param>
    /// <returns>The field value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="elements"/> is null.</exception>
    public static string FormatList(IEnumerable<ExtensionHeader> elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        return string.Join(ElementSeparator, elements);
    }

    /// <summary>The canonical wire form: <c>name; param; param=value</c>.</summary>
    /// <returns>The element as it appears in the header.</returns>
    public override string ToString()
    {
        if (Parameters.Count == 0)
        {
            return Name;
        }

        var builder = new StringBuilder(Name);
        foreach (var parameter in Parameters)
        {
            builder.Append(ParameterSeparator).Append(parameter.Name);
            if (parameter.Value is not null)
            {
                builder.Append(CharEquals).Append(parameter.Value);
            }
        }

        return builder.ToString();
    }

    private static bool TryParseInto(string s, List<ExtensionHeader> into)
    {
        int i = 0;
        while (true)
        {
            HttpSyntax.SkipOws(s, ref i);
            if (i == s.Length)
            {
                return true;
            }

            // RFC 9110 §5.6.1.2: "a recipient MUST parse and ignore a reasonable number of empty list elements".
            if (s[i] == CharComma)
            {
                i++;
                continue;
            }

            string name = HttpSyntax.ReadToken(s, ref i);
            if (name.Length == 0)
            {
                return false;
            }

            var parameters = new List<ExtensionParameter>();
            var reader = new HttpParameterReader(s, i, HttpParameterRules.Rfc6455Extension);
            while (reader.TryRead(out string parameterName, out string? value))
            {
                // RFC 6455 §9.1: "the value after quoted-string unescaping MUST conform to the 'token' ABNF."
                if (value is not null && !HttpSyntax.IsToken(value))
                {
                    return false;
                }

                parameters.Add(new ExtensionParameter(parameterName, value));
            }

            if (reader.Error is not null)
            {
                return false;
            }

            i = reader.Position;
            into.Add(new ExtensionHeader(name, parameters));
            if (i < s.Length)
            {
                // Anything but a list separator after an element (a second token, a stray '=' or quote) is malformed.
                if (s[i] != CharComma)
                {
                    return false;
                }

                i++;
            }
        }
    }
}
