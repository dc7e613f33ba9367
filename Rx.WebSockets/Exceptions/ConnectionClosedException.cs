namespace Rx.WebSockets;

/// <summary>The connection is closed: raised to readers and writers after the close, with the reasons on each side.</summary>
public sealed class ConnectionClosedException : WebSocketException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="received">The reason in the peer's Close frame, if one was received.</param>
    /// <param name="sent">The reason in our Close frame, if one was sent.</param>
    /// <param name="innerException">The transport error, if any.</param>
    public ConnectionClosedException(CloseReason? received, CloseReason? sent, Exception? innerException = null)
        : base(Describe(received, sent), innerException!)
    {
        Received = received;
        Sent = sent;
    }

    /// <summary>The reason in the peer's Close frame; null when none was received (abnormal closure, 1006).</summary>
    public CloseReason? Received { get; }

    /// <summary>The reason in our Close frame; null when none was sent.</summary>
    public CloseReason? Sent { get; }

    /// <summary>Whether both sides closed with 1000 or 1001 (python-websockets' <c>ConnectionClosedOK</c>).</summary>
    public bool IsNormal =>
        Received is { } r && Sent is { } s
        && (r.Code == CloseCode.Normal || r.Code == CloseCode.GoingAway)
        && (s.Code == CloseCode.Normal || s.Code == CloseCode.GoingAway);

    private static string Describe(CloseReason? received, CloseReason? sent) => (received, sent) switch
    {
        (null, null) => "The connection closed abnormally (1006): no Close frame was sent or received.",
        (null, { } s) => $"Sent {s}; no Close frame was received.",
        ({ } r, null) => $"Received {r}; no Close frame was sent.",
        ({ } r, { } s) => $"Received {r}; sent {s}.",
    };
}
