using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Protocol.Extensions;

namespace Rx.WebSockets.Session.Testing;

/// <summary>
/// A scripted peer over one end of a transport: it writes frames or raw bytes and reads the frames the session under
/// test sends, with the library's own encoder and decoder and no session logic — no automatic pong, no Close reply —
/// so that a test decides every byte (python-websockets' recording protocol, as a peer).
/// </summary>
/// <remarks>Thread-safety: one sender and one receiver may run concurrently; each of the two directions is single-threaded.</remarks>
public sealed class WebSocketTestPeer
{
    private readonly IDuplexPipe _end;
    private readonly FrameEncoder _encoder;
    private readonly FrameDecoder _decoder;
    private readonly IWebSocketExtension? _extension;
    private bool _inputEnded;

    /// <summary>Creates a peer.</summary>
    /// <param name="end">The transport end the peer uses, e.g. <see cref="InMemoryTransport.Client"/>.</param>
    /// <param name="side">The side the peer plays: a client masks what it sends and expects unmasked frames.</param>
    /// <param name="maskKeySource">Masking keys for a client peer; random when null.</param>
    /// <param name="limits">Limits on frames the peer receives; <see cref="FrameLimits.Default"/> when null.</param>
    /// <param name="extension">
    /// An extension for the peer's side (e.g. a client-side permessage-deflate), or null: when given,
    /// <see cref="SendAsync"/> passes each frame through its <see cref="IWebSocketExtension.Encode"/> and
    /// <see cref="ReceiveAsync"/> through its <see cref="IWebSocketExtension.Decode"/>. The caller disposes it.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="end"/> is null.</exception>
    public WebSocketTestPeer(IDuplexPipe end, Side side, IMaskKeySource? maskKeySource = null, FrameLimits? limits = null, IWebSocketExtension? extension = null)
    {
        ArgumentNullException.ThrowIfNull(end);
        _end = end;
        Side = side;
        _extension = extension;
        _encoder = new FrameEncoder(side, maskKeySource);
        _decoder = new FrameDecoder(side, limits ?? FrameLimits.Default) { AllowRsv1OnFirstDataFrame = extension?.UsesRsv1 == true };
    }

    /// <summary>The side the peer plays.</summary>
    public Side Side { get; }

    /// <summary>Encodes <paramref name="frame"/> (through the extension if any, masked if the peer is a client) and flushes it.</summary>
    /// <param name="frame">The frame.</param>
    /// <returns>A task that completes when the bytes are in the transport.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="frame"/> is null.</exception>
    public async Task SendAsync(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        _encoder.Encode(_extension is null ? frame : _extension.Encode(frame), _end.Output);
        await _end.Output.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Writes raw bytes (for malformed input) and flushes them.</summary>
    /// <param name="bytes">The bytes, as they should appear on the wire.</param>
    /// <returns>A task that completes when the bytes are in the transport.</returns>
    public async Task SendBytesAsync(ReadOnlyMemory<byte> bytes) => await _end.Output.WriteAsync(bytes).ConfigureAwait(false);

    /// <summary>Ends the peer's output: the session sees the end of its input (a TCP FIN), or a transport error.</summary>
    /// <param name="error">The transport error to report, or null for a clean end of stream.</param>
    public void CompleteOutput(Exception? error = null) => _end.Output.Complete(error);

    /// <summary>Receives the next frame the session sent.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The frame, or <see langword="null"/> once the session completed its output (end of stream).</returns>
    /// <exception cref="WebSocketProtocolException">The session sent something the peer's decoder rejects.</exception>
    public async Task<Frame?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (_inputEnded)
        {
            return null;
        }

        var input = _end.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var frame = DecodeOne(buffer, out var consumed);
            if (frame is not null)
            {
                input.AdvanceTo(consumed);
                return _extension is null ? frame : _extension.Decode(frame);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                _inputEnded = true;
                await input.CompleteAsync().ConfigureAwait(false);
                return null;
            }
        }
    }

    /// <summary>Receives every frame until the session completes its output.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The frames in order.</returns>
    public async Task<IReadOnlyList<Frame>> ReceiveAllAsync(CancellationToken cancellationToken = default)
    {
        var frames = new List<Frame>();
        while (await ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    private Frame? DecodeOne(ReadOnlySequence<byte> buffer, out SequencePosition consumed)
    {
        var reader = new SequenceReader<byte>(buffer);
        var status = _decoder.TryDecode(ref reader, out var frame);
        consumed = reader.Position;
        return status == OperationStatus.Done ? frame : null;
    }
}
