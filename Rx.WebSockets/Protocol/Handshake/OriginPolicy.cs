using System.Collections.Generic;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Protocol.Handshake;

/// <summary>
/// The origin check of the opening handshake (RFC 6455 §4.2.2 /origin/, §10.2): protection against cross-site
/// WebSocket hijacking.
/// </summary>
/// <remarks>
/// <para>
/// The threat: a browser attaches the user's cookies (and HTTP authentication) to a WebSocket handshake whatever page
/// starts it, and WebSockets are not subject to CORS. Without an origin check, a script on any site the user visits
/// can open an authenticated connection to this server and read and write the user's data. Browsers always send
/// <c>Origin</c> and scripts cannot forge it, so an allow-list stops that attack.
/// </para>
/// <para>
/// Matching is exact on the ASCII serialization <c>scheme://host[:port]</c>, case-insensitive (§4.2.2: "The origin
/// is serialized to ASCII and converted to lowercase"). No normalization: browsers omit the default port, so list
/// <c>https://example.com</c>, not <c>https://example.com:443</c>; <c>null</c> (sandboxed frames, <c>file:</c> pages)
/// matches only if listed. <c>*</c> in the list allows any origin.
/// </para>
/// <para>
/// A request without <c>Origin</c> is allowed even with an allow-list: §4.2.1 says "A connection attempt lacking
/// this header field SHOULD NOT be interpreted as coming from a browser client", and the check defends browser
/// users only; a non-browser client can send any Origin it likes (§10.1), so refusing it the header would add
/// no security and break command-line and server-to-server clients. Authenticate those by other means.
/// </para>
/// </remarks>
internal static class OriginPolicy
{
    /// <summary>The allow-list entry that allows every origin.</summary>
    public const string AnyOrigin = "*";

    /// <summary>Whether the request's origin is allowed by <paramref name="allowedOrigins"/>.</summary>
    /// <param name="headers">The request's header fields.</param>
    /// <param name="allowedOrigins">The allow-list (<see cref="WebSocketOptions.AllowedOrigins"/>); empty allows all.</param>
    /// <returns><see langword="true"/> when the handshake may proceed.</returns>
    public static bool IsAllowed(HttpHeaders headers, IList<string> allowedOrigins)
    {
        if (allowedOrigins.Count == 0 || allowedOrigins.Contains(AnyOrigin))
        {
            return true;
        }

        switch (headers.CountOf("Origin"))
        {
            case 0:
                return true;
            case 1:
                break;
            default:
                // RFC 6454 §7.3: "The user agent MUST NOT include more than one Origin header field in any HTTP
                // request." Two lines did not come from a conforming browser, and picking either could be wrong.
                return false;
        }

        string origin = headers.Get("Origin")!;
        foreach (var allowed in allowedOrigins)
        {
            if (string.Equals(origin, allowed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
