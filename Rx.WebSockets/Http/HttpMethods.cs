using System.Diagnostics.CodeAnalysis;

namespace Rx.WebSockets.Http;

/// <summary>
/// The request methods of RFC 9110 §9 and RFC 5789 (PATCH), as interned constants, and the byte lookup the parser
/// uses so that a known method costs no allocation.
/// </summary>
/// <remarks>
/// Methods are case-sensitive (RFC 9110 §9.1): <c>get</c> is a valid token but not <see cref="Get"/>; the parser
/// keeps it as an ordinary string and a router will not match it.
/// </remarks>
public static class HttpMethods
{
    /// <summary>The GET method (RFC 9110 §9.3.1).</summary>
    public const string Get = "GET";

    /// <summary>The HEAD method (RFC 9110 §9.3.2).</summary>
    public const string Head = "HEAD";

    /// <summary>The POST method (RFC 9110 §9.3.3).</summary>
    public const string Post = "POST";

    /// <summary>The PUT method (RFC 9110 §9.3.4).</summary>
    public const string Put = "PUT";

    /// <summary>The DELETE method (RFC 9110 §9.3.5).</summary>
    public const string Delete = "DELETE";

    /// <summary>The CONNECT method (RFC 9110 §9.3.6); its target is in authority-form (RFC 9112 §3.2.3).</summary>
    public const string Connect = "CONNECT";

    /// <summary>The OPTIONS method (RFC 9110 §9.3.7); the only one that may use the asterisk-form target (RFC 9112 §3.2.4).</summary>
    public const string Options = "OPTIONS";

    /// <summary>The TRACE method (RFC 9110 §9.3.8).</summary>
    public const string Trace = "TRACE";

    /// <summary>The PATCH method (RFC 5789).</summary>
    public const string Patch = "PATCH";

    /// <summary>Finds the constant for a known method token (case-sensitive).</summary>
    /// <param name="token">The method bytes as received.</param>
    /// <param name="method">The interned constant, or null when the token is not one of the known methods.</param>
    /// <returns><see langword="true"/> when <paramref name="token"/> is a known method.</returns>
    public static bool TryGetKnownMethod(ReadOnlySpan<byte> token, [NotNullWhen(true)] out string? method)
    {
        method = token.Length switch
        {
            3 when token.SequenceEqual("GET"u8) => Get,
            3 when token.SequenceEqual("PUT"u8) => Put,
            4 when token.SequenceEqual("POST"u8) => Post,
            4 when token.SequenceEqual("HEAD"u8) => Head,
            5 when token.SequenceEqual("PATCH"u8) => Patch,
            5 when token.SequenceEqual("TRACE"u8) => Trace,
            6 when token.SequenceEqual("DELETE"u8) => Delete,
            7 when token.SequenceEqual("OPTIONS"u8) => Options,
            7 when token.SequenceEqual("CONNECT"u8) => Connect,
            _ => null,
        };
        return method is not null;
    }
}
