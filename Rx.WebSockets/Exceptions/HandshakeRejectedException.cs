namespace Rx.WebSockets;

/// <summary>The opening handshake (RFC 6455 §4) was refused; <see cref="StatusCode"/> is the HTTP status to answer or that was answered.</summary>
public sealed class HandshakeRejectedException : WebSocketException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statusCode">The HTTP status code.</param>
    /// <param name="message">Why the handshake failed.</param>
    public HandshakeRejectedException(int statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status code (400, 403, 426, ...).</summary>
    public int StatusCode { get; }
}
