using System.Reactive;

namespace Rx.WebSockets.Session;

/// <summary>A server-side session (Ktor's <c>DefaultWebSocketServerSession</c>): the session plus the upgraded request and the host's services.</summary>
public interface IWebSocketServerSession : IWebSocketSession
{
    /// <summary>The HTTP request that was upgraded (Ktor's <c>call</c>).</summary>
    ICall Call { get; }

    /// <summary>The host's services (Ktor's <c>application</c>).</summary>
    IServiceProvider Application { get; }
}

/// <summary>
/// Handles one WebSocket connection on a server: the returned observable's completion closes the session with 1000,
/// its error with 1011 "Internal error" (see <see cref="WebSocketSessionExtensions.Run(IWebSocketSession, Func{IWebSocketSession, IObservable{Unit}})"/>).
/// </summary>
/// <param name="session">The session.</param>
/// <returns>The handler's work.</returns>
public delegate IObservable<Unit> WebSocketHandler(IWebSocketServerSession session);
