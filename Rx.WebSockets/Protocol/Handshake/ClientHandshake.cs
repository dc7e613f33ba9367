using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Protocol.Handshake;

/// <summary>
/// The client side of the opening handshake (RFC 6455 §4.1): builds and writes the upgrade request and validates
/// the server's response. Used by tests and interop peers today, and by a future client entry point.
/// </summary>
/// <remarks>Thread-safety: stateless.</remarks>
public static class ClientHandshake
{
    private const string UpgradeWebSocket = "websocket";
    private const string ConnectionUpgrade = "Upgrade";

    /// <summary>
    /// Builds an opening handshake request, with its fields in the order of the RFC 6455 §1.2 example:
    /// <c>Host</c>, <c>Upgrade</c>, <c>Connection</c>, <c>Sec-WebSocket-Key</c>, <c>Origin</c>,
    /// <c>Sec-WebSocket-Protocol</c>, <c>Sec-WebSocket-Version</c>.
    /// </summary>
    /// <param name="host">The <c>Host</c> value: host, plus <c>:port</c> when not the default port.</param>
    /// <param name="target">The resource name in origin-form, e.g. <c>/chat?room=1</c>.</param>
    /// <param name="key">The <c>Sec-WebSocket-Key</c>, normally from <see cref="HandshakeKeys.CreateKey()"/>.</param>
    /// <param name="subProtocols">The subprotocols to offer, most preferred first; null or empty for none.</param>
    /// <param name="origin">The <c>Origin</c> to send, or null for none (non-browser clients).</param>
    /// <returns>The request head, ready for <see cref="Write"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="host"/>, <paramref name="target"/> or <paramref name="key"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="key"/> is not a valid key; <paramref name="host"/>, <paramref name="target"/> or
    /// <paramref name="origin"/> is empty or contains spaces or control characters; <paramref name="target"/> does
    /// not start with <c>/</c>; a subprotocol is not a token or is repeated.
    /// </exception>
    public static HttpRequestHead CreateRequest(string host, string target, string key, IEnumerable<string>? subProtocols = null, string? origin = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(key);

        // RFC 6455 §4.1 item 4: "The request MUST contain a |Host| header field whose value contains /host/ plus
        // optionally ":" followed by /port/".
        if (!IsVisibleAscii(host))
        {
            throw new ArgumentException("The host must be non-empty visible ASCII (punycode for international names).", nameof(host));
        }

        // RFC 6455 §4.1 item 3: the Request-URI "MUST match the /resource name/ defined in Section 3 (a relative URI)".
        if (!IsVisibleAscii(target) || target[0] != '/')
        {
            throw new ArgumentException("The target must be an origin-form resource name such as /chat, in visible ASCII.", nameof(target));
        }

        // RFC 6455 §4.1 item 7: "a nonce consisting of a randomly selected 16-byte value that has been base64-encoded".
        if (!HandshakeKeys.IsValidKey(key))
        {
            throw new ArgumentException("The key must be the base64 of 16 bytes (see HandshakeKeys.CreateKey).", nameof(key));
        }

        if (origin is not null && !IsVisibleAscii(origin))
        {
            throw new ArgumentException("The origin must be non-empty visible ASCII, e.g. https://example.com.", nameof(origin));
        }

        var headers = new HttpHeaders()
            .Add("Host", host)
            .Add("Upgrade", UpgradeWebSocket)
            .Add("Connection", ConnectionUpgrade)
            .Add("Sec-WebSocket-Key", key);
        if (origin is not null)
        {
            headers.Add("Origin", origin);
        }

        string? offered = JoinSubProtocols(subProtocols);
        if (offered is not null)
        {
            headers.Add(SubProtocolNegotiation.HeaderName, offered);
        }

        // RFC 6455 §4.1 item 9: "The value of this header field MUST be 13."
        headers.Add("Sec-WebSocket-Version", ServerHandshake.SupportedVersion);
        return new HttpRequestHead("GET", target, HttpVersion.Http11, headers);
    }

    /// <summary>Writes a request head: the request line, the header fields and the empty line.</summary>
    /// <param name="request">The request, e.g. from <see cref="CreateRequest"/>.</param>
    /// <param name="output">Where to write.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The method is not a token, the target is empty or contains spaces or control characters, or a field cannot
    /// be written safely (see <see cref="HttpResponseHead.Write"/>). Nothing has been written in that case.
    /// </exception>
    public static void Write(HttpRequestHead request, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);

        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version. A space or CR/LF in the target
        // would let it rewrite the request line or add fields.
        if (!HttpSyntax.IsToken(request.Method) || !IsVisibleAscii(request.Target))
        {
            throw new InvalidOperationException("The request method must be a token and the target non-empty visible ASCII.");
        }

        HttpSyntax.WriteHead(output, $"{request.Method} {request.Target} {HttpSyntax.VersionText(request.Version)}", request.Headers);
    }

    /// <summary>Validates the server's answer to a handshake sent with <paramref name="key"/> (RFC 6455 §4.1).</summary>
    /// <param name="statusCode">The response's status code.</param>
    /// <param name="headers">The response's header fields.</param>
    /// <param name="key">The <c>Sec-WebSocket-Key</c> that the request carried.</param>
    /// <param name="offeredSubProtocols">The subprotocols the request offered, or null for none.</param>
    /// <param name="subProtocol">The subprotocol the server selected, or null (the RFC's "Subprotocol In Use").</param>
    /// <exception cref="ArgumentNullException"><paramref name="headers"/> or <paramref name="key"/> is null.</exception>
    /// <exception cref="HandshakeRejectedException">
    /// The status is not 101 (<see cref="HandshakeRejectedException.StatusCode"/> is that status), or the 101
    /// response fails a check of RFC 6455 §4.1 (status 101): <c>Upgrade</c> is not <c>websocket</c>,
    /// <c>Connection</c> lacks <c>Upgrade</c>, <c>Sec-WebSocket-Accept</c> is missing, repeated or wrong, an
    /// extension was not offered, or the subprotocol was not offered.
    /// </exception>
    public static void ValidateResponse(int statusCode, HttpHeaders headers, string key, IReadOnlyList<string>? offeredSubProtocols, out string? subProtocol)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(key);
        subProtocol = null;

        // RFC 6455 §4.1 step 1: "If the status code received from the server is not 101, the client handles the
        // response per HTTP [RFC2616] procedures." For this client that means: no WebSocket connection.
        if (statusCode != HttpStatus.SwitchingProtocols)
        {
            ThrowRejected(statusCode, $"The server answered the WebSocket handshake with status {statusCode} instead of 101.");
        }

        // RFC 6455 §4.1 step 2: "If the response lacks an |Upgrade| header field or the |Upgrade| header field
        // contains a value that is not an ASCII case-insensitive match for the value "websocket", the client MUST
        // _Fail the WebSocket Connection_." Any other protocol next to websocket is such a value.
        int upgradeElements = 0;
        foreach (var element in headers.GetListElements("Upgrade"))
        {
            upgradeElements++;
            if (!string.Equals(element, UpgradeWebSocket, StringComparison.OrdinalIgnoreCase))
            {
                ThrowRejected(statusCode, "The 101 response upgrades to a protocol other than websocket.");
            }
        }

        if (upgradeElements == 0)
        {
            ThrowRejected(statusCode, "The 101 response lacks \"Upgrade: websocket\".");
        }

        // RFC 6455 §4.1 step 3: "If the response lacks a |Connection| header field or the |Connection| header field
        // doesn't contain a token that is an ASCII case-insensitive match for the value "Upgrade", the client MUST
        // _Fail the WebSocket Connection_."
        if (!headers.ContainsToken("Connection", ConnectionUpgrade))
        {
            ThrowRejected(statusCode, "The 101 response lacks the \"Upgrade\" token in Connection.");
        }

        // RFC 6455 §4.1 step 4: the accept value must be "the base64-encoded SHA-1 of the concatenation of the
        // |Sec-WebSocket-Key| (as a string, not base64-decoded) with the string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        // but ignoring any leading and trailing whitespace". §11.3.3: it "MUST NOT appear more than once".
        if (headers.CountOf("Sec-WebSocket-Accept") != 1)
        {
            ThrowRejected(statusCode, "The 101 response must carry exactly one Sec-WebSocket-Accept.");
        }

        string accept = headers.Get("Sec-WebSocket-Accept")!.Trim();
        if (!string.Equals(accept, HandshakeKeys.ComputeAccept(key), StringComparison.Ordinal))
        {
            ThrowRejected(statusCode, "The Sec-WebSocket-Accept of the 101 response does not match the key sent.");
        }

        // RFC 6455 §4.1 step 5: "If the response includes a |Sec-WebSocket-Extensions| header field and this header
        // field indicates the use of an extension that was not present in the client's handshake ... the client
        // MUST _Fail the WebSocket Connection_." This client offers no extension, so any is one it did not offer.
        if (headers.GetListElements("Sec-WebSocket-Extensions").Any())
        {
            ThrowRejected(statusCode, "The 101 response selects an extension that was not offered.");
        }

        subProtocol = ValidateSubProtocol(statusCode, headers, offeredSubProtocols);
    }

    private static string? ValidateSubProtocol(int statusCode, HttpHeaders headers, IReadOnlyList<string>? offeredSubProtocols)
    {
        int lines = headers.CountOf(SubProtocolNegotiation.HeaderName);
        if (lines == 0)
        {
            return null;
        }

        // RFC 6455 §11.3.4: "the |Sec-WebSocket-Protocol| header field MUST NOT appear more than once in an HTTP
        // response", and §4.2.2 /subprotocol/ is "a single value" whose ABNF is (token): no list, not empty.
        string selected = headers.Get(SubProtocolNegotiation.HeaderName)!;
        if (lines > 1 || !HttpSyntax.IsToken(selected))
        {
            ThrowRejected(statusCode, "The 101 response must name at most one subprotocol, as a single token.");
        }

        // RFC 6455 §4.1 step 6: "If the response includes a |Sec-WebSocket-Protocol| header field and this header
        // field indicates the use of a subprotocol that was not present in the client's handshake ... the client
        // MUST _Fail the WebSocket Connection_."
        if (offeredSubProtocols is not null)
        {
            foreach (var offered in offeredSubProtocols)
            {
                if (string.Equals(offered, selected, StringComparison.Ordinal))
                {
                    return selected;
                }
            }
        }

        ThrowRejected(statusCode, "The 101 response selects a subprotocol that was not offered.");
        return null;
    }

    private static string? JoinSubProtocols(IEnumerable<string>? subProtocols)
    {
        if (subProtocols is null)
        {
            return null;
        }

        var list = new List<string>();
        foreach (var protocol in subProtocols)
        {
            // RFC 6455 §4.1 item 10: "The elements that comprise this value MUST be non-empty strings with characters
            // in the range U+0021 to U+007E not including separator characters as defined in [RFC2616] and MUST all
            // be unique strings."
            if (protocol is null || !HttpSyntax.IsToken(protocol))
            {
                throw new ArgumentException("Each subprotocol must be a non-empty token (no spaces, commas or separators).", nameof(subProtocols));
            }

            if (list.Contains(protocol, StringComparer.Ordinal))
            {
                throw new ArgumentException($"The subprotocol '{protocol}' is offered twice.", nameof(subProtocols));
            }

            list.Add(protocol);
        }

        return list.Count == 0 ? null : string.Join(", ", list);
    }

    private static bool IsVisibleAscii(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    [DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowRejected(int statusCode, string message) => throw new HandshakeRejectedException(statusCode, message);
}
