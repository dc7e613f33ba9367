namespace Rx.WebSockets.Protocol.Extensions;

/// <summary>
/// An extension in use on one connection (RFC 6455 §9), after the opening handshake agreed it: it transforms the
/// frames the connection sends and receives (Ktor's <c>WebSocketExtension</c>: <c>processOutgoingFrame</c> and
/// <c>processIncomingFrame</c>).
/// </summary>
/// <remarks>
/// <para>
/// Where it sits: the read loop hands every frame that the <see cref="FrameDecoder"/> produces to
/// <see cref="Decode"/>, in wire order, before anything else sees it; the write loop hands every frame to
/// <see cref="Encode"/> before the <see cref="FrameEncoder"/> writes it, and before fragmenting a whole message when
/// it fragments one (see <see cref="Fragmentation.Fragment"/>: RSV bits are kept on the first fragment only).
/// </para>
/// <para>
/// Thread-safety: <see cref="Encode"/> calls must not overlap each other, nor <see cref="Decode"/> calls each other;
/// an <see cref="Encode"/> may run at the same time as a <see cref="Decode"/> (the write and read loops). Dispose
/// once both loops have stopped.
/// </para>
/// </remarks>
public interface IWebSocketExtension : IDisposable
{
    /// <summary>
    /// The element of the server's <c>Sec-WebSocket-Extensions</c> response that agreed this extension: what the
    /// handshake answers and what a session lists as its extensions.
    /// </summary>
    ExtensionHeader Agreement { get; }

    /// <summary>
    /// Whether the extension gives RSV1 a meaning (RFC 6455 §5.2: RSV bits "MUST be 0 unless an extension is
    /// negotiated that defines meanings for non-zero values"), so that the decoder must not reject it outright.
    /// </summary>
    bool UsesRsv1 { get; }

    /// <summary>Transforms a frame about to be sent.</summary>
    /// <param name="frame">The frame as the application gave it.</param>
    /// <returns>The frame to write (the same instance when nothing changes).</returns>
    Frame Encode(Frame frame);

    /// <summary>
    /// Sends the message this frame starts as the application gave it (for permessage-deflate: uncompressed, RSV1
    /// clear) while keeping the extension's state in step: what <see cref="Encode"/> does for a message the extension
    /// chose not to transform. The session calls it for messages the application marked (see
    /// <c>WebSocketSessionExtensions.Uncompressed</c>).
    /// </summary>
    /// <param name="frame">
    /// The frame as the application gave it. Only the first frame of a message decides: a continuation or control
    /// frame is handled exactly as by <see cref="Encode"/>.
    /// </param>
    /// <returns>The frame to write (the same instance when nothing changes).</returns>
    Frame EncodeUncompressed(Frame frame);

    /// <summary>Transforms a frame just received.</summary>
    /// <param name="frame">The frame as the decoder produced it.</param>
    /// <returns>The frame to deliver (the same instance when nothing changes).</returns>
    /// <exception cref="WebSocketProtocolException">The peer broke the extension's rules; fail the connection with its <see cref="WebSocketProtocolException.CloseCode"/>.</exception>
    Frame Decode(Frame frame);
}
