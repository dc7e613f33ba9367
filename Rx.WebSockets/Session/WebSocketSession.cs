using System.IO.Pipelines;
using System.Reactive.Concurrency;
using Rx.WebSockets.Protocol.Extensions;

namespace Rx.WebSockets.Session;

/// <summary>Creates sessions over a transport whose opening handshake is done (Ktor's <c>DefaultWebSocketSession(...)</c> and <c>RawWebSocket(...)</c>).</summary>
/// <remarks>
/// Every time-dependent behaviour — the pinger, the close timeout — runs on the <see cref="IScheduler"/> given here;
/// pass a <c>TestScheduler</c> to test on virtual time. Reading starts with <see cref="IWebSocketSession.Start"/>; see
/// <see cref="IWebSocketSession"/>.
/// </remarks>
public static class WebSocketSession
{
    /// <summary>
    /// Creates a default session: ponger, pinger (<see cref="WebSocketOptions.PingInterval"/>), closing handshake with
    /// <see cref="WebSocketOptions.CloseTimeout"/>, reassembly; Incoming yields whole Text and Binary frames only.
    /// </summary>
    /// <param name="transport">The connection's byte streams after the opening handshake; the session completes both.</param>
    /// <param name="side">Which end this session is (decides masking, RFC 6455 §5.1).</param>
    /// <param name="options">The options; copied, later changes have no effect.</param>
    /// <param name="scheduler">The scheduler of the pinger and the close timeout.</param>
    /// <param name="subProtocol">The subprotocol the handshake selected, if any.</param>
    /// <param name="extension">
    /// The extension the handshake agreed (e.g. a <see cref="Protocol.Extensions.PerMessageDeflate.PerMessageDeflateExtension"/>
    /// for this side), or null; the session owns it: its loops call it and it is disposed when the session ends.
    /// </param>
    /// <returns>The session; writing has started, reading starts with <see cref="IWebSocketSession.Start"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="transport"/>, <paramref name="options"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="side"/> is not defined.</exception>
    public static IWebSocketSession Create(IDuplexPipe transport, Side side, WebSocketOptions options, IScheduler scheduler, string? subProtocol = null, IWebSocketExtension? extension = null) =>
        new DefaultWebSocketSession(transport, side, options, scheduler, subProtocol, extension);

    /// <summary>
    /// Creates a raw session: Incoming yields every frame (fragments, pings, pongs, Close); nothing is answered
    /// automatically and there is no pinger. The close timeout still bounds a closing handshake.
    /// </summary>
    /// <param name="transport">The connection's byte streams after the opening handshake.</param>
    /// <param name="side">Which end this session is.</param>
    /// <param name="options">The options (limits, close timeout, masking); copied.</param>
    /// <param name="scheduler">The scheduler of the close timeout.</param>
    /// <param name="subProtocol">The subprotocol the handshake selected, if any.</param>
    /// <param name="extension">
    /// The extension the handshake agreed (e.g. a <see cref="Protocol.Extensions.PerMessageDeflate.PerMessageDeflateExtension"/>
    /// for this side), or null; the session owns it: its loops call it and it is disposed when the session ends.
    /// </param>
    /// <returns>The session.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="transport"/>, <paramref name="options"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="side"/> is not defined.</exception>
    public static IWebSocketSession CreateRaw(IDuplexPipe transport, Side side, WebSocketOptions options, IScheduler scheduler, string? subProtocol = null, IWebSocketExtension? extension = null) =>
        new RawWebSocketSession(transport, side, options, scheduler, subProtocol, extension);

    /// <summary>Creates a default server session for an upgraded request (what the HTTP engines call).</summary>
    /// <param name="transport">The connection's byte streams after the 101 response.</param>
    /// <param name="options">The options; copied.</param>
    /// <param name="scheduler">The scheduler of the pinger and the close timeout.</param>
    /// <param name="call">The upgraded request.</param>
    /// <param name="application">The host's services.</param>
    /// <param name="subProtocol">The subprotocol the handshake selected, if any.</param>
    /// <param name="extension">
    /// The extension the handshake agreed (e.g. a <see cref="Protocol.Extensions.PerMessageDeflate.PerMessageDeflateExtension"/>
    /// for this side), or null; the session owns it: its loops call it and it is disposed when the session ends.
    /// </param>
    /// <returns>The session.</returns>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="subProtocol"/> and <paramref name="extension"/> is null.</exception>
    public static IWebSocketServerSession CreateServerSession(
        IDuplexPipe transport, WebSocketOptions options, IScheduler scheduler, ICall call, IServiceProvider application, string? subProtocol = null, IWebSocketExtension? extension = null)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(application);
        return new ServerSession(Create(transport, Side.Server, options, scheduler, subProtocol, extension), call, application);
    }

    /// <summary>Creates a raw server session for an upgraded request.</summary>
    /// <param name="transport">The connection's byte streams after the 101 response.</param>
    /// <param name="options">The options; copied.</param>
    /// <param name="scheduler">The scheduler of the close timeout.</param>
    /// <param name="call">The upgraded request.</param>
    /// <param name="application">The host's services.</param>
    /// <param name="subProtocol">The subprotocol the handshake selected, if any.</param>
    /// <param name="extension">
    /// The extension the handshake agreed (e.g. a <see cref="Protocol.Extensions.PerMessageDeflate.PerMessageDeflateExtension"/>
    /// for this side), or null; the session owns it: its loops call it and it is disposed when the session ends.
    /// </param>
    /// <returns>The session.</returns>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="subProtocol"/> and <paramref name="extension"/> is null.</exception>
    public static IWebSocketServerSession CreateRawServerSession(
        IDuplexPipe transport, WebSocketOptions options, IScheduler scheduler, ICall call, IServiceProvider application, string? subProtocol = null, IWebSocketExtension? extension = null)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(application);
        return new ServerSession(CreateRaw(transport, Side.Server, options, scheduler, subProtocol, extension), call, application);
    }
}
