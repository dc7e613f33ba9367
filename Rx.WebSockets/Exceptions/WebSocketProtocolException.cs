namespace Rx.WebSockets;

/// <summary>
/// The peer violated RFC 6455 (or a negotiated extension, or a limit): the connection must be failed
/// (RFC 6455 §7.1.7) with <see cref="CloseCode"/>, e.g. 1002, 1007 or 1009.
/// </summary>
/// <remarks>The message is for logs; the Close frame sent to the peer carries only a short fixed text.</remarks>
public class WebSocketProtocolException : WebSocketException
{
    /// <summary>Creates the exception.</summary>
    public WebSocketProtocolException()
        : this(Rx.WebSockets.CloseCode.ProtocolError, "WebSocket protocol error.")
    {
    }

    /// <summary>Creates the exception with a message; the close code is 1002.</summary>
    /// <param name="message">What the peer did wrong.</param>
    public WebSocketProtocolException(string message)
        : this(Rx.WebSockets.CloseCode.ProtocolError, message)
    {
    }

    /// <summary>Creates the exception with a message and a cause; the close code is 1002.</summary>
    /// <param name="message">What the peer did wrong.</param>
    /// <param name="innerException">The cause.</param>
    public WebSocketProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        CloseCode = Rx.WebSockets.CloseCode.ProtocolError;
    }

    /// <summary>Creates the exception with the close code to send.</summary>
    /// <param name="closeCode">The code to fail the connection with.</param>
    /// <param name="message">What the peer did wrong.</param>
    public WebSocketProtocolException(CloseCode closeCode, string message)
        : base(message)
    {
        CloseCode = closeCode;
    }

    /// <summary>The code to send in the Close frame that fails the connection.</summary>
    public CloseCode CloseCode { get; }
}

/// <summary>A frame or message exceeded <see cref="FrameLimits"/>; the connection is failed with 1009.</summary>
public sealed class FrameTooBigException : WebSocketProtocolException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="size">The size seen (or announced).</param>
    /// <param name="limit">The limit that it exceeds.</param>
    public FrameTooBigException(long size, long limit)
        : base(Rx.WebSockets.CloseCode.TooBig, $"Frame is too big: {size}. Max size is {limit}")
    {
        Size = size;
        Limit = limit;
    }

    /// <summary>The size seen (or announced by a frame header).</summary>
    public long Size { get; }

    /// <summary>The limit exceeded.</summary>
    public long Limit { get; }
}
