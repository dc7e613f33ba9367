using System.Collections.Generic;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Protocol.Handshake;

/// <summary>Subprotocol selection (RFC 6455 §4.2.2 /subprotocol/, §11.3.4).</summary>
/// <remarks>
/// The server's order of preference wins over the client's: the server knows which of its protocols are
/// current, and RFC 6455 leaves the choice to it. Names compare case-sensitively, because a client checks the
/// echoed value against what it offered byte for byte (§4.1 step 6), so echoing "Chat" for an offered "chat"
/// would fail the connection.
/// </remarks>
internal static class SubProtocolNegotiation
{
    /// <summary>The request field that lists the client's subprotocols, and the response field that names the choice.</summary>
    public const string HeaderName = "Sec-WebSocket-Protocol";

    /// <summary>Picks the first of <paramref name="serverPreferences"/> that the client offered.</summary>
    /// <param name="serverPreferences">The server's subprotocols, most preferred first.</param>
    /// <param name="requestHeaders">The request's header fields; every <c>Sec-WebSocket-Protocol</c> line counts.</param>
    /// <returns>The selected subprotocol, or null when there is none in common.</returns>
    public static string? Select(IEnumerable<string> serverPreferences, HttpHeaders requestHeaders)
    {
        // RFC 6455 §11.3.4: "The |Sec-WebSocket-Protocol| header field MAY appear multiple times in an HTTP request
        // (which is logically the same as a single |Sec-WebSocket-Protocol| header field that contains all values)."
        if (!requestHeaders.Contains(HeaderName))
        {
            return null;
        }

        foreach (var candidate in serverPreferences)
        {
            foreach (var offered in requestHeaders.GetListElements(HeaderName))
            {
                // RFC 6455 §4.2.2: "The value chosen MUST be derived from the client's handshake, specifically by
                // selecting one of the values from the |Sec-WebSocket-Protocol| field that the server is willing
                // to use for this connection (if any)."
                if (string.Equals(candidate, offered, StringComparison.Ordinal))
                {
                    return candidate;
                }
            }
        }

        // RFC 6455 §4.2.2: "if the server does not wish to agree to one of the suggested subprotocols, it MUST NOT
        // send back a |Sec-WebSocket-Protocol| header field in its response".
        return null;
    }
}
