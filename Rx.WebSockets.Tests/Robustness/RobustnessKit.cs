using System.Buffers.Binary;
using System.Linq;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Threading.Channels;
using System.Threading.Tasks;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Robustness;

/// <summary>
/// RFC 6455 §5.2 frames written and read byte by byte over a <see cref="RawHttpConnection"/>, so that a hostile-client
/// test controls every byte (and every missing byte) the server sees.
/// </summary>
internal static class WsWire
{
    public const byte OpContinuation = 0x0;
    public const byte OpText = 0x1;
    public const byte OpBinary = 0x2;
    public const byte OpClose = 0x8;
    public const byte OpPing = 0x9;
    public const byte OpPong = 0xA;

    private const byte FinBit = 0x80;
    private const byte MaskBit = 0x80;
    private const byte Length16 = 126;
    private const byte Length64 = 127;

    /// <summary>How long a test waits for any event of the server (never a sleep).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    // RFC 6455 §1.3's sample key and its accept value.
    public static readonly string[] Handshake =
    {
        "GET /chat HTTP/1.1", "Host: x", "Upgrade: websocket", "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", "", "",
    };

    public static readonly string[] SwitchingProtocols =
    {
        "HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "", "",
    };

    public static byte[] HandshakeFor(string path) =>
        Encoding.ASCII.GetBytes(string.Join("\r\n", Handshake).Replace("GET /chat ", $"GET {path} ", StringComparison.Ordinal));

    /// <summary>
    /// A client frame (RFC 6455 §5.1: "a client MUST mask all frames") with the all-zero masking key, so the payload
    /// bytes go on the wire unchanged and large frames cost no masking work in the test.
    /// </summary>
    public static byte[] ClientFrame(byte opcode, ReadOnlySpan<byte> payload, bool fin = true) =>
        ClientFrameHeader(opcode, payload.Length, fin).Concat(payload.ToArray()).ToArray();

    /// <summary>The header (with its zero masking key) of a client frame announcing <paramref name="length"/> payload bytes.</summary>
    public static byte[] ClientFrameHeader(byte opcode, long length, bool fin = true)
    {
        var header = new byte[14];
        header[0] = (byte)((fin ? FinBit : 0) | opcode);
        int at;
        if (length < Length16)
        {
            header[1] = (byte)(MaskBit | length);
            at = 2;
        }
        else if (length <= ushort.MaxValue)
        {
            header[1] = MaskBit | Length16;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)length);
            at = 4;
        }
        else
        {
            header[1] = MaskBit | Length64;
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), (ulong)length);
            at = 10;
        }

        return header[..(at + 4)]; // the masking key is four zero bytes
    }

    public static byte[] ClientClose(ushort code)
    {
        var payload = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        return ClientFrame(OpClose, payload);
    }

    /// <summary>Sends the opening handshake and asserts the 101.</summary>
    public static async Task UpgradeAsync(this RawHttpConnection client, string path = "/chat")
    {
        await client.SendBytes(HandshakeFor(path));
        await client.Receive(SwitchingProtocols);
    }

    /// <summary>Reads one unmasked server frame (RFC 6455 §5.1: "A server MUST NOT mask any frames").</summary>
    public static async Task<(byte Opcode, bool Fin, byte[] Payload)> ReadFrameAsync(this RawHttpConnection client)
    {
        var head = Bytes(await client.ReceiveExactly(2));
        Assert.Equal(0, head[1] & MaskBit);
        long length = head[1] & 0x7F;
        if (length == Length16)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(Bytes(await client.ReceiveExactly(2)));
        }
        else if (length == Length64)
        {
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(Bytes(await client.ReceiveExactly(8)));
        }

        var payload = length == 0 ? Array.Empty<byte>() : Bytes(await client.ReceiveExactly(checked((int)length)));
        return ((byte)(head[0] & 0x0F), (head[0] & FinBit) != 0, payload);
    }

    /// <summary>Reads a Close frame and returns its code and reason.</summary>
    public static async Task<(int Code, string Reason)> ReadCloseAsync(this RawHttpConnection client)
    {
        var (opcode, _, payload) = await client.ReadFrameAsync();
        Assert.Equal(OpClose, opcode);
        return (BinaryPrimitives.ReadUInt16BigEndian(payload), Encoding.UTF8.GetString(payload, 2, payload.Length - 2));
    }

    /// <summary>Closes the client with a TCP reset (RST) instead of a FIN: <c>SO_LINGER</c> on with a zero timeout.</summary>
    public static void Reset(this RawHttpConnection client)
    {
        client.Socket.LingerState = new LingerOption(true, 0);
        client.Socket.Close();
    }

    public static byte[] Bytes(string latin1) => Encoding.Latin1.GetBytes(latin1);
}

/// <summary>One WebSocket session accepted by a <see cref="WsServer"/>, seen from the server side.</summary>
internal sealed record AcceptedSession(IWebSocketServerSession Session, Task<CloseReason?> Ended);

/// <summary>
/// A <see cref="LoopbackServer"/> whose handler accepts every upgrade request as a WebSocket session (an echo unless the
/// test gives its own <c>run</c>), reports each accepted session, and answers other requests with "plain".
/// </summary>
internal sealed class WsServer : IAsyncDisposable
{
    private readonly Channel<AcceptedSession> _accepted = Channel.CreateUnbounded<AcceptedSession>();

    private WsServer(
        Func<HttpExchange, WebSocketOptions> options,
        IScheduler? scheduler,
        Func<IWebSocketServerSession, IObservable<CloseReason>>? run,
        Func<HttpServerSettings, HttpServerSettings>? configure,
        HttpRequestHandler? http)
    {
        run ??= session => session.Run(frames => frames);
        Loopback = LoopbackServer.Start(
            async exchange =>
            {
                if (!exchange.IsWebSocketRequest)
                {
                    if (http is not null)
                    {
                        await http(exchange);
                        return;
                    }

                    exchange.Response.Write("plain");
                    return;
                }

                IWebSocketServerSession session;
                try
                {
                    session = await exchange.AcceptWebSocketAsync(options(exchange), scheduler);
                }
                catch (System.IO.IOException)
                {
                    return; // the client vanished before the 101 went out
                }

                // Run starts the session (and arms its pinger) before it returns: a test that sees the session may drive time.
                var ended = run(session).LastOrDefaultAsync().ToTask();
                _accepted.Writer.TryWrite(new AcceptedSession(session, ended));
                try
                {
                    await ended;
                }
                catch (Exception)
                {
                    // The session's own close reason is what tests look at.
                }
            },
            configure);
    }

    public LoopbackServer Loopback { get; }

    public HttpServer Server => Loopback.Server;

    public static WsServer Start(
        Func<HttpExchange, WebSocketOptions>? options = null,
        IScheduler? scheduler = null,
        Func<IWebSocketServerSession, IObservable<CloseReason>>? run = null,
        Func<HttpServerSettings, HttpServerSettings>? configure = null,
        HttpRequestHandler? http = null) =>
        new(options ?? (_ => new WebSocketOptions { PingInterval = null }), scheduler, run, configure, http);

    public Task<RawHttpConnection> ConnectAsync() => Loopback.ConnectAsync();

    /// <summary>The next session the server accepted.</summary>
    public async Task<AcceptedSession> NextSessionAsync() => await _accepted.Reader.ReadAsync().AsTask().WaitAsync(WsWire.Timeout);

    /// <summary>A session the server accepted and no test took yet, if any.</summary>
    public AcceptedSession? TryTakeSession() => _accepted.Reader.TryRead(out var accepted) ? accepted : null;

    /// <summary>The outgoing queue behind a server session (its buffered bytes and control lane are what the limits bound).</summary>
    public static OutgoingQueue QueueOf(IWebSocketSession session) => ((ISessionCore)session).Core.Queue;

    /// <summary>Waits until no connection is open (the server's own count, the one <see cref="HttpServerSettings.MaxConnections"/> checks).</summary>
    public async Task AssertNoConnectionLeftAsync()
    {
        await Server.Context.Connections.WhenAtMostAsync(0).WaitAsync(WsWire.Timeout);
        Assert.Equal(0, Server.ConnectionCount);
    }

    /// <summary>Asserts the server still serves: a new client completes a WebSocket echo round trip.</summary>
    public async Task AssertServesANewClientAsync()
    {
        await using var client = await ConnectAsync();
        await client.UpgradeAsync();
        await NextSessionAsync();
        await client.SendBytes(WsWire.ClientFrame(WsWire.OpText, "still here"u8));
        var (opcode, _, payload) = await client.ReadFrameAsync();
        Assert.Equal(WsWire.OpText, opcode);
        Assert.Equal("still here", Encoding.UTF8.GetString(payload));
    }

    public ValueTask DisposeAsync() => Loopback.DisposeAsync();
}
