using System.Collections.Generic;
using System.Linq;
using System.Net.WebSockets;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Server;

/// <summary>RFC 7692 §5 and §6 on the HTTP engine, against the runtime's <see cref="ClientWebSocket"/> with deflate enabled.</summary>
public sealed class DeflateUpgradeTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ClientWebSocketWithDeflate_CompressionOn_NegotiatesAndEchoes()
    {
        var extensions = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            var session = await exchange.AcceptWebSocketAsync(new WebSocketOptions { Compression = new PerMessageDeflateOptions() });
            extensions.SetResult(session.Extensions);
            await session.Run(frames => frames).ToTask();
        });
        using var client = CreateClient();
        using var cts = new CancellationTokenSource(s_timeout);
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.EndPoint.Port}/echo"), cts.Token);

        string answered = Assert.Single(client.HttpResponseHeaders!["Sec-WebSocket-Extensions"]);
        Assert.StartsWith("permessage-deflate", answered, StringComparison.Ordinal);
        Assert.Equal(answered, Assert.Single(await extensions.Task.WaitAsync(s_timeout)));

        var random = new Random(1);
        var noise = new byte[64 * 1024];
        random.NextBytes(noise);
        var json = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"k\":\"välue\",\"n\":42},", 3000)));
        await AssertEcho(client, Encoding.UTF8.GetBytes("hello, deflate"), WebSocketMessageType.Text, cts.Token);
        await AssertEcho(client, new byte[] { 1, 2, 3, 4, 5 }, WebSocketMessageType.Binary, cts.Token);
        await AssertEcho(client, noise, WebSocketMessageType.Binary, cts.Token);
        await AssertEcho(client, json[..(64 * 1024)], WebSocketMessageType.Binary, cts.Token);
        await AssertEcho(client, json, WebSocketMessageType.Text, cts.Token);
        await AssertEcho(client, json, WebSocketMessageType.Text, cts.Token);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Closed, client.State);
    }

    [Fact]
    public async Task ClientWebSocketWithDeflate_NoContextTakeoverOnServer_NegotiatesAndEchoes()
    {
        await using var server = LoopbackServer.Start(async exchange =>
        {
            var options = new WebSocketOptions { Compression = new PerMessageDeflateOptions { ServerNoContextTakeover = true, ClientNoContextTakeover = true } };
            var session = await exchange.AcceptWebSocketAsync(options);
            await session.Run(frames => frames).ToTask();
        });
        using var client = CreateClient();
        using var cts = new CancellationTokenSource(s_timeout);
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.EndPoint.Port}/"), cts.Token);

        string answered = Assert.Single(client.HttpResponseHeaders!["Sec-WebSocket-Extensions"]);
        Assert.Contains("server_no_context_takeover", answered, StringComparison.Ordinal);
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("repeat me ", 500)));
        await AssertEcho(client, text, WebSocketMessageType.Text, cts.Token);
        await AssertEcho(client, text, WebSocketMessageType.Text, cts.Token);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
    }

    [Fact]
    public async Task ClientWebSocketWithDeflate_CompressionNull_NoExtensionNegotiated()
    {
        var extensions = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            var session = await exchange.AcceptWebSocketAsync(new WebSocketOptions());
            extensions.SetResult(session.Extensions);
            await session.Run(frames => frames).ToTask();
        });
        using var client = CreateClient();
        using var cts = new CancellationTokenSource(s_timeout);
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.EndPoint.Port}/"), cts.Token);

        Assert.False(client.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"));
        Assert.Empty(await extensions.Task.WaitAsync(s_timeout));
        await AssertEcho(client, Encoding.UTF8.GetBytes("plain"), WebSocketMessageType.Text, cts.Token);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
    }

    private static ClientWebSocket CreateClient()
    {
        var client = new ClientWebSocket();
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        client.Options.CollectHttpResponseDetails = true;
        return client;
    }

    private static async Task AssertEcho(ClientWebSocket client, byte[] message, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        await client.SendAsync(message, type, endOfMessage: true, cancellationToken);
        var buffer = new byte[message.Length + 16];
        int count = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await client.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
            count += result.Count;
        }
        while (!result.EndOfMessage);

        Assert.Equal(type, result.MessageType);
        Assert.Equal(message, buffer[..count]);
    }
}
