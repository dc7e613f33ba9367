using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.LoadGen;

/// <summary>
/// One client connection: a receive loop that parses every frame in each read (a streaming header parser that skips
/// payloads without copying them) and a send loop that writes everything queued since its last send in one call.
/// In closed-loop mode each echo received queues the next message, so the number in flight stays constant.
/// </summary>
internal sealed class Connection
{
    private const byte OpcodeContinuation = 0x0;
    private const byte OpcodeText = 0x1;
    private const byte OpcodeBinary = 0x2;
    private const byte OpcodeClose = 0x8;
    private const byte OpcodePing = 0x9;
    private const byte FinBit = 0x80;
    private const byte MaskBit = 0x80;
    private const byte OpcodeMask = 0x0F;
    private const byte Length16 = 126;
    private const byte Length64 = 127;

    private readonly Socket _socket;
    private readonly Workload _workload;
    private readonly bool _closedLoop;
    private readonly byte[] _receiveBuffer;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly bool _inline;
    private readonly object _gate = new();
    private readonly Queue<long> _sentAt = new();
    private readonly List<byte[]> _pongs = new();
    private readonly byte[] _header = new byte[14];
    private readonly byte[] _control = new byte[125];
    private int _pendingMessages;
    private bool _signalled;

    // Parser state.
    private int _headerHave;
    private int _headerNeed = 2;
    private long _payloadLeft;
    private byte _opcode;
    private bool _fin;
    private int _controlHave;
    private long _messageBytes;

    /// <summary>Whole echoed messages received. Written by the receive loop only; read by the sampler.</summary>
    public long Echoes;

    /// <summary>Payload bytes of the echoed messages received.</summary>
    public long EchoBytes;

    /// <summary>Pings received (and answered).</summary>
    public long Pings;

    /// <summary>Messages written.</summary>
    public long Sent;

    private Connection(Socket socket, Workload workload, bool closedLoop, int receiveBufferSize)
    {
        _socket = socket;
        _workload = workload;
        _closedLoop = closedLoop;
        _receiveBuffer = new byte[receiveBufferSize];
        // Closed loop with frames that fit the socket buffers: the receive loop writes the next messages itself right
        // after parsing a read, with no hop to the send loop. A 4 MiB message goes through the send loop instead, so that
        // receiving never waits for a send the peer can only complete by having its echo read.
        _inline = closedLoop && workload.Frame.Length <= 64 * 1024;
    }

    /// <summary>Set when the connection ended (the peer closed, reset, or sent Close).</summary>
    public bool Closed { get; private set; }

    /// <summary>Why the connection ended, if it did.</summary>
    public string? Error { get; private set; }

    /// <summary>Round-trip times in Stopwatch ticks, recorded while <see cref="Recorder.On"/> is set.</summary>
    public List<long> Rtts { get; } = new();

    /// <summary>Connects, performs the opening handshake (unless the peer is the raw TCP echo) and starts both loops.</summary>
    public static async Task<Connection> OpenAsync(
        IPEndPoint server, IPAddress? source, string path, Workload workload, bool raw, bool closedLoop, int receiveBufferSize, CancellationToken cancel)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(server, cancel).ConfigureAwait(false);
            var connection = new Connection(socket, workload, closedLoop, receiveBufferSize);
            int leftover = raw ? 0 : await connection.HandshakeAsync(server, path, cancel).ConfigureAwait(false);
            _ = connection.ReceiveLoopAsync(leftover);
            _ = connection.SendLoopAsync();
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Queues <paramref name="count"/> messages; the send loop writes them together.</summary>
    public void Enqueue(int count)
    {
        bool wake;
        lock (_gate)
        {
            _pendingMessages += count;
            wake = !_signalled;
            _signalled = true;
        }

        if (wake)
        {
            _signal.Release();
        }
    }

    /// <summary>Closes the socket (the benchmark ends by killing the server, so no close handshake).</summary>
    public void Abort()
    {
        Closed = true;
        try
        {
            _socket.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task<int> HandshakeAsync(IPEndPoint server, string path, CancellationToken cancel)
    {
        string request = $"GET {path} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await _socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancel).ConfigureAwait(false);
        int have = 0;
        while (true)
        {
            int n = await _socket.ReceiveAsync(_receiveBuffer.AsMemory(have), SocketFlags.None, cancel).ConfigureAwait(false);
            if (n == 0)
            {
                throw new InvalidOperationException("The server closed the connection during the handshake.");
            }

            have += n;
            int end = _receiveBuffer.AsSpan(0, have).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                continue;
            }

            if (!_receiveBuffer.AsSpan(0, have).StartsWith("HTTP/1.1 101"u8))
            {
                throw new InvalidOperationException("Handshake refused: " + Encoding.ASCII.GetString(_receiveBuffer, 0, end));
            }

            int leftover = have - (end + 4);
            _receiveBuffer.AsSpan(end + 4, leftover).CopyTo(_receiveBuffer);
            return leftover;
        }
    }

    private async Task ReceiveLoopAsync(int leftover)
    {
        try
        {
            if (leftover > 0)
            {
                Parse(_receiveBuffer.AsSpan(0, leftover));
            }

            while (!Closed)
            {
                int n = await _socket.ReceiveAsync(_receiveBuffer, SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    Fail("the server closed the connection");
                    return;
                }

                Parse(_receiveBuffer.AsSpan(0, n));
                if (_inline)
                {
                    await FlushAsync().ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Fail(e.Message);
        }
    }

    private async Task SendLoopAsync()
    {
        try
        {
            while (!Closed)
            {
                await _signal.WaitAsync().ConfigureAwait(false);
                await FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Fail(e.Message);
        }
    }

    /// <summary>Writes every pong and message queued so far; sends are serialised by <see cref="_sendLock"/>.</summary>
    private async ValueTask FlushAsync()
    {
        int messages;
        byte[][] pongs;
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                messages = _pendingMessages;
                _pendingMessages = 0;
                pongs = _pongs.Count == 0 ? Array.Empty<byte[]>() : _pongs.ToArray();
                _pongs.Clear();
                _signalled = false;
            }

            foreach (byte[] pong in pongs)
            {
                await _socket.SendAsync(pong, SocketFlags.None).ConfigureAwait(false);
            }

            if (messages == 0)
            {
                return;
            }

            // The timestamps go in before the bytes go out, so that an echo can never overtake its timestamp.
            long now = Stopwatch.GetTimestamp();
            lock (_sentAt)
            {
                for (int i = 0; i < messages; i++)
                {
                    _sentAt.Enqueue(now);
                }
            }

            Sent += messages;
            while (messages > 0)
            {
                int batch = Math.Min(messages, _workload.BurstCount);
                await _socket.SendAsync(_workload.Burst.AsMemory(0, batch * _workload.Frame.Length), SocketFlags.None).ConfigureAwait(false);
                messages -= batch;
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void Fail(string reason)
    {
        if (!Closed)
        {
            Error ??= reason;
            Closed = true;
        }
    }

    private void Parse(ReadOnlySpan<byte> data)
    {
        int replenish = 0;
        while (!data.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                int take = (int)Math.Min(_payloadLeft, data.Length);
                if (_opcode >= OpcodeClose)
                {
                    data[..take].CopyTo(_control.AsSpan(_controlHave));
                    _controlHave += take;
                }

                _payloadLeft -= take;
                data = data[take..];
                if (_payloadLeft == 0)
                {
                    replenish += CompleteFrame();
                }

                continue;
            }

            _header[_headerHave++] = data[0];
            data = data[1..];
            if (_headerHave == 2)
            {
                byte length = (byte)(_header[1] & 0x7F);
                _headerNeed = 2 + (length == Length16 ? 2 : length == Length64 ? 8 : 0) + ((_header[1] & MaskBit) != 0 ? 4 : 0);
            }

            if (_headerHave < _headerNeed)
            {
                continue;
            }

            _fin = (_header[0] & FinBit) != 0;
            _opcode = (byte)(_header[0] & OpcodeMask);
            byte len7 = (byte)(_header[1] & 0x7F);
            _payloadLeft = len7 switch
            {
                Length16 => (_header[2] << 8) | _header[3],
                Length64 => (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2)),
                _ => len7,
            };
            _headerHave = 0;
            _headerNeed = 2;
            _controlHave = 0;
            if (_opcode < OpcodeClose)
            {
                _messageBytes += _payloadLeft;
            }

            if (_payloadLeft == 0)
            {
                replenish += CompleteFrame();
            }
        }

        if (replenish > 0 && _closedLoop && !Closed)
        {
            if (_inline)
            {
                lock (_gate)
                {
                    _pendingMessages += replenish;
                }
            }
            else
            {
                Enqueue(replenish);
            }
        }
    }

    /// <summary>Handles a frame whose payload has been read; returns 1 when it ended an echoed message.</summary>
    private int CompleteFrame()
    {
        switch (_opcode)
        {
            case OpcodeText or OpcodeBinary or OpcodeContinuation:
                if (!_fin)
                {
                    return 0;
                }

                long sentAt;
                lock (_sentAt)
                {
                    sentAt = _sentAt.Count > 0 ? _sentAt.Dequeue() : 0;
                }

                if (Recorder.On && sentAt != 0)
                {
                    Rtts.Add(Stopwatch.GetTimestamp() - sentAt);
                }

                EchoBytes += _messageBytes;
                _messageBytes = 0;
                Echoes++;
                return 1;
            case OpcodePing:
                Pings++;
                QueuePong(_control.AsSpan(0, _controlHave));
                return 0;
            case OpcodeClose:
                Fail(_controlHave >= 2
                    ? $"the server sent Close {(_control[0] << 8) | _control[1]} {Encoding.UTF8.GetString(_control, 2, _controlHave - 2)}"
                    : "the server sent Close");
                return 0;
            default:
                return 0;
        }
    }

    private void QueuePong(ReadOnlySpan<byte> payload)
    {
        // RFC 6455 §5.5.3: the Pong carries the Ping's application data; a client masks every frame it sends.
        var pong = new byte[6 + payload.Length];
        pong[0] = FinBit | 0xA;
        pong[1] = (byte)(MaskBit | payload.Length);
        ReadOnlySpan<byte> key = [0x12, 0x34, 0x56, 0x78];
        key.CopyTo(pong.AsSpan(2));
        for (int i = 0; i < payload.Length; i++)
        {
            pong[6 + i] = (byte)(payload[i] ^ key[i & 3]);
        }

        bool wake;
        lock (_gate)
        {
            _pongs.Add(pong);
            wake = !_signalled && !_inline;
            _signalled |= wake;
        }

        if (wake)
        {
            _signal.Release();
        }
    }
}

/// <summary>Whether echoes record their round-trip time (only inside the measured window).</summary>
internal static class Recorder
{
    private static volatile bool s_on;

    public static bool On
    {
        get => s_on;
        set => s_on = value;
    }
}

/// <summary>The message every connection sends: one masked frame, encoded once, and that frame repeated for batches.</summary>
internal sealed class Workload
{
    public Workload(int size, bool text, int burstCount)
    {
        var payload = new byte[size];
        if (text)
        {
            for (int i = 0; i < size; i++)
            {
                payload[i] = (byte)('a' + (i % 26));
            }
        }
        else
        {
            new Random(6).NextBytes(payload);
        }

        var output = new System.Buffers.ArrayBufferWriter<byte>(size + 14);
        var encoder = new Rx.WebSockets.Protocol.FrameEncoder(Side.Client);
        encoder.Encode(text ? Rx.WebSockets.Frame.Text(payload) : Rx.WebSockets.Frame.Binary(payload), output);
        Frame = output.WrittenSpan.ToArray();
        Size = size;
        Text = text;
        BurstCount = Math.Max(1, burstCount);
        Burst = new byte[Frame.Length * BurstCount];
        for (int i = 0; i < BurstCount; i++)
        {
            Frame.CopyTo(Burst, i * Frame.Length);
        }
    }

    public byte[] Frame { get; }

    public byte[] Burst { get; }

    public int BurstCount { get; }

    public int Size { get; }

    public bool Text { get; }
}
