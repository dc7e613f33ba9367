using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Protocol.Handshake;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;
using RxWebSocketState = Rx.WebSockets.WebSocketState;

namespace Rx.WebSockets.Tests.Session;

/// <summary>
/// A default server session over a real loopback socket, with the BCL's <see cref="ClientWebSocket"/> as an independent
/// peer: a minimal RFC 6455 §4.2.2 handshake, then echo and the closing handshake in both directions.
/// </summary>
public sealed class LoopbackSocketTests : IDisposable
{
    private static readonly byte[] s_endOfHead = "\r\n\r\n"u8.ToArray();

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(20));

    public LoopbackSocketTests() => _listener.Start();

    public void Dispose()
    {
        _listener.Stop();
        _listener.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task ClientWebSocket_EchoTextAndBinary_ClientCloses1000()
    {
        var serverTask = AcceptAsync();
        using var client = new ClientWebSocket();
        await client.ConnectAsync(Uri(), _timeout.Token);
        var (socket, server) = await serverTask;
        using (socket)
        {
            var closed = server.Run(frames => frames).ToTask();

            Assert.Equal("hello, rx", await EchoAsync(client, Encoding.UTF8.GetBytes("hello, rx"), WebSocketMessageType.Text));
            Assert.Equal("01-02-FF", await EchoAsync(client, new byte[] { 1, 2, 0xFF }, WebSocketMessageType.Binary));

            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", _timeout.Token);

            Assert.Equal(System.Net.WebSockets.WebSocketState.Closed, client.State);
            Assert.Equal(new CloseReason(CloseCode.Normal, "done"), await closed.WaitAsync(_timeout.Token));
            Assert.Equal(RxWebSocketState.Closed, server.State);
        }
    }

    [Fact]
    public async Task ClientWebSocket_ServerCloses1000_ClientAnswers()
    {
        var serverTask = AcceptAsync();
        using var client = new ClientWebSocket();
        await client.ConnectAsync(Uri(), _timeout.Token);
        var (socket, server) = await serverTask;
        using (socket)
        {
            server.Start();
            _ = server.Close(new CloseReason(CloseCode.Normal, "server done"));

            var result = await client.ReceiveAsync(new byte[16], _timeout.Token);
            Assert.Equal(WebSocketMessageType.Close, result.MessageType);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, result.CloseStatus);
            Assert.Equal("server done", result.CloseStatusDescription);
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ok", _timeout.Token);

            Assert.Equal(new CloseReason(CloseCode.Normal, "ok"), await server.CloseReason.WaitAsync(_timeout.Token));
        }
    }

    private Uri Uri() => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/echo");

    private async Task<string> EchoAsync(ClientWebSocket client, byte[] message, WebSocketMessageType type)
    {
        await client.SendAsync(message, type, endOfMessage: true, _timeout.Token);
        var buffer = new byte[256];
        var result = await client.ReceiveAsync(buffer, _timeout.Token);
        Assert.Equal(type, result.MessageType);
        Assert.True(result.EndOfMessage);
        return type == WebSocketMessageType.Text
            ? Encoding.UTF8.GetString(buffer, 0, result.Count)
            : Convert.ToHexString(buffer, 0, result.Count).Insert(4, "-").Insert(2, "-");
    }

    private async Task<(Socket Socket, IWebSocketSession Session)> AcceptAsync()
    {
        var socket = await _listener.AcceptSocketAsync(_timeout.Token);
        var stream = new NetworkStream(socket, ownsSocket: false);
        // The session completes its writer after its Close (a half-close); the stream must outlive that, so both pipes
        // leave it open and the writer turns its completion into a TCP FIN.
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        var output = new HalfClosingWriter(PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)), socket);

        var key = await ReadHandshakeKeyAsync(input);
        var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Accept: {HandshakeKeys.ComputeAccept(key)}\r\n\r\n";
        await output.WriteAsync(Encoding.ASCII.GetBytes(response), _timeout.Token);

        var session = WebSocketSession.Create(new Duplex(input, output), Side.Server, new WebSocketOptions { PingInterval = null }, new TestScheduler());
        return (socket, session);
    }

    private async Task<string> ReadHandshakeKeyAsync(PipeReader input)
    {
        while (true)
        {
            var result = await input.ReadAsync(_timeout.Token);
            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> head, s_endOfHead, advancePastDelimiter: true))
            {
                var text = Encoding.ASCII.GetString(head);
                input.AdvanceTo(reader.Position); // whatever follows the head stays in the pipe for the session
                return Regex.Match(text, @"^Sec-WebSocket-Key:\s*(\S+)\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase).Groups[1].Value;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            Assert.False(result.IsCompleted, "the client closed before the end of its handshake");
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>A PipeWriter whose completion shuts down the socket's sending side (TCP FIN) without closing the socket.</summary>
    private sealed class HalfClosingWriter(PipeWriter inner, Socket socket) : PipeWriter
    {
        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            inner.Complete(exception);
            try
            {
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (ObjectDisposedException)
            {
            }
            catch (SocketException)
            {
            }
        }
    }
}
