using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Protocol.Extensions;
using Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;

namespace Rx.WebSockets.Benchmarks.CompressedEcho;

/// <summary>What one driver run measures.</summary>
/// <param name="Port">The server's port on 127.0.0.1.</param>
/// <param name="Path">The WebSocket path.</param>
/// <param name="Connections">Concurrent connections, each with one message in flight (send, await the echo, repeat).</param>
/// <param name="Warmup">Echoes before the measurement (not counted).</param>
/// <param name="Measure">The measured period.</param>
internal sealed record DriverSettings(int Port, string Path, int Connections, TimeSpan Warmup, TimeSpan Measure);

/// <summary>The figures of one run.</summary>
internal sealed record DriverResult(
    long Messages, TimeSpan Elapsed, long PayloadBytes, long WireBytesToServer, long WireBytesFromServer, TimeSpan ClientCpu, long Verified, string Agreement)
{
    public string ToLine() => string.Create(
        CultureInfo.InvariantCulture,
        $"messages={Messages} seconds={Elapsed.TotalSeconds:F3} msgs_per_s={Messages / Elapsed.TotalSeconds:F1} " +
        $"ratio_from_server={(double)WireBytesFromServer / PayloadBytes:F4} ratio_to_server={(double)WireBytesToServer / PayloadBytes:F4} " +
        $"client_cpu_us_per_msg={ClientCpu.TotalMicroseconds / Math.Max(1, Messages):F1} verified_in_warmup={Verified} agreement=\"{Agreement}\"");
}

/// <summary>
/// The load driver: raw sockets and this library's sans-I/O codec, built so that the client is never what limits the
/// figure. Every message is a distinct 16 KiB JSON-like text (64 of them, cycled). The client offers
/// <c>permessage-deflate; client_no_context_takeover</c>, so each message can be compressed and masked once, up
/// front: sending costs a socket write. During the warm-up every echo is inflated (with the server's context
/// takeover) and compared with what was sent, so a server that echoes wrongly fails the run; in the measured period
/// the client only parses the echoed frames and counts their bytes, so that it costs a small fraction of what the
/// server does per message (the script prints both).
/// </summary>
/// <remarks>
/// Figures: messages/s over the measured period (echoes completed), the compression ratio of each direction as
/// compressed payload bytes / uncompressed payload bytes (frame headers, 4 bytes per 16 KiB, left out), and the
/// client's CPU time per message, to show how much of its core the client used.
/// </remarks>
internal static class Driver
{
    public const int MessageSize = 16 * 1024;
    public const int DistinctMessages = 64;
    private const string Offer = "permessage-deflate; client_no_context_takeover";

    public static async Task<DriverResult> RunAsync(DriverSettings settings, CancellationToken cancellationToken)
    {
        var messages = Enumerable.Range(0, DistinctMessages).Select(i => Encoding.UTF8.GetBytes(JsonLike.Create(MessageSize, seed: i))).ToArray();
        var connections = new List<Connection>();
        for (int i = 0; i < settings.Connections; i++)
        {
            connections.Add(await Connection.OpenAsync(settings, messages, offset: i * 7, cancellationToken));
        }

        var phase = new Phase();
        var loops = connections.Select(c => Task.Run(() => c.EchoLoopAsync(phase, cancellationToken), cancellationToken)).ToArray();

        await Task.Delay(settings.Warmup, cancellationToken);
        phase.StopVerifying();

        // Markers for the script, which reads the server's CPU time when it sees them.
        Console.WriteLine("measure-start");
        var startCounts = connections.Select(c => c.Snapshot()).ToArray();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        long started = Stopwatch.GetTimestamp();
        await Task.Delay(settings.Measure, cancellationToken);
        var endCounts = connections.Select(c => c.Snapshot()).ToArray();
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        Console.WriteLine("measure-end");
        phase.Stop();
        await Task.WhenAll(loops);
        foreach (var connection in connections)
        {
            connection.Dispose();
        }

        long verified = connections.Sum(c => c.Verified);
        if (connections.Any(c => c.Verified == 0))
        {
            throw new InvalidOperationException("a connection verified no echo during the warm-up: make it longer");
        }

        var delta = endCounts.Zip(startCounts, (end, start) => end - start).Aggregate(default(Counts), (a, b) => a + b);
        return new DriverResult(delta.Messages, elapsed, delta.PayloadBytes, delta.ToServer, delta.FromServer, cpu, verified, connections[0].Agreement);
    }

    /// <summary>Lets the echo loops stop after their current echo.</summary>
    private sealed class Phase
    {
        private volatile bool _stopped;
        private volatile bool _verifying = true;

        public bool Stopped => _stopped;

        public bool Verifying => _verifying;

        public void StopVerifying() => _verifying = false;

        public void Stop() => _stopped = true;
    }

    private readonly record struct Counts(long Messages, long PayloadBytes, long ToServer, long FromServer)
    {
        public static Counts operator +(Counts a, Counts b) =>
            new(a.Messages + b.Messages, a.PayloadBytes + b.PayloadBytes, a.ToServer + b.ToServer, a.FromServer + b.FromServer);

        public static Counts operator -(Counts a, Counts b) =>
            new(a.Messages - b.Messages, a.PayloadBytes - b.PayloadBytes, a.ToServer - b.ToServer, a.FromServer - b.FromServer);
    }

    /// <summary>One WebSocket connection: its socket, its precomputed frames and its receive side.</summary>
    private sealed class Connection : IDisposable
    {
        private const int ReceiveBufferSize = 256 * 1024;

        private readonly Socket _socket;
        private readonly byte[][] _messages;
        private readonly byte[][] _frames;
        private readonly int[] _compressedLengths;
        private readonly PerMessageDeflateExtension _extension;
        private readonly FrameDecoder _decoder = new(Side.Client, FrameLimits.Default) { AllowRsv1OnFirstDataFrame = true };
        private readonly byte[] _buffer = new byte[ReceiveBufferSize];
        private int _start;
        private int _end;
        private int _next;
        private bool _verifying = true;
        private long _messagesDone;
        private long _payloadBytes;
        private long _toServer;
        private long _fromServer;

        private Connection(Socket socket, byte[][] messages, int offset, PerMessageDeflateExtension extension, string agreement, byte[] leftover)
        {
            _socket = socket;
            _messages = messages;
            _next = offset;
            _extension = extension;
            Agreement = agreement;
            leftover.CopyTo(_buffer, 0);
            _end = leftover.Length;

            // Compressed (client_no_context_takeover: each alone) and masked once; the mask key is random per frame.
            var encoder = new FrameEncoder(Side.Client);
            _frames = new byte[messages.Length][];
            _compressedLengths = new int[messages.Length];
            for (int i = 0; i < messages.Length; i++)
            {
                var compressed = extension.CompressMessage(Frame.Text(messages[i]));
                if (!compressed.Rsv1)
                {
                    throw new InvalidOperationException("the client did not compress");
                }

                var output = new ArrayBufferWriter<byte>();
                encoder.Encode(compressed, output);
                _frames[i] = output.WrittenSpan.ToArray();
                _compressedLengths[i] = compressed.Payload.Length;
            }
        }

        public string Agreement { get; }

        /// <summary>Echoes inflated and compared during the warm-up.</summary>
        public long Verified { get; private set; }

        public static async Task<Connection> OpenAsync(DriverSettings settings, byte[][] messages, int offset, CancellationToken cancellationToken)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, settings.Port), cancellationToken);
            string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            string request =
                $"GET {settings.Path} HTTP/1.1\r\nHost: 127.0.0.1:{settings.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {Offer}\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancellationToken);

            var head = new List<byte>();
            var chunk = new byte[4096];
            int headEnd;
            while ((headEnd = IndexOfHeadEnd(head)) < 0)
            {
                int read = await socket.ReceiveAsync(chunk, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    throw new InvalidOperationException("the server closed the connection during the handshake");
                }

                head.AddRange(chunk.AsSpan(0, read));
            }

            string response = Encoding.ASCII.GetString(head.ToArray(), 0, headEnd);
            var lines = response.Split("\r\n");
            if (!lines[0].StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"no upgrade: {lines[0]}");
            }

            string agreement = lines.Skip(1)
                .Where(l => l.StartsWith("Sec-WebSocket-Extensions:", StringComparison.OrdinalIgnoreCase))
                .Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())
                .SingleOrDefault() ?? throw new InvalidOperationException("the server did not agree to permessage-deflate");
            var extension = new PerMessageDeflateExtension(Side.Client, ParseAgreement(agreement));
            return new Connection(socket, messages, offset, extension, agreement, head.Skip(headEnd + 4).ToArray());
        }

        public Counts Snapshot() => new(
            Interlocked.Read(ref _messagesDone), Interlocked.Read(ref _payloadBytes), Interlocked.Read(ref _toServer), Interlocked.Read(ref _fromServer));

        public async Task EchoLoopAsync(Phase phase, CancellationToken cancellationToken)
        {
            while (!phase.Stopped)
            {
                int index = _next++ % _messages.Length;
                await _socket.SendAsync(_frames[index], SocketFlags.None, cancellationToken);
                bool verify = _verifying && phase.Verifying;
                var (payload, compressedLength) = await ReceiveMessageAsync(verify, cancellationToken);
                if (verify && !payload.AsSpan().SequenceEqual(_messages[index]))
                {
                    throw new InvalidOperationException($"echo {_messagesDone} differs from what was sent ({payload.Length} bytes)");
                }

                if (verify)
                {
                    Verified++;
                }

                // Once one echo went unverified, the inflater has missed part of the server's context: verify no more.
                _verifying = verify;
                Interlocked.Add(ref _toServer, _compressedLengths[index]);
                Interlocked.Add(ref _fromServer, compressedLength);
                Interlocked.Add(ref _payloadBytes, _messages[index].Length);
                Interlocked.Increment(ref _messagesDone);
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            _extension.Dispose();
        }

        private static PerMessageDeflateParameters ParseAgreement(string agreement)
        {
            if (!ExtensionHeader.TryParseList([agreement], out var elements) || elements.Count != 1)
            {
                throw new InvalidOperationException($"unreadable agreement: {agreement}");
            }

            var parameters = new PerMessageDeflateParameters();
            foreach (var parameter in elements[0].Parameters)
            {
                parameters = parameter.Name.ToLowerInvariant() switch
                {
                    "server_no_context_takeover" => parameters with { ServerNoContextTakeover = true },
                    "client_no_context_takeover" => parameters with { ClientNoContextTakeover = true },
                    "server_max_window_bits" => parameters with { ServerMaxWindowBits = int.Parse(parameter.Value!, CultureInfo.InvariantCulture) },
                    "client_max_window_bits" => parameters with { ClientMaxWindowBits = int.Parse(parameter.Value!, CultureInfo.InvariantCulture) },
                    _ => throw new InvalidOperationException($"unknown parameter in {agreement}"),
                };
            }

            if (!parameters.ClientNoContextTakeover)
            {
                throw new InvalidOperationException($"the precomputed frames need client_no_context_takeover: {agreement}");
            }

            return parameters;
        }

        private static int IndexOfHeadEnd(List<byte> bytes)
        {
            for (int i = 3; i < bytes.Count; i++)
            {
                if (bytes[i - 3] == '\r' && bytes[i - 2] == '\n' && bytes[i - 1] == '\r' && bytes[i] == '\n')
                {
                    return i - 3;
                }
            }

            return -1;
        }

        /// <summary>
        /// Reads frames until a whole data message has arrived; returns it inflated when <paramref name="inflate"/>
        /// (else empty), and its payload bytes on the wire.
        /// </summary>
        private async Task<(byte[] Payload, int WireLength)> ReceiveMessageAsync(bool inflate, CancellationToken cancellationToken)
        {
            var parts = new List<byte[]>();
            int wire = 0;
            while (true)
            {
                var frame = TryDecode();
                if (frame is null)
                {
                    if (_start > 0)
                    {
                        _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                        _end -= _start;
                        _start = 0;
                    }

                    int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
                    if (read == 0)
                    {
                        throw new InvalidOperationException("the server closed the connection");
                    }

                    _end += read;
                    continue;
                }

                if (frame.IsControl)
                {
                    throw new InvalidOperationException($"unexpected {frame}");
                }

                if (!frame.Rsv1 && frame.Opcode != Opcode.Continuation)
                {
                    throw new InvalidOperationException("the server sent an uncompressed message");
                }

                wire += frame.Payload.Length;
                if (inflate)
                {
                    parts.Add(_extension.Decode(frame).Payload.ToArray());
                }

                if (frame.IsFinal)
                {
                    return (parts.Count == 1 ? parts[0] : parts.SelectMany(p => p).ToArray(), wire);
                }
            }
        }

        private Frame? TryDecode()
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_buffer, _start, _end - _start));
            if (_decoder.TryDecode(ref reader, out var frame) != OperationStatus.Done)
            {
                return null;
            }

            _start += (int)reader.Consumed;
            return frame;
        }
    }
}

/// <summary>Distinct JSON-like texts: records of ids, names, numbers, timestamps and short phrases, as a real-time app sends.</summary>
internal static class JsonLike
{
    private static readonly string[] s_words =
    [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
        "order", "filled", "pending", "cancelled", "buy", "sell", "limit", "market", "EUR", "USD", "BTC", "ETH",
    ];

    public static string Create(int length, int seed)
    {
        var random = new Random(seed);
        var builder = new StringBuilder(length + 256);
        builder.Append('[');
        while (builder.Length < length - 1)
        {
            builder.Append(CultureInfo.InvariantCulture, $"{{\"id\":{random.Next(1_000_000)},\"user\":\"user{random.Next(10_000)}\",")
                .Append(CultureInfo.InvariantCulture, $"\"ts\":{1_700_000_000_000L + random.Next(100_000_000)},\"price\":{random.Next(100_000) / 100.0:F2},")
                .Append(CultureInfo.InvariantCulture, $"\"qty\":{random.Next(1, 500)},\"side\":\"{s_words[random.Next(16, 18)]}\",\"status\":\"{s_words[random.Next(12, 16)]}\",")
                .Append("\"note\":\"").Append(s_words[random.Next(s_words.Length)]).Append(' ').Append(s_words[random.Next(s_words.Length)])
                .Append(' ').Append(s_words[random.Next(s_words.Length)]).Append("\"},");
        }

        builder.Length = length - 1;
        builder.Append(']');
        return builder.ToString();
    }
}
