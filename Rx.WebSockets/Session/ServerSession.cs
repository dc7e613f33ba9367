namespace Rx.WebSockets.Session;

/// <summary>
/// A server session: a session plus the upgraded request and the host's services, by delegation (Ktor's
/// <c>DefaultWebSocketServerSession</c> is a thin wrapper adding <c>call</c> the same way).
/// </summary>
/// <remarks>Thread-safety: as the wrapped session; the added members are immutable.</remarks>
internal sealed class ServerSession : DelegatingWebSocketSession
{
    public ServerSession(IWebSocketSession inner, ICall call, IServiceProvider application)
        : base(inner)
    {
        Call = call;
        Application = application;
    }

    public override ICall Call { get; }

    public override IServiceProvider Application { get; }
}
