using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;

namespace Rx.WebSockets.Http.Multipart;

/// <summary>
/// Finds and validates the <c>boundary</c> parameter of a <c>multipart/*</c> media type (RFC 2046 §5.1.1, RFC 7578 §4.1).
/// </summary>
public static class MultipartBoundary
{
    /// <summary>The longest boundary RFC 2046 §5.1.1 allows: 70 characters.</summary>
    public const int MaxLength = 70;

    private const string BoundaryParameter = "boundary";
    private const string MultipartType = "multipart";
    private const char CharSlash = '/';
    private const char CharSpace = ' ';

    // RFC 2046 §5.1.1: bchars := bcharsnospace / " "; bcharsnospace := DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_"
    //   / "," / "-" / "." / "/" / ":" / "=" / "?"
    private static readonly SearchValues<char> s_boundaryChars =
        SearchValues.Create(" '()+_,-./:=?0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>Gets the boundary of a <c>multipart/*</c> <c>Content-Type</c> value.</summary>
    /// <param name="contentType">The field value, e.g. <c>multipart/form-data; boundary="abc"</c>.</param>
    /// <param name="boundary">The boundary (unquoted, without the leading <c>--</c>), or null.</param>
    /// <returns><see langword="true"/> when the value is a <c>multipart/*</c> type with one valid boundary.</returns>
    public static bool TryParse(string? contentType, [NotNullWhen(true)] out string? boundary)
    {
        boundary = null;
        if (contentType is null)
        {
            return false;
        }

        return TryParseCore(contentType, out boundary) is null;
    }

    /// <summary>Gets the boundary of a <c>multipart/*</c> <c>Content-Type</c> value.</summary>
    /// <param name="contentType">The field value, e.g. <c>multipart/form-data; boundary="abc"</c>.</param>
    /// <returns>The boundary (unquoted, without the leading <c>--</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="contentType"/> is null.</exception>
    /// <exception cref="MultipartException">
    /// (<see cref="MultipartErrorKind.InvalidContentType"/>) The type is not <c>multipart/*</c>, the parameters are
    /// malformed, or the boundary is missing, repeated, empty, longer than 70 characters or uses characters outside
    /// RFC 2046's bchars.
    /// </exception>
    public static string Parse(string contentType)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        string? error = TryParseCore(contentType, out string? boundary);
        if (error is not null)
        {
            MultipartThrowHelper.ThrowInvalidContentType($"Invalid multipart Content-Type '{contentType}': {error}.");
        }

        return boundary!;
    }

    /// <summary>Gets the boundary from the request's <c>Content-Type</c> field.</summary>
    /// <param name="headers">The request headers.</param>
    /// <returns>The boundary.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="headers"/> is null.</exception>
    /// <exception cref="MultipartException">
    /// (<see cref="MultipartErrorKind.InvalidContentType"/>) <c>Content-Type</c> is missing, repeated, or rejected by
    /// <see cref="Parse(string)"/>.
    /// </exception>
    public static string FromRequestHeaders(HttpHeaders headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        int count = headers.CountOf("Content-Type");
        if (count == 0)
        {
            MultipartThrowHelper.ThrowInvalidContentType("The request has no Content-Type; a multipart body needs one with a boundary.");
        }

        if (count > 1)
        {
            // RFC 9110 §5.3: Content-Type is not a list, so two lines are ambiguous.
            MultipartThrowHelper.ThrowInvalidContentType("The request has more than one Content-Type field.");
        }

        return Parse(headers.Get("Content-Type")!);
    }

    /// <summary>Whether <paramref name="boundary"/> is a valid RFC 2046 boundary: 1–70 bchars, not ending in a space.</summary>
    /// <param name="boundary">The boundary, without the leading <c>--</c>.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValid(string? boundary) => boundary is not null && Validate(boundary) is null;

    private static string? Validate(string boundary)
    {
        // RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace
        if (boundary.Length == 0)
        {
            return "the boundary is empty";
        }

        if (boundary.Length > MaxLength)
        {
            return $"the boundary has {boundary.Length} characters; RFC 2046 allows at most {MaxLength}";
        }

        int bad = boundary.AsSpan().IndexOfAnyExcept(s_boundaryChars);
        if (bad >= 0)
        {
            return $"the boundary contains '{boundary[bad]}', which RFC 2046 does not allow";
        }

        if (boundary[^1] == CharSpace)
        {
            return "the boundary ends with a space, which RFC 2046 does not allow";
        }

        return null;
    }

    private static string? TryParseCore(string contentType, out string? boundary)
    {
        string? error = FindBoundary(contentType, out string? found);
        boundary = error is null ? found : null;
        return error;
    }

    private static string? FindBoundary(string contentType, out string? boundary)
    {
        boundary = null;

        // RFC 9110 §8.3.1: media-type = type "/" subtype parameters; "The type and subtype tokens are case-insensitive."
        int i = 0;
        HttpSyntax.SkipOws(contentType, ref i);
        string type = HttpSyntax.ReadToken(contentType, ref i);
        if (i == contentType.Length || contentType[i] != CharSlash)
        {
            return "expected a media type 'multipart/<subtype>'";
        }

        if (!string.Equals(type, MultipartType, StringComparison.OrdinalIgnoreCase))
        {
            return $"the media type is '{type}/...', not multipart/*";
        }

        i++;
        if (HttpSyntax.ReadToken(contentType, ref i).Length == 0)
        {
            return "the multipart subtype is missing";
        }

        var parameters = new List<KeyValuePair<string, string>>();
        string? error = HttpSyntax.ReadParameters(contentType, i, parameters);
        if (error is not null)
        {
            return error;
        }

        // Parameter names are case-insensitive (RFC 9110 §5.6.6).
        foreach (var parameter in parameters)
        {
            if (string.Equals(parameter.Key, BoundaryParameter, StringComparison.OrdinalIgnoreCase))
            {
                if (boundary is not null)
                {
                    // Two boundaries would let two parsers disagree about where parts are.
                    return "the boundary parameter appears more than once";
                }

                boundary = parameter.Value;
            }
        }

        if (boundary is null)
        {
            // RFC 2046 §5.1.1: "The Content-Type field for multipart entities requires one parameter, "boundary"."
            return "the boundary parameter is missing";
        }

        return Validate(boundary);
    }
}
