using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Rx.WebSockets.Http;
using Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;

namespace Rx.WebSockets.Protocol.Handshake;

/// <summary>
/// The server's answer to an opening handshake (RFC 6455 §4.2.2): either a 101 head that switches the connection
/// to WebSocket, or a complete rejection response (head and short text body) after which the connection closes.
/// </summary>
/// <remarks>
/// The I/O layer writes <see cref="Response"/> then <see cref="ResponseBody"/> (or calls <see cref="Write"/>); when
/// <see cref="IsAccepted"/> it then hands the connection to a session, otherwise it closes the connection once the
/// bytes are sent. Thread-safety: immutable once created (do not change <see cref="Response"/>'s headers while
/// sharing the result).
/// </remarks>
public sealed class HandshakeResult
{
    private HandshakeResult(bool isAccepted, HttpResponseHead response, ReadOnlyMemory<byte> responseBody, string? subProtocol, string? rejectionReason, PerMessageDeflateParameters? perMessageDeflate = null)
    {
        PerMessageDeflate = perMessageDeflate;
        Extensions = perMessageDeflate is null ? Array.Empty<string>() : [perMessageDeflate.ToString()];
        IsAccepted = isAccepted;
        Response = response;
        ResponseBody = responseBody;
        SubProtocol = subProtocol;
        RejectionReason = rejectionReason;
    }

    /// <summary>Whether the handshake succeeded and <see cref="Response"/> is the 101 head.</summary>
    public bool IsAccepted { get; }

    /// <summary>
    /// The head to send: 101 with <c>Upgrade</c>, <c>Connection</c>, <c>Sec-WebSocket-Accept</c> and the optional
    /// <c>Sec-WebSocket-Protocol</c>; or the rejection status with <c>Content-Type</c>, <c>Content-Length</c> and
    /// <c>Connection: close</c> (plus <c>Allow</c> for 405, <c>Upgrade</c> and <c>Sec-WebSocket-Version: 13</c> for 426).
    /// </summary>
    public HttpResponseHead Response { get; }

    /// <summary>The HTTP status code of <see cref="Response"/>.</summary>
    public int StatusCode => Response.StatusCode;

    /// <summary>The body that follows a rejection head (UTF-8 text, as long as its <c>Content-Length</c>); empty for 101.</summary>
    public ReadOnlyMemory<byte> ResponseBody { get; }

    /// <summary>The selected subprotocol (RFC 6455 §4.2.2 /subprotocol/), or null when none was selected.</summary>
    public string? SubProtocol { get; }

    /// <summary>The extensions in use, as answered in <c>Sec-WebSocket-Extensions</c> (RFC 6455 §9.1); empty when none.</summary>
    public IReadOnlyList<string> Extensions { get; }

    /// <summary>The agreed permessage-deflate parameters (RFC 7692), or null when compression is not in use.</summary>
    public PerMessageDeflateParameters? PerMessageDeflate { get; }

    /// <summary>Why the handshake was refused, for logs (it never echoes request values); null when accepted.</summary>
    public string? RejectionReason { get; }

    /// <summary>Writes <see cref="Response"/> followed by <see cref="ResponseBody"/>.</summary>
    /// <param name="output">Where to write.</param>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A header of <see cref="Response"/> cannot be written safely (see <see cref="HttpResponseHead.Write"/>).</exception>
    public void Write(IBufferWriter<byte> output)
    {
        Response.Write(output);
        output.Write(ResponseBody.Span);
    }

    /// <summary>Creates the result of an accepted handshake.</summary>
    /// <param name="response">The 101 head.</param>
    /// <param name="subProtocol">The selected subprotocol, or null.</param>
    /// <param name="perMessageDeflate">The agreed permessage-deflate parameters, or null.</param>
    /// <returns>The result.</returns>
    internal static HandshakeResult Accepted(HttpResponseHead response, string? subProtocol, PerMessageDeflateParameters? perMessageDeflate = null) =>
        new(isAccepted: true, response, ReadOnlyMemory<byte>.Empty, subProtocol, rejectionReason: null, perMessageDeflate);

    /// <summary>
    /// Creates the result of a refused handshake: <paramref name="headers"/> plus <c>Content-Type</c>,
    /// <c>Content-Length</c> and <c>Connection: close</c> (merged into an existing <c>Connection</c> field), with
    /// <paramref name="reason"/> as the body.
    /// </summary>
    /// <param name="statusCode">The status code.</param>
    /// <param name="reason">A short fixed text, never containing request values.</param>
    /// <param name="headers">Status-specific fields, or null.</param>
    /// <returns>The result.</returns>
    internal static HandshakeResult Rejected(int statusCode, string reason, HttpHeaders? headers = null)
    {
        headers ??= new HttpHeaders();
        byte[] body = Encoding.UTF8.GetBytes(reason);
        headers.Add("Content-Type", "text/plain; charset=utf-8");
        headers.Add("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture));

        // A client that asked to upgrade has no further HTTP request to make on this connection, and a client that
        // ignored RFC 6455 §4.1 ("MUST wait for a response from the server before sending any further data") may
        // already have sent frames that must not be parsed as a next request: close once the response is sent.
        string? connection = headers.Get("Connection");
        headers.Set("Connection", connection is null ? "close" : connection + ", close");
        return new HandshakeResult(isAccepted: false, new HttpResponseHead(statusCode, headers), body, subProtocol: null, reason);
    }
}
