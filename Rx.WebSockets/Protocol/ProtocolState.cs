namespace Rx.WebSockets.Protocol;

/// <summary>
/// Where a connection stands in the closing handshake (RFC 6455 §7): the states python-websockets and the RFC
/// name, seen from one endpoint.
/// </summary>
public enum ProtocolState
{
    /// <summary>"The WebSocket Connection is Established" and no Close frame has been sent or received.</summary>
    Open,

    /// <summary>This endpoint sent a Close frame (it "Started the WebSocket Closing Handshake") and waits for the peer's.</summary>
    CloseSent,

    /// <summary>The peer's Close frame arrived first; this endpoint's reply is decided and the connection is ending.</summary>
    CloseReceived,

    /// <summary>"The WebSocket Connection is Closed": the handshake completed, failed or the transport ended.</summary>
    Closed,
}
