using System.IO.Pipelines;
using System.Net;
using System.Reactive.Concurrency;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using HttpVersion = Rx.WebSockets.Http.HttpVersion;
using Rx.WebSockets.Http.Body;
using Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;
using Rx.WebSockets.Protocol.Handshake;
using Rx.WebSockets.Server.Internal;
using Rx.WebSockets.Session;

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
    private readonly RequestBodyFraming _framing;
    // Created when first asked for if the request has no body (most requests): nothing reads, fails or drains it.
    private RequestBodyReader? _body;
    private readonly bool _keepAlive;
    private volatile bool _unusable;
    private volatile bool _handlerReturned;

    // persistent: the connection's RFC 9112 §9.3 decision for this request (ConnectionOptions.IsPersistent), made once there.
    internal HttpExchange(Http1Connection connection, HttpRequestHead request, RequestBodyFraming framing, OutgoingResponse outgoing, bool persistent)
    {
        _connection = connection;
        Request = request;
        Outgoing = outgoing;
        _keepAlive = persistent;
        Response = new HttpResponse(this, outgoing);
        // RFC 9110 §10.1.1: 100-continue is only meaningful for a request with content, and "A server that receives
        // a 100-continue expectation in an HTTP/1.0 request MUST ignore that expectation".
        bool expectContinue = framing.HasBody
            && request.Version == HttpVersion.Http11
            && request.Headers.ContainsToken("Expect", "100-continue");
        _framing = framing;
        if (framing.HasBody)
        {
            _body = new RequestBodyReader(
                connection.Input,
                framing,
                connection.Context.Limits,
                expectContinue ? SendContinueAsync : null);
        }
    }

    /// <summary>The request head: method, target, version, headers.</summary>
    public HttpRequestHead Request { get; }

    /// <summary>The request body; completes at its end (at once for a request without a body).</summary>
    public PipeReader Body => BodyReader;

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
    public HttpHeaders RequestTrailers => BodyReader.Trailers;

    /// <summary>
    /// Accepts the WebSocket upgrade (RFC 6455 §4.2.2): validates the handshake with <see cref="ServerHandshake"/>,
    /// sends <c>101 Switching Protocols</c> once every earlier response on the connection has been sent, and hands
    /// the connection — including bytes the client sent right after the request — to a new default session.
    /// </summary>
    /// <param name="options">
    /// Subprotocols, allowed origins, limits, keep-alive and close timeouts of the session; with
    /// <see cref="WebSocketOptions.Compression"/> set, permessage-deflate (RFC 7692) when the client offers it.
    /// </param>
    /// <param name="scheduler">The session's scheduler (pinger, close timeout); <see cref="Scheduler.Default"/> when null.</param>
    /// <returns>The session; writing has started, reading starts with <see cref="IWebSocketSession.Start"/> (or <c>Run</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="HandshakeRejectedException">
    /// The handshake is invalid (not an upgrade, wrong version or key, forbidden origin ...); the response with its
    /// status (400, 403, 405, 426) has been sent and the connection closes after it.
    /// </exception>
    /// <exception cref="InvalidOperationException">The response has started, or the request has a body that was not read.</exception>
    /// <exception cref="System.IO.IOException">The connection ended before the 101 response was sent.</exception>
    /// <remarks>
    /// The connection stops parsing HTTP at this request: upgrade requests are never handled concurrently with
    /// other requests, so the 101 is the last HTTP response on the connection. On server shutdown the session is
    /// closed with 1001 (Going Away).
    /// </remarks>
    public ValueTask<IWebSocketServerSession> AcceptWebSocketAsync(WebSocketOptions options, IScheduler? scheduler = null) =>
        AcceptCoreAsync(options, scheduler, raw: false);

    /// <summary>
    /// Accepts the WebSocket upgrade as <see cref="AcceptWebSocketAsync"/> does, but hands the connection to a raw session
    /// (Ktor's <c>webSocketRaw</c>): every frame — fragments, pings, pongs, the peer's Close — reaches
    /// <see cref="IWebSocketSession.Incoming"/>, and nothing is answered automatically.
    /// </summary>
    /// <param name="options">Subprotocols, allowed origins, limits and close timeout of the session (no pinger).</param>
    /// <param name="scheduler">The session's scheduler (close timeout); <see cref="Scheduler.Default"/> when null.</param>
    /// <returns>The session; writing has started, reading starts with <see cref="IWebSocketSession.Start"/> (or <c>Run</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="HandshakeRejectedException">The handshake is invalid; the refusal has been sent.</exception>
    /// <exception cref="InvalidOperationException">The response has started, or the request has a body that was not read.</exception>
    /// <exception cref="System.IO.IOException">The connection ended before the 101 response was sent.</exception>
    public ValueTask<IWebSocketServerSession> AcceptRawWebSocketAsync(WebSocketOptions options, IScheduler? scheduler = null) =>
        AcceptCoreAsync(options, scheduler, raw: true);

    private async ValueTask<IWebSocketServerSession> AcceptCoreAsync(WebSocketOptions options, IScheduler? scheduler, bool raw)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Response.HasStarted)
        {
            throw new InvalidOperationException("The response has started; the request can no longer be upgraded.");
        }

        if (!IsBodyConsumed)
        {
            // The session would read the body's bytes as frames.
            throw new InvalidOperationException("A request whose body has not been read cannot be upgraded.");
        }

        var handshake = ServerHandshake.Accept(Request, options);
        if (!handshake.IsAccepted)
        {
            // RFC 9110 §6.6.1: a Date in every non-1xx response.
            handshake.Response.Headers.Add("Date", Date);
            await Response.WriteFinalAsync(handshake.Write, upgrades: false, closes: true).ConfigureAwait(false);
            throw new HandshakeRejectedException(handshake.StatusCode, handshake.RejectionReason ?? "The WebSocket handshake was refused.");
        }

        var transport = _connection.PrepareUpgrade();
        await Response.WriteFinalAsync(handshake.Write, upgrades: true, closes: false).ConfigureAwait(false);
        // The write loop sends the 101 after the responses before it, then stops writing: from then on the
        // session is the only writer of the connection.
        await Outgoing.Written.ConfigureAwait(false);
        if (!Outgoing.WasSent)
        {
            throw new System.IO.IOException("The connection ended before the WebSocket handshake response was sent.");
        }

        var call = new WebSocketCall(Request, RemoteEndPoint, LocalEndPoint);
        // RFC 7692 §5: the 101 answered permessage-deflate, so from its first frame the connection speaks it.
        var extension = handshake.PerMessageDeflate is { } agreed
            ? new PerMessageDeflateExtension(Side.Server, agreed, options.Compression, options.Limits)
            : null;
        var session = raw
            ? WebSocketSession.CreateRawServerSession(
                transport, options, scheduler ?? Scheduler.Default, call, _connection.Context.Services, handshake.SubProtocol, extension)
            : WebSocketSession.CreateServerSession(
                transport, options, scheduler ?? Scheduler.Default, call, _connection.Context.Services, handshake.SubProtocol, extension);
        _connection.OnUpgraded(session);
        return session;
    }

    internal OutgoingResponse Outgoing { get; }

    internal RequestBodyReader BodyReader
    {
        get
        {
            var body = Volatile.Read(ref _body);
            if (body is null)
            {
                var created = new RequestBodyReader(_connection.Input, _framing, _connection.Context.Limits, beforeFirstRead: null);
                body = Interlocked.CompareExchange(ref _body, created, null) ?? created;
            }

            return body;
        }
    }

    // Without a reader yet, the request has no body: consumed, not failed, nothing awaited, nothing left.
    internal bool IsBodyConsumed => Volatile.Read(ref _body)?.IsConsumed ?? true;

    private bool BodyHasFailed => Volatile.Read(ref _body)?.HasFailed ?? false;

    internal string Date => _connection.Context.Date.Value;

    /// <summary>The <c>Date</c> field line, CRLF included, in bytes (shared: copy, never change).</summary>
    internal byte[] DateFieldLine => _connection.Context.Date.FieldLine;

    /// <summary>Whether the connection must close after this response; read when the response head is written.</summary>
    internal bool MustCloseAfterResponse =>
        !_keepAlive
        || _unusable
        || _connection.IsStopping
        || BodyHasFailed
        // The client was not told to send its body and may never send it: nothing after it can be parsed.
        || (_body is { AwaitsContinue: true, IsConsumed: false })
        || (_handlerReturned && _body is { IsConsumed: false } body && body.RemainingLength > _connection.Context.Limits.MaxDrainSize);

    /// <summary>Whether the connection can carry the next request once this exchange is done.</summary>
    internal bool CanContinue =>
        _keepAlive && !_unusable && !BodyHasFailed && IsBodyConsumed && !Outgoing.ClosesConnection && !Outgoing.Upgrades;

    internal void MarkConnectionUnusable() => _unusable = true;

    internal void OnHandlerReturned() => _handlerReturned = true;

    private async ValueTask SendContinueAsync() => await Response.SendContinueAsync().ConfigureAwait(false);
}
