namespace Rx.WebSockets.Http;

/// <summary>The HTTP versions that the engine speaks (RFC 9112 §2.3).</summary>
public enum HttpVersion
{
    /// <summary>HTTP/1.0: connections close after each response unless <c>Connection: keep-alive</c>.</summary>
    Http10,

    /// <summary>HTTP/1.1: persistent connections by default.</summary>
    Http11,
}
