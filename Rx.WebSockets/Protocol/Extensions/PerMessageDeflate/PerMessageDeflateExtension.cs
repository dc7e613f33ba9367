using System.Diagnostics.CodeAnalysis;
using Rx.WebSockets.Internal;

namespace Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;

/// <summary>
/// permessage-deflate (RFC 7692) on one connection, sans I/O: compresses outgoing messages and inflates incoming
/// ones, message by message, with the LZ77 window carried over between messages unless the agreement says not to.
/// </summary>
/// <remarks>
/// <para>
/// Sending. <see cref="CompressMessage"/> takes a whole Text or Binary message and returns it compressed in one
/// final frame with RSV1 set ("Per-Message Compressed", RFC 7692 §6), or unchanged when it is empty or shorter than
/// <see cref="PerMessageDeflateOptions.MinimumSizeToCompress"/>; fragment the result afterwards if needed
/// (<see cref="Fragmentation.Fragment"/> keeps RSV1 on the first fragment only, as §6.1 requires).
/// <see cref="Encode"/> does the same for whole messages and also accepts a message the application fragments
/// itself: its fragments are compressed as one DEFLATE stream, RSV1 on the first. Control frames pass unchanged.
/// <see cref="EncodeUncompressed"/> sends one message uncompressed (RSV1 clear), which RFC 7692 allows at any time,
/// keeping the state in step; with context takeover the compressor's window simply skips that message.
/// </para>
/// <para>
/// Receiving. <see cref="Decode"/> takes every frame the decoder produces (configured to allow RSV1 on the first
/// frame of a message). A message whose first frame has RSV1 is inflated fragment by fragment, each frame returned
/// with its inflated payload and RSV1 clear; other messages and control frames pass unchanged. Because the decoder
/// cannot check them on compressed bytes, the extension checks the inflated message: its size against
/// <see cref="FrameLimits.MaxMessageSize"/> (1009, and inflating stops one byte past it, so a decompression bomb
/// costs at most that much memory) and, for text, UTF-8 (1007). Data that does not inflate fails with 1007; RSV1 on
/// a continuation or control frame with 1002 (§6.1).
/// </para>
/// <para>
/// Window bits (ADR 0006): this end compresses with the window the agreement allows it. At 15 bits that is
/// <c>System.IO.Compression</c>; at 9 to 14 bits the system zlib (<c>libz.so.1</c>), because .NET 10's
/// System.IO.Compression has no window setting. 8 bits cannot be honoured (zlib's raw deflate refuses it), so the
/// constructor refuses an agreement that needs it or needs zlib where it is missing (see
/// <see cref="CanCompressWithWindow"/>); <see cref="Negotiator"/> never makes one. Any window is accepted on
/// receive: a 15-bit inflater reads every smaller window.
/// </para>
/// <para>
/// Thread-safety: the send side (<see cref="CompressMessage"/>, <see cref="Encode"/>) and the receive side
/// (<see cref="Decode"/>) have separate state and may run at the same time, one caller each (the write loop and the
/// read loop). Calls on one side must not overlap. <see cref="Dispose"/> once both have stopped.
/// </para>
/// </remarks>
public sealed class PerMessageDeflateExtension : IWebSocketExtension
{
    private readonly MessageDeflater _deflater;
    private readonly MessageInflater _inflater;
    private readonly int _minimumSizeToCompress;
    private readonly long _maxMessageSize;

    // Send side: a message the application fragments itself is open, and whether it is being compressed.
    private bool _sendMessageOpen;
    private bool _sendCompressing;

    // Receive side: a fragmented message is open, whether it is compressed, and for compressed text the UTF-8 state.
    private bool _receiveMessageOpen;
    private bool _receiveCompressed;
    private bool _receiveText;
    private Utf8Validator _receiveUtf8;

    /// <summary>Creates the extension for one end of a connection from the agreed parameters.</summary>
    /// <param name="side">Which end we are: it decides which parameters apply to sending and which to receiving.</param>
    /// <param name="parameters">The agreement, e.g. from <see cref="Negotiator.Negotiate(Http.HttpHeaders, PerMessageDeflateOptions)"/>.</param>
    /// <param name="options">Compression level and minimum size; null for the defaults.</param>
    /// <param name="limits">The limits; <see cref="FrameLimits.MaxMessageSize"/> caps each inflated message. Null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="side"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException">The agreement limits this end's compression window to one <see cref="CanCompressWithWindow"/> rejects.</exception>
    public PerMessageDeflateExtension(Side side, PerMessageDeflateParameters parameters, PerMessageDeflateOptions? options = null, FrameLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (side is not (Side.Server or Side.Client))
        {
            throw new ArgumentOutOfRangeException(nameof(side), side, "Unknown side.");
        }

        bool isServer = side == Side.Server;

        // RFC 7692 §7.1.2.1/§7.1.2.2: the end whose window was limited "MUST NOT use an LZ77 sliding window size
        // greater than" the agreed value. DeflateStream always uses 15 bits, the system zlib 9 to 15 (its raw
        // deflate refuses 8), and compressing with 9 when 8 was agreed would break that MUST.
        int sendWindowBits = isServer ? parameters.EffectiveServerMaxWindowBits : parameters.EffectiveClientMaxWindowBits;
        if (!CanCompressWithWindow(sendWindowBits))
        {
            throw new ArgumentException(
                sendWindowBits < ZLibNative.MinDeflateWindowBits
                    ? $"The agreement limits this end's LZ77 window to {sendWindowBits} bits; zlib cannot compress raw DEFLATE with less than {ZLibNative.MinDeflateWindowBits}."
                    : $"The agreement limits this end's LZ77 window to {sendWindowBits} bits, which needs the system zlib ({ZLibNative.LibraryName}); it could not be loaded.",
                nameof(parameters));
        }

        options ??= new PerMessageDeflateOptions();
        limits ??= FrameLimits.Default;
        Side = side;
        Parameters = parameters;
        Agreement = parameters.ToExtensionHeader();
        _minimumSizeToCompress = options.MinimumSizeToCompress;
        _maxMessageSize = limits.MaxMessageSize;

        // RFC 7692 §7.1.1: server_no_context_takeover binds the server's compressor (and so the client's
        // decompressor), client_no_context_takeover the client's.
        _deflater = new MessageDeflater(options.CompressionLevel, isServer ? parameters.ServerNoContextTakeover : parameters.ClientNoContextTakeover, sendWindowBits);
        _inflater = new MessageInflater(isServer ? parameters.ClientNoContextTakeover : parameters.ServerNoContextTakeover);
    }

    /// <summary>Which end of the connection this extension works for.</summary>
    public Side Side { get; }

    /// <summary>The agreed parameters.</summary>
    public PerMessageDeflateParameters Parameters { get; }

    /// <inheritdoc/>
    public ExtensionHeader Agreement { get; }

    /// <summary>Always true: RSV1 is the "Per-Message Compressed" bit (RFC 7692 §6), allowed on the first frame of a data message only.</summary>
    public bool UsesRsv1 => true;

    /// <summary>
    /// Whether this process can compress with an LZ77 window of <paramref name="windowBits"/> bits: 15 always
    /// (System.IO.Compression); 9 to 14 when the system zlib (<c>libz.so.1</c>) could be loaded, since .NET 10's
    /// System.IO.Compression has no window setting; 8 never, because zlib's raw deflate refuses it. The negotiator
    /// declines every offer that would need a window this returns false for.
    /// </summary>
    /// <param name="windowBits">A window size in bits.</param>
    /// <returns>Whether a compressor limited to that window can be made.</returns>
    public static bool CanCompressWithWindow(int windowBits) => windowBits switch
    {
        PerMessageDeflateParameters.MaxWindowBits => true,
        >= ZLibNative.MinDeflateWindowBits and < PerMessageDeflateParameters.MaxWindowBits => ZLibNative.IsAvailable,
        _ => false,
    };

    /// <summary>Whether a compressor is held between messages (only with context takeover on the send side).</summary>
    internal bool HoldsCompressor => _deflater.HasStream;

    /// <summary>Whether a decompressor is held between messages (only with context takeover on the receive side).</summary>
    internal bool HoldsDecompressor => _inflater.HasStream;

    /// <summary>Compresses a whole message into one final frame with RSV1 set, or returns it unchanged when it is too small.</summary>
    /// <param name="message">A final <see cref="TextFrame"/> or <see cref="BinaryFrame"/> without RSV1.</param>
    /// <returns>
    /// A new frame of the same type, final, RSV1 set, whose payload is the compressed message without its trailing
    /// <c>00 00 FF FF</c> (RFC 7692 §7.2.1); or <paramref name="message"/> itself when it is empty or shorter than
    /// <see cref="PerMessageDeflateOptions.MinimumSizeToCompress"/>.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="ArgumentException">The frame is a continuation or not final, or already has RSV1 set.</exception>
    /// <exception cref="InvalidOperationException">A message fragmented by the application is still open in <see cref="Encode"/>.</exception>
    public DataFrame CompressMessage(DataFrame message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Opcode is not (Opcode.Text or Opcode.Binary) || !message.IsFinal)
        {
            throw new ArgumentException("Pass a whole message: a final Text or Binary frame.", nameof(message));
        }

        CheckNoRsv1(message);
        if (_sendMessageOpen)
        {
            ThrowSendOutOfOrder();
        }

        return CompressWhole(message);
    }

    /// <summary>
    /// Transforms a frame about to be sent: a whole message as <see cref="CompressMessage"/> does; the fragments of a
    /// message fragmented by the application as one compressed stream (decided by its first fragment's size, RSV1 on
    /// that fragment only); control frames unchanged (RFC 7692 §6.1: never compressed).
    /// </summary>
    /// <param name="frame">The frame as the application gave it, without RSV1.</param>
    /// <returns>The frame to write.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="frame"/> is null.</exception>
    /// <exception cref="ArgumentException">The frame already has RSV1 set.</exception>
    /// <exception cref="InvalidOperationException">The fragments are out of order (RFC 6455 §5.4).</exception>
    public Frame Encode(Frame frame) => EncodeCore(frame, compress: true);

    /// <summary>
    /// As <see cref="Encode"/>, except that the message this frame starts is sent as it is, RSV1 clear: RFC 7692 §6
    /// marks compression per message with the "Per-Message Compressed" bit, so a message without it is an ordinary
    /// uncompressed message. The compressor is not touched, so with context takeover the next compressed message still
    /// refers to the window of the last compressed one, exactly as the peer's decompressor, which also skipped this
    /// message, expects.
    /// </summary>
    /// <param name="frame">The frame as the application gave it, without RSV1. Only a message's first frame decides.</param>
    /// <returns>The frame to write.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="frame"/> is null.</exception>
    /// <exception cref="ArgumentException">The frame already has RSV1 set.</exception>
    /// <exception cref="InvalidOperationException">The fragments are out of order (RFC 6455 §5.4).</exception>
    public Frame EncodeUncompressed(Frame frame) => EncodeCore(frame, compress: false);

    private Frame EncodeCore(Frame frame, bool compress)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.IsControl)
        {
            return frame;
        }

        CheckNoRsv1(frame);
        var data = (DataFrame)frame;
        if (frame.Opcode == Opcode.Continuation)
        {
            if (!_sendMessageOpen)
            {
                ThrowSendOutOfOrder();
            }

            if (!_sendCompressing)
            {
                _sendMessageOpen = !frame.IsFinal;
                return frame;
            }

            var compressed = _deflater.Compress(frame.Payload.Span, frame.IsFinal);
            _sendMessageOpen = !frame.IsFinal;
            return new ContinuationFrame(compressed, frame.IsFinal, rsv1: false);
        }

        if (_sendMessageOpen)
        {
            ThrowSendOutOfOrder();
        }

        if (frame.IsFinal)
        {
            return compress ? CompressWhole(data) : frame;
        }

        // The total size is unknown, so the first fragment decides.
        _sendCompressing = compress && frame.Payload.Length >= _minimumSizeToCompress;
        _sendMessageOpen = true;
        return _sendCompressing ? CreateDataFrame(frame.Opcode, _deflater.Compress(frame.Payload.Span, endOfMessage: false), isFinal: false, rsv1: true) : frame;
    }

    /// <summary>
    /// Transforms a frame just received: inflates the frames of a compressed message (RSV1 on its first frame) and
    /// returns them with RSV1 clear; returns anything else unchanged.
    /// </summary>
    /// <param name="frame">The frame as the decoder produced it, in wire order.</param>
    /// <returns>The frame to deliver: for a compressed message, a new frame of the same opcode and FIN whose payload is what this fragment inflated to.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="frame"/> is null.</exception>
    /// <exception cref="FrameTooBigException">The message inflates to more than <see cref="FrameLimits.MaxMessageSize"/> (1009).</exception>
    /// <exception cref="WebSocketProtocolException">
    /// The payload is not valid DEFLATE or the inflated text is not UTF-8 (1007); RSV1 is set on a continuation or
    /// control frame, or the fragments are out of order (1002).
    /// </exception>
    public Frame Decode(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.IsControl)
        {
            // RFC 7692 §6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and
            // non-first fragments of a data message. An endpoint receiving such a frame MUST _Fail the WebSocket
            // Connection_." (Frame.Create already refuses a control frame with RSV bits; kept for other sources.)
            if (frame.Rsv1)
            {
                ThrowRsv1Misplaced();
            }

            return frame;
        }

        if (frame.Opcode == Opcode.Continuation)
        {
            if (frame.Rsv1)
            {
                ThrowRsv1Misplaced();
            }

            // RFC 6455 §5.4: a continuation belongs to an open message (the decoder checks it too).
            if (!_receiveMessageOpen)
            {
                ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "A continuation frame arrived with no message to continue (RFC 6455 §5.4).");
            }

            _receiveMessageOpen = !frame.IsFinal;
            return _receiveCompressed ? Inflate(frame) : frame;
        }

        if (_receiveMessageOpen)
        {
            ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "A new data frame arrived while a fragmented message was open (RFC 6455 §5.4).");
        }

        _receiveMessageOpen = !frame.IsFinal;
        _receiveCompressed = frame.Rsv1;
        if (!frame.Rsv1)
        {
            return frame;
        }

        _receiveText = frame.Opcode == Opcode.Text;
        _receiveUtf8 = default;
        return Inflate(frame);
    }

    /// <summary>Releases the compressor and decompressor (their native zlib state).</summary>
    public void Dispose()
    {
        _deflater.Dispose();
        _inflater.Dispose();
    }

    private static DataFrame CreateDataFrame(Opcode opcode, byte[] payload, bool isFinal, bool rsv1) => opcode switch
    {
        Opcode.Text => new TextFrame(payload, isFinal, rsv1),
        Opcode.Binary => new BinaryFrame(payload, isFinal, rsv1),
        _ => new ContinuationFrame(payload, isFinal, rsv1),
    };

    private static void CheckNoRsv1(Frame frame)
    {
        if (frame.Rsv1)
        {
            throw new ArgumentException("RSV1 belongs to permessage-deflate on this connection; send frames without it.", nameof(frame));
        }
    }

    [DoesNotReturn]
    [System.Diagnostics.StackTraceHidden]
    private static void ThrowSendOutOfOrder() =>
        throw new InvalidOperationException("Fragments out of order: a Text or Binary frame starts a message and continuations follow it until one is final (RFC 6455 §5.4).");

    [DoesNotReturn]
    [System.Diagnostics.StackTraceHidden]
    private static void ThrowRsv1Misplaced() =>
        ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "RSV1 is set on a control frame or a continuation frame (RFC 7692 §6.1).");

    [DoesNotReturn]
    [System.Diagnostics.StackTraceHidden]
    private static void ThrowInvalidUtf8() =>
        ThrowHelper.ThrowProtocolError(CloseCode.NotConsistent, "A compressed text message is not valid UTF-8 once inflated (RFC 6455 §8.1).");

    private DataFrame CompressWhole(DataFrame message)
    {
        var payload = message.Payload;
        if (payload.IsEmpty || payload.Length < _minimumSizeToCompress)
        {
            return message;
        }

        return CreateDataFrame(message.Opcode, _deflater.Compress(payload.Span, endOfMessage: true), isFinal: true, rsv1: true);
    }

    private DataFrame Inflate(Frame frame)
    {
        // RFC 7692 §7.2.2: the payloads of all the message's frames, with 00 00 FF FF appended, form the DEFLATE
        // data; fragment by fragment gives the same bytes without holding the whole message.
        var inflated = _inflater.Inflate(frame.Payload, frame.IsFinal, _maxMessageSize);
        if (_receiveText)
        {
            // RFC 6455 §8.1: invalid UTF-8 fails the connection with 1007, here on the inflated bytes, since the
            // decoder could not see them; a character may be split across fragments, not across the message end.
            if (!_receiveUtf8.Advance(inflated) || (frame.IsFinal && !_receiveUtf8.IsComplete))
            {
                ThrowInvalidUtf8();
            }
        }

        return CreateDataFrame(frame.Opcode, inflated, frame.IsFinal, rsv1: false);
    }
}
