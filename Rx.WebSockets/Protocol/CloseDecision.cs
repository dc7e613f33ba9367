namespace Rx.WebSockets.Protocol;

/// <summary>
/// What the I/O layer must do after <see cref="CloseHandshake"/> has processed an event (python-websockets' "feed,
/// then drain" contract: the core decides, the driver moves bytes and arms timers).
/// </summary>
public enum CloseDecision
{
    /// <summary>The event changes nothing: the handshake had already ended, or the event is a duplicate.</summary>
    None,

    /// <summary>
    /// The peer started the closing handshake: send the reply Close frame returned with this decision, stop reading,
    /// then close the transport. <see cref="CloseHandshake.Result"/> holds the peer's reason.
    /// </summary>
    Reply,

    /// <summary>
    /// The closing handshake is complete (this endpoint had sent its Close and now has the peer's): stop reading and
    /// close the transport. <see cref="CloseHandshake.Result"/> holds the agreed reason.
    /// </summary>
    CloseTransport,

    /// <summary>
    /// The connection ended without a completed handshake (end of stream, close timeout): close the transport and report
    /// <see cref="CloseHandshake.Result"/> (1006 unless the connection had been failed with a code).
    /// </summary>
    Abnormal,
}
