namespace Rx.WebSockets;

/// <summary>The state of a WebSocket connection (RFC 6455 §4.1, §7).</summary>
public enum WebSocketState
{
    /// <summary>The opening handshake has not completed.</summary>
    Connecting,

    /// <summary>"The WebSocket Connection is Established": data frames may be sent and received.</summary>
    Open,

    /// <summary>"The WebSocket Closing Handshake is Started": a Close frame was sent or received.</summary>
    Closing,

    /// <summary>"The WebSocket Connection is Closed": the transport is closed.</summary>
    Closed,
}
