using System.IO.Pipelines;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using HttpVersion = Rx.WebSockets.Http.HttpVersion;
using Rx.WebSockets.Http.Body;
using Rx.WebSockets.Protocol.Handshake;
using Rx.WebSockets.Server.Internal;

namespace Rx.WebSockets.Server;

/// <summary>
/// One request of an <see cref="HttpServer"/> and its response (Ktor's <c>ServerRequestScope</c>): the parsed head,
/// the body as a <see cref="PipeReader"/>, and the <see cref="HttpResponse"/> to fill in.
/// </summary>
/// <remarks>
/// <para>
/// The body reader yields the request's body only: exactly <c>Content-Length</c> bytes, or the decoded chunks. It
/// completes at the body's end. A body the handler leaves unread is read and discarded after the handler returns,
/// up to <see cref="HttpLimits.MaxDrainSize"/>; beyond that the connection closes after the response. For a request
/// with <c>Expect: 100-continue</c>, the first read sends <c>100 Continue</c> (RFC 9110 §10.1.1); a handler that
/// answers without reading lets the client skip the upload, and the connection closes after that response.
/// </para>
/// <para>Thread-safety: used by the handler; one reader of <see cref="Body"/>, one writer of <see cref="Response"/>.</para>
/// </remarks>
public sealed class HttpExchange
{
    private readonly Http1Connection _connection;
    private readonly RequestBodyReader _body;
    private readonly bool _keepAlive;
    private volatile bool _unusable;
    private volatile bool _handlerReturned;

    internal HttpExchange(Http1Connection connection, HttpRequestHead request, RequestBodyFraming framing, OutgoingResponse outgoing)
    {
        _connection = connection;
        Request = request;
        Outgoing = outgoing;
        _keepAlive = ConnectionOptions.IsPersistent(request);
        Response = new HttpResponse(this, outgoing);
        // RFC 9110 §10.1.1: 100-continue is only meaningful for a request with content, and "A server that receives
        // a 100-continue expectation in an HTTP/1.0 request MUST ignore that expectation".
        bool expectContinue = framing.HasBody
            && request.Version == HttpVersion.Http11
            && request.Headers.ContainsToken("Expect", "100-continue");
        _body = new RequestBodyReader(
            connection.Input,
            framing,
            connection.Context.Limits,
            expectContinue ? SendContinueAsync : null);
    }

    /// <summary>The request head: method, target, version, headers.</summary>
    public HttpRequestHead Request { get; }

    /// <summary>The request body; completes at its end (at once for a request without a body).</summary>
    public PipeReader Body => _body;

    /// <summary>The response.</summary>
    public HttpResponse Response { get; }

    /// <summary>The address the request arrived on.</summary>
    public IPEndPoint? LocalEndPoint => _connection.LocalEndPoint;

    /// <summary>The client's address.</summary>
    public IPEndPoint? RemoteEndPoint => _connection.RemoteEndPoint;

    /// <summary>Cancelled when the connection is aborted: the client reset it, or the server stopped past its grace period.</summary>
    public CancellationToken RequestAborted => _connection.Aborted;

    /// <summary>
    /// Whether the request asks for a WebSocket upgrade (<c>Upgrade: websocket</c> and <c>Connection: upgrade</c>); see
    /// <see cref="ServerHandshake.IsUpgradeRequest"/>.
    /// </summary>
    public bool IsWebSocketRequest => ServerHandshake.IsUpgradeRequest(Request);

    /// <summary>The chunked body's trailer fields, once the body has been read to its end; empty otherwise.</summary>
    public HttpHeaders RequestTrailers => _body.Trailers;

    internal OutgoingResponse Outgoing { get; }

    internal RequestBodyReader BodyReader => _body;

    internal string Date => _connection.Context.Date.Value;

    /// <summary>Whether the connection must close after this response; read when the response head is written.</summary>
    internal bool MustCloseAfterResponse =>
        !_keepAlive
        || _unusable
        || _connection.IsStopping
        || _body.HasFailed
        // The client was not told to send its body and may never send it: nothing after it can be parsed.
        || (_body.AwaitsContinue && !_body.IsConsumed)
        || (_handlerReturned && !_body.IsConsumed && _body.RemainingLength > _connection.Context.Limits.MaxDrainSize);

    /// <summary>Whether the connection can carry the next request once this exchange is done.</summary>
    internal bool CanContinue => _keepAlive && !_unusable && !_body.HasFailed && _body.IsConsumed && !Outgoing.ClosesConnection;

    internal void MarkConnectionUnusable() => _unusable = true;

    internal void OnHandlerReturned() => _handlerReturned = true;

    private async ValueTask SendContinueAsync() => await Response.SendContinueAsync().ConfigureAwait(false);
}
