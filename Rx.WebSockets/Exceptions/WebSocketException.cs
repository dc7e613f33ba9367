namespace Rx.WebSockets;

/// <summary>The base of every exception that Rx.WebSockets reports about a WebSocket connection.</summary>
public class WebSocketException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WebSocketException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public WebSocketException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public WebSocketException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
