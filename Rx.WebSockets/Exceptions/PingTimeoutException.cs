namespace Rx.WebSockets;

/// <summary>No Pong with the expected payload arrived within the timeout after a Ping.</summary>
public sealed class PingTimeoutException : WebSocketException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="timeout">How long the pinger waited.</param>
    public PingTimeoutException(TimeSpan timeout)
        : base($"Ping timeout: no matching pong within {timeout}.")
    {
        Timeout = timeout;
    }

    /// <summary>How long the pinger waited for the matching pong.</summary>
    public TimeSpan Timeout { get; }
}
