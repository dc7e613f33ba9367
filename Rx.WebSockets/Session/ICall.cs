using System.Collections.Generic;
using System.Net;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Session;

/// <summary>The HTTP request that was upgraded to a WebSocket connection (Ktor's <c>call</c>).</summary>
public interface ICall
{
    /// <summary>The request head as received.</summary>
    HttpRequestHead Request { get; }

    /// <summary>The method, normally <c>GET</c>.</summary>
    string Method { get; }

    /// <summary>The request target as sent, e.g. <c>/chat?room=1</c>.</summary>
    string Target { get; }

    /// <summary>The path part of the target.</summary>
    string Path { get; }

    /// <summary>The query part of the target, without the <c>?</c>.</summary>
    string Query { get; }

    /// <summary>The request's header fields.</summary>
    HttpHeaders Headers { get; }

    /// <summary>The peer's address, when the host knows it.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>The local address the request arrived on, when the host knows it.</summary>
    EndPoint? LocalEndPoint { get; }

    /// <summary>A bag for application data attached to this connection (Ktor's call attributes).</summary>
    IDictionary<string, object?> Items { get; }
}

/// <summary>The default <see cref="ICall"/>: a request head and the connection's endpoints.</summary>
/// <remarks>Thread-safety: immutable except <see cref="Items"/>, which is a plain dictionary (not thread-safe).</remarks>
public sealed class WebSocketCall : ICall
{
    /// <summary>Creates the call.</summary>
    /// <param name="request">The upgraded request.</param>
    /// <param name="remoteEndPoint">The peer's address, if known.</param>
    /// <param name="localEndPoint">The local address, if known.</param>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    public WebSocketCall(HttpRequestHead request, EndPoint? remoteEndPoint = null, EndPoint? localEndPoint = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        Request = request;
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
    }

    /// <inheritdoc/>
    public HttpRequestHead Request { get; }

    /// <inheritdoc/>
    public string Method => Request.Method;

    /// <inheritdoc/>
    public string Target => Request.Target;

    /// <inheritdoc/>
    public string Path => Request.Path;

    /// <inheritdoc/>
    public string Query => Request.Query;

    /// <inheritdoc/>
    public HttpHeaders Headers => Request.Headers;

    /// <inheritdoc/>
    public EndPoint? RemoteEndPoint { get; }

    /// <inheritdoc/>
    public EndPoint? LocalEndPoint { get; }

    /// <inheritdoc/>
    public IDictionary<string, object?> Items { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);
}
