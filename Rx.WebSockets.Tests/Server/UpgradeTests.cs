using System.Net.WebSockets;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Server;

/// <summary>RFC 6455 §4.2.2 on the HTTP engine: 101, handing the connection (and bytes already buffered) to a session.</summary>
public sealed class UpgradeTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    // RFC 6455 §1.3's sample key and its accept value.
    private static readonly string[] s_handshake =
    {
        "GET /chat HTTP/1.1", "Host: server.example.com", "Upgrade: websocket", "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", "", "",
    };

    private static readonly string[] s_switchingProtocols =
    {
        "HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "", "",
    };

    [Fact]
    public async Task Upgrade_FrameSentRightAfterTheRequest_ReachesTheSession()
    {
        var closed = new TaskCompletionSource<CloseReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            Assert.True(exchange.IsWebSocketRequest);
            var session = await exchange.AcceptWebSocketAsync(new WebSocketOptions());
            Assert.Equal("/chat", session.Call.Path);
            closed.SetResult(await session.Run(frames => frames).ToTask());
        });
        await using var client = await server.ConnectAsync();

        // RFC 6455 §5.7: a masked "Hello", sent in the same write as the handshake (it waits in the connection's buffer).
        await client.SendBytes(Concat(Encoding.ASCII.GetBytes(string.Join("\r\n", s_handshake)), Hex.Parse("81 85 37 FA 21 3D 7F 9F 4D 51 58")));

        await client.Receive(s_switchingProtocols);
        Assert.Equal("81 05 48 65 6C 6C 6F", Hex.Format(Encoding.Latin1.GetBytes(await client.ReceiveExactly(7))));

        // A masked Close 1000 with an empty reason; the session answers with its own Close and the server closes the TCP connection.
        await client.SendBytes(Hex.Parse("88 82 00 00 00 00 03 E8"));
        Assert.Equal("88 02 03 E8", Hex.Format(Encoding.Latin1.GetBytes(await client.ReceiveExactly(4))));
        await client.AssertClosedCleanly();
        Assert.Equal(CloseCode.Normal, (await closed.Task.WaitAsync(s_timeout)).Code);
    }

    [Fact]
    public async Task Upgrade_AfterPipelinedRequests_101LeavesAfterTheirResponses()
    {
        await using var server = LoopbackServer.Start(async exchange =>
        {
            if (!exchange.IsWebSocketRequest)
            {
                exchange.Response.Write("plain");
                return;
            }

            var session = await exchange.AcceptWebSocketAsync(new WebSocketOptions());
            await session.Run(frames => frames).ToTask();
        });
        await using var client = await server.ConnectAsync();

        await client.Send(new[] { "GET /before HTTP/1.1", "Host: x", "", "" });
        await client.Send(s_handshake);

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 5", "", "plain");
        await client.Receive(s_switchingProtocols);
    }

    [Fact]
    public async Task Upgrade_InvalidHandshake_HandlerGetsTheRejection_ClientGetsItsStatusAndClose()
    {
        var rejection = new TaskCompletionSource<HandshakeRejectedException>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            try
            {
                await exchange.AcceptWebSocketAsync(new WebSocketOptions());
            }
            catch (HandshakeRejectedException e)
            {
                rejection.SetResult(e);
            }
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET /chat HTTP/1.1", "Host: x", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 8", "", "");

        Assert.Equal(426, (await rejection.Task.WaitAsync(s_timeout)).StatusCode);
        var response = await client.ReceiveToEnd();
        Assert.StartsWith("HTTP/1.1 426 Upgrade Required\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Version: 13\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Connection: Upgrade, close\r\n", response, StringComparison.Ordinal);
        Assert.Contains(LoopbackServer.Date + "\r\n", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientWebSocket_EchoesAndCloses()
    {
        await using var server = LoopbackServer.Start(async exchange =>
        {
            var session = await exchange.AcceptWebSocketAsync(new WebSocketOptions());
            await session.Run(frames => frames).ToTask();
        });
        using var client = new ClientWebSocket();
        using var cts = new CancellationTokenSource(s_timeout);
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.EndPoint.Port}/echo"), cts.Token);

        await client.SendAsync(Encoding.UTF8.GetBytes("hello, engine"), WebSocketMessageType.Text, endOfMessage: true, cts.Token);
        var buffer = new byte[64];
        var received = await client.ReceiveAsync(buffer, cts.Token);
        Assert.Equal("hello, engine", Encoding.UTF8.GetString(buffer, 0, received.Count));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Closed, client.State);
    }

    [Fact]
    public async Task ServerStop_ClosesSessionsWithGoingAway()
    {
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            var session = await exchange.AcceptWebSocketAsync(new WebSocketOptions());
            accepted.SetResult();
            await session.Run(frames => frames).ToTask();
        });
        using var client = new ClientWebSocket();
        using var cts = new CancellationTokenSource(s_timeout);
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.EndPoint.Port}/"), cts.Token);
        await accepted.Task.WaitAsync(s_timeout);

        var stopping = server.Server.StopAsync();

        var result = await client.ReceiveAsync(new byte[16], cts.Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, result.CloseStatus);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
        await stopping.WaitAsync(s_timeout);
    }

    private static byte[] Concat(byte[] a, byte[] b)
    {
        var all = new byte[a.Length + b.Length];
        a.CopyTo(all, 0);
        b.CopyTo(all, a.Length);
        return all;
    }
}
