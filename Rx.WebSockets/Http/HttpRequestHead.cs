namespace Rx.WebSockets.Http;

/// <summary>The head of an HTTP/1.x request: the request line (RFC 9112 §3) and the header section.</summary>
public sealed class HttpRequestHead
{
    /// <summary>Creates a request head.</summary>
    /// <param name="method">The method token, case-sensitive (<c>GET</c>).</param>
    /// <param name="target">The request target as sent (<c>/chat?room=1</c>).</param>
    /// <param name="version">The protocol version.</param>
    /// <param name="headers">The header fields.</param>
    public HttpRequestHead(string method, string target, HttpVersion version, HttpHeaders headers)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(headers);
        Method = method;
        Target = target;
        Version = version;
        Headers = headers;
        int query = target.IndexOf('?', StringComparison.Ordinal);
        Path = query >= 0 ? target[..query] : target;
        Query = query >= 0 ? target[(query + 1)..] : string.Empty;
    }

    /// <summary>The method token (RFC 9110 §9), case-sensitive.</summary>
    public string Method { get; }

    /// <summary>The request target as sent.</summary>
    public string Target { get; }

    /// <summary>The path part of the target (before <c>?</c>), not percent-decoded.</summary>
    public string Path { get; }

    /// <summary>The query part of the target (after <c>?</c>), without the <c>?</c>; empty when none.</summary>
    public string Query { get; }

    /// <summary>The protocol version.</summary>
    public HttpVersion Version { get; }

    /// <summary>The header fields.</summary>
    public HttpHeaders Headers { get; }

    /// <summary>Returns the request line, e.g. <c>GET /chat HTTP/1.1</c>.</summary>
    /// <returns>The request line.</returns>
    public override string ToString() => $"{Method} {Target} {(Version == HttpVersion.Http11 ? "HTTP/1.1" : "HTTP/1.0")}";
}
