using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Tests.Hosting;

/// <summary>How a <see cref="StreamingClient"/>'s connection ended.</summary>
public enum StreamEnd
{
    /// <summary>Still open when the client gave up waiting.</summary>
    None,

    /// <summary>The server's FIN: a clean TCP end.</summary>
    Fin,

    /// <summary>A reset.</summary>
    Reset,
}

/// <summary>What one <see cref="StreamingClient"/> saw, checked after the server stopped.</summary>
/// <param name="DataFrames">Whole data frames decoded, each a complete message (FIN set) that passed its content check.</param>
/// <param name="CutBytes">Bytes left undecoded when the connection ended: the start of a frame cut in half, or 0.</param>
/// <param name="Corrupt">A description of the first data frame whose content was wrong or out of sequence, or null.</param>
/// <param name="Close">The code of the server's Close frame, or null when none arrived.</param>
/// <param name="CloseMessage">The reason text of the server's Close frame, or null.</param>
/// <param name="FramesAfterClose">Frames that arrived after the server's Close (RFC 6455 §5.5.1 forbids data after it).</param>
/// <param name="End">How the TCP connection ended.</param>
public sealed record StreamingClientResult(long DataFrames, int CutBytes, string? Corrupt, int? Close, string? CloseMessage, int FramesAfterClose, StreamEnd End);

/// <summary>
/// The server side of the shutdown-under-load tests and benchmark: a WebSocket route whose session streams binary
/// messages in bursts, each message awaited until flushed (<see cref="IWebSocketSession.SendAsync"/>), one burst per
/// interval — paced, so that thousands of sessions leave the machine room to accept and stop them, and bursty, so
/// that many sessions have a frame on the wire when the server stops. Message <c>n</c> is <see cref="PayloadLength"/>(n) bytes: its sequence
/// number (4 bytes, little endian), then bytes <c>(byte)(n + i)</c>, so a client can check every message whole and in order.
/// </summary>
public static class ShutdownLoad
{
    public const string Path = "/stream";

    /// <summary>
    /// Mostly 8 to 4,007 bytes (headers of 2 and 4 bytes), and every 16th message 48 KiB, larger than a socket's
    /// first send: a frame that spans many TCP segments, the one a careless stop would cut.
    /// </summary>
    public static int PayloadLength(int sequence) => sequence % 16 == 15 ? 48 * 1024 : 8 + (int)((uint)(sequence * 7919) % 4_000u);

    /// <summary>Bytes 0, 1, ..., 255, 0, 1, ... long enough for any payload at any offset: the expected content, sliced.</summary>
    public static readonly byte[] Pattern = Enumerable.Range(0, 49 * 1024 + 256).Select(i => (byte)i).ToArray();

    public static byte[] Payload(int sequence)
    {
        var payload = new byte[PayloadLength(sequence)];
        BinaryPrimitives.WriteInt32LittleEndian(payload, sequence);
        for (int i = 4; i < payload.Length; i++)
        {
            payload[i] = (byte)(sequence + i);
        }

        return payload;
    }

    /// <summary>
    /// The route: bursts of <paramref name="burst"/> messages, each burst followed by a pause of <paramref name="interval"/>
    /// on the scheduler (Rx time, as everywhere in the library). The pinger is off: on a saturated machine its 20 s pong
    /// timeout closes sessions with 1011 before the stop, and these runs are about the stop.
    /// </summary>
    public static Action<Application> Module(TimeSpan interval, int burst) => app => app.WebSocket(Path, session =>
    {
        var scheduler = DefaultScheduler.Instance;
        int sequence = 0;
        var pause = Observable.Timer(interval, scheduler).Select(_ => Unit.Default).IgnoreElements();
        // Sessions start out of phase, so their bursts spread over the interval.
        var sending = Observable.Timer(TimeSpan.FromTicks(Random.Shared.NextInt64(interval.Ticks)), scheduler)
            .SelectMany(_ => Observable.FromAsync(async () =>
                {
                    for (int end = sequence + burst; sequence < end && session.State == WebSocketState.Open; sequence++)
                    {
                        await session.SendAsync(Frame.Binary(Payload(sequence))).ConfigureAwait(false);
                    }
                })
                .Concat(pause)
                .Repeat()
                .TakeWhile(_ => session.State == WebSocketState.Open))
            // The session ended (stopped and aborted, or the client went away) while a frame waited.
            .Catch<Unit, Rx.WebSockets.ConnectionClosedException>(_ => Observable.Empty<Unit>());
        // Reading Incoming lets the client's Close reply complete the closing handshake.
        return session.Incoming.IgnoreElements().Select(_ => Unit.Default).Merge(sending);
    }, options => options.PingInterval = null);
}

/// <summary>
/// A raw-socket WebSocket client for the shutdown-under-load tests: it sends the opening handshake, then decodes every
/// byte the server sends with the library's own <see cref="FrameDecoder"/> (client side), checks each message's content,
/// answers the server's Close when <c>answerClose</c> is set (RFC 6455 §5.5.1, masked with a fixed key), and records how
/// the connection ended.
/// </summary>
public sealed class StreamingClient : IDisposable
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";
    private static readonly byte[] s_headEnd = "\r\n\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly bool _answerClose;
    private readonly int _warmFrames;
    private readonly TaskCompletionSource _warm = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly FrameDecoder _decoder = new(Side.Client, FrameLimits.Default);
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private long _dataFrames;
    private string? _corrupt;
    private int? _close;
    private string? _closeMessage;
    private int _framesAfterClose;

    private StreamingClient(Socket socket, bool answerClose, int warmFrames)
    {
        _socket = socket;
        _answerClose = answerClose;
        _warmFrames = warmFrames;
    }

    /// <summary>Completes once <c>warmFrames</c> whole messages have arrived: the stream is flowing.</summary>
    public Task Warm => _warm.Task;

    /// <summary>Completes with the result once the server has ended the connection.</summary>
    public Task<StreamingClientResult> Completion { get; private set; } = null!;

    public static async Task<StreamingClient> ConnectAsync(IPEndPoint server, bool answerClose, int warmFrames, CancellationToken cancellationToken)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
            var client = new StreamingClient(socket, answerClose, warmFrames);
            await client.HandshakeAsync(server, cancellationToken).ConfigureAwait(false);
            client.Completion = Task.Run(() => client.ReadLoopAsync(cancellationToken), CancellationToken.None);
            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task HandshakeAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        string request = $"GET {ShutdownLoad.Path} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {Key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await _socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new InvalidOperationException("The server closed the connection during the opening handshake.");
            }

            _end += n;
            int headEnd = _buffer.AsSpan(0, _end).IndexOf(s_headEnd);
            if (headEnd >= 0)
            {
                string head = Encoding.ASCII.GetString(_buffer, 0, headEnd);
                if (!head.StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"The opening handshake failed: {head}");
                }

                // Frames that arrived with the 101 stay in the buffer for the decoder.
                _start = headEnd + s_headEnd.Length;
                return;
            }
        }
    }

    private async Task<StreamingClientResult> ReadLoopAsync(CancellationToken cancellationToken)
    {
        var end = StreamEnd.None;
        try
        {
            while (true)
            {
                await DecodeAvailableAsync(cancellationToken).ConfigureAwait(false);
                if (_start == _end)
                {
                    _start = _end = 0;
                }
                else if (_end == _buffer.Length)
                {
                    // A partial frame at the end of the buffer: move it to the front, growing the buffer for a big frame.
                    var next = _end - _start > _buffer.Length / 2 ? new byte[_buffer.Length * 2] : _buffer;
                    Buffer.BlockCopy(_buffer, _start, next, 0, _end - _start);
                    _buffer = next;
                    _end -= _start;
                    _start = 0;
                }

                int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    end = StreamEnd.Fin;
                    break;
                }

                _end += n;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown)
        {
            end = StreamEnd.Reset;
        }
        catch (OperationCanceledException)
        {
            end = StreamEnd.None;
        }

        _warm.TrySetResult();
        return new StreamingClientResult(Interlocked.Read(ref _dataFrames), _end - _start, _corrupt, _close, _closeMessage, _framesAfterClose, end);
    }

    private async Task DecodeAvailableAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Frame? frame;
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_buffer, _start, _end - _start));
            if (_decoder.TryDecode(ref reader, out frame) != OperationStatus.Done)
            {
                return;
            }

            _start += (int)reader.Consumed;
            if (_close is not null)
            {
                _framesAfterClose++;
                continue;
            }

            if (frame is CloseFrame close)
            {
                _close = close.Reason?.Code.Value ?? 1005;
                _closeMessage = close.Reason?.Message;
                if (_answerClose)
                {
                    // RFC 6455 §5.5.1: "the endpoint typically echos the status code it received".
                    await SendAsync(Frame.Close(close.Reason), cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (frame is PingFrame ping)
            {
                // RFC 6455 §5.5.2: "an endpoint MUST send a Pong frame in response"; the server's pinger is on.
                await SendAsync(Frame.Pong(ping.Payload), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (frame!.IsControl)
            {
                continue;
            }

            Check(frame);
        }
    }

    private async Task SendAsync(Frame frame, CancellationToken cancellationToken)
    {
        var encoded = new ArrayBufferWriter<byte>();
        new FrameEncoder(Side.Client, FixedMask.Instance).Encode(frame, encoded);
        await _socket.SendAsync(encoded.WrittenMemory, SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }

    private void Check(Frame frame)
    {
        long index = Interlocked.Read(ref _dataFrames);
        var payload = frame.Payload.Span;
        bool whole = frame.Opcode == Opcode.Binary && frame.IsFinal && payload.Length >= 4;
        int sequence = whole ? BinaryPrimitives.ReadInt32LittleEndian(payload) : -1;
        if (!whole || sequence != index || payload.Length != ShutdownLoad.PayloadLength(sequence) || !IsPattern(payload, sequence))
        {
            _corrupt ??= $"frame {index}: {frame.Opcode}, fin {frame.IsFinal}, {payload.Length} bytes, sequence {sequence}";
        }

        if (Interlocked.Increment(ref _dataFrames) == _warmFrames)
        {
            _warm.TrySetResult();
        }
    }

    private static bool IsPattern(ReadOnlySpan<byte> payload, int sequence) =>
        payload[4..].SequenceEqual(ShutdownLoad.Pattern.AsSpan((sequence + 4) & 0xFF, payload.Length - 4));
}

/// <summary>One mask key for every client frame: the tests check framing, not masking's unpredictability.</summary>
internal sealed class FixedMask : IMaskKeySource
{
    public static readonly FixedMask Instance = new();

    public uint NextMaskKey() => 0x37FA213D;
}
