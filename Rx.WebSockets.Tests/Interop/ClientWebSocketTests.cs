using System.IO;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// The BCL's <see cref="ClientWebSocket"/> (an independent RFC 6455 client) against EchoServer: messages of every kind
/// on its <c>/echo</c>, and on the test routes server fragments, close codes both ways and keep-alive in both directions.
/// Each test is one scenario of the "ClientWebSocket" section of expected-interop.json.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class ClientWebSocketTests
{
    /// <summary>The section in expected-interop.json.</summary>
    public const string Peer = "ClientWebSocket";

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan s_keepAliveInterval = TimeSpan.FromMilliseconds(100);

    // Long against a loopback round trip even on a loaded machine, yet shorter than the pinging the test waits for: a pong
    // that does not come makes ClientWebSocket abort inside the test's window.
    private static readonly TimeSpan s_keepAliveTimeout = TimeSpan.FromSeconds(2);

    private readonly InteropServerFixture _server;
    private readonly ITestOutputHelper _output;

    public ClientWebSocketTests(InteropServerFixture server, ITestOutputHelper output)
    {
        _server = server;
        _output = output;
        output.WriteLine($"peer: ClientWebSocket on {RuntimeInformation.FrameworkDescription}");
    }

    [Fact, Scenario("text")]
    public Task Text_Echoed_AsText() => CheckAsync(async ct =>
    {
        using var ws = await ConnectAsync("/echo", ct);
        await ws.SendAsync(Encoding.UTF8.GetBytes("hello from ClientWebSocket"), WebSocketMessageType.Text, endOfMessage: true, ct);

        var message = await ReceiveMessageAsync(ws, ct);
        Assert.Equal(WebSocketMessageType.Text, message.Type);
        Assert.Equal("hello from ClientWebSocket", Encoding.UTF8.GetString(message.Data));
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);
        return true;
    });

    [Fact, Scenario("binary")]
    public Task Binary_Echoed_AsBinary() => CheckAsync(async ct =>
    {
        using var ws = await ConnectAsync("/echo", ct);
        byte[] data = { 1, 2, 3, 250 };
        await ws.SendAsync(data, WebSocketMessageType.Binary, endOfMessage: true, ct);

        var message = await ReceiveMessageAsync(ws, ct);
        Assert.Equal(WebSocketMessageType.Binary, message.Type);
        Assert.Equal(data, message.Data);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);
        return true;
    });

    [Fact, Scenario("fragmented")]
    public Task Fragmented_ThreeSendsCutInsideACharacter_EchoedAsOneTextMessage() => CheckAsync(async ct =>
    {
        using var ws = await ConnectAsync("/echo", ct);
        // EndOfMessage=false sends one frame per call; the second cut falls between the two bytes of 'é'.
        byte[] text = Encoding.UTF8.GetBytes("frag-é-ment");
        int cut = Encoding.UTF8.GetByteCount("frag-") + 1;
        await ws.SendAsync(text.AsMemory(0, 2), WebSocketMessageType.Text, endOfMessage: false, ct);
        await ws.SendAsync(text.AsMemory(2, cut - 2), WebSocketMessageType.Text, endOfMessage: false, ct);
        await ws.SendAsync(text.AsMemory(cut), WebSocketMessageType.Text, endOfMessage: true, ct);

        var message = await ReceiveMessageAsync(ws, ct);
        Assert.Equal(WebSocketMessageType.Text, message.Type);
        Assert.Equal("frag-é-ment", Encoding.UTF8.GetString(message.Data));
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);
        return true;
    });

    [Fact, Scenario("large")]
    public Task Large_1MiBBinary_EchoedIntact() => CheckAsync(async ct =>
    {
        using var ws = await ConnectAsync("/echo", ct);
        byte[] data = RandomNumberGenerator.GetBytes(1024 * 1024);
        await ws.SendAsync(data, WebSocketMessageType.Binary, endOfMessage: true, ct);

        var message = await ReceiveMessageAsync(ws, ct);
        Assert.Equal(WebSocketMessageType.Binary, message.Type);
        Assert.True(data.AsSpan().SequenceEqual(message.Data), $"the echo of {data.Length} bytes differs ({message.Data.Length} bytes came back)");
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);
        return true;
    });

    [Fact, Scenario("fragmentedFromServer")]
    public Task ServerFragments_ArriveFrameByFrame_AndReassemble() => CheckAsync(async ct =>
    {
        using var ws = await ConnectAsync("/interop/fragments", ct);

        // ClientWebSocket returns at most one frame per receive, and these fragments fit the buffer: the receive counts
        // are the server's fragment counts.
        var text = await ReceiveMessageAsync(ws, ct);
        Assert.Equal((WebSocketMessageType.Text, InteropServerFixture.FragmentedText, 3), (text.Type, Encoding.UTF8.GetString(text.Data), text.Receives));
        var binary = await ReceiveMessageAsync(ws, ct);
        Assert.Equal((WebSocketMessageType.Binary, 2), (binary.Type, binary.Receives));
        Assert.Equal(InteropServerFixture.FragmentedBinary, binary.Data);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);
        return true;
    });

    [Fact, Scenario("closeFromClient")]
    public Task ClientCloses4000_ServerEchoesIt() => CheckAsync(async ct =>
    {
        string id = InteropServerFixture.NewId("cws-close");
        using var ws = await ConnectAsync($"/interop/echo?id={id}", ct);

        await ws.CloseAsync((WebSocketCloseStatus)4000, "bye", ct);

        Assert.Equal(System.Net.WebSockets.WebSocketState.Closed, ws.State);
        return new JsonObject
        {
            ["clientSaw"] = Expectations.Close((int?)ws.CloseStatus ?? 0, ws.CloseStatusDescription),
            ["serverSaw"] = await _server.Session(id).ClosedJsonAsync(s_timeout),
        };
    });

    [Fact, Scenario("closeFromServer")]
    public Task ServerCloses4001_ClientSeesIt_AndAnswers() => CheckAsync(async ct =>
    {
        string id = InteropServerFixture.NewId("cws-server-close");
        using var ws = await ConnectAsync($"/interop/close?code=4001&reason=server%20bye&id={id}", ct);
        await ws.SendAsync("close me"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, ct);

        var result = await ws.ReceiveAsync(new byte[64], ct);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        // RFC 6455 §5.5.1: the answering Close "typically echos the status code it received"; an application decides.
        await ws.CloseAsync(result.CloseStatus ?? WebSocketCloseStatus.Empty, result.CloseStatusDescription, ct);

        return new JsonObject
        {
            ["clientSaw"] = Expectations.Close((int?)result.CloseStatus ?? 0, result.CloseStatusDescription),
            ["serverSaw"] = await _server.Session(id).ClosedJsonAsync(s_timeout),
        };
    });

    [Fact, Scenario("ping")]
    public Task ClientKeepAlivePings_AnsweredByThePonger_ConnectionStaysOpen() => CheckAsync(async ct =>
    {
        string id = InteropServerFixture.NewId("cws-keepalive");
        using var ws = new ClientWebSocket();
        // .NET 9+: with a KeepAliveTimeout the client sends Pings (not unsolicited Pongs) and aborts when a Pong is late.
        ws.Options.KeepAliveInterval = s_keepAliveInterval;
        ws.Options.KeepAliveTimeout = s_keepAliveTimeout;
        await ws.ConnectAsync(_server.Ws($"/interop/echo?id={id}"), ct);
        var probe = _server.Session(id);

        // A pending receive is how ClientWebSocket reads Pongs (and how it would report the abort).
        var buffer = new byte[256];
        var receive = ws.ReceiveAsync(buffer.AsMemory(), ct).AsTask();
        // Five pings more than one timeout holds: an unanswered ping would have aborted the client by then.
        int pings = (int)Math.Ceiling(s_keepAliveTimeout / s_keepAliveInterval) + 5;
        await probe.WaitForPingsAsync(pings, ct);

        Assert.False(receive.IsCompleted, $"the receive ended while pinging: {receive.Status} {receive.Exception?.GetBaseException().Message}");
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, ws.State);
        await ws.SendAsync("still here"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, ct);
        var echoed = await receive;
        Assert.Equal("still here", Encoding.UTF8.GetString(buffer, 0, echoed.Count));
        _output.WriteLine($"{probe.PingCount} pings answered over a {s_keepAliveTimeout.TotalSeconds} s keep-alive timeout");
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);
        return true;
    });

    [Fact, Scenario("serverPing")]
    public Task ServerPinger_AnsweredByAutomaticPongs() => CheckAsync(async ct =>
    {
        string id = InteropServerFixture.NewId("cws-pinger");
        using var ws = await ConnectAsync($"/interop/echo?id={id}&ping=100", ct);
        var probe = _server.Session(id);

        // ClientWebSocket answers Pings while a receive is pending.
        var buffer = new byte[256];
        var receive = ws.ReceiveAsync(buffer.AsMemory(), ct).AsTask();
        await probe.WaitForPongsAsync(3, ct);

        Assert.False(receive.IsCompleted, $"the receive ended while the server pinged: {receive.Status}");
        await ws.SendAsync("pinged"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, ct);
        Assert.Equal("pinged", Encoding.UTF8.GetString(buffer, 0, (await receive).Count));
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);
        return true;
    });

    [Fact, Scenario("extensions")]
    public Task DeflateOffered_ServerAnswersWithItsExtensions_EchoWorks() => CheckAsync(async ct =>
    {
        using var ws = new ClientWebSocket();
        ws.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        ws.Options.CollectHttpResponseDetails = true;
        await ws.ConnectAsync(_server.Ws("/echo"), ct);

        await ws.SendAsync("deflate?"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, ct);
        Assert.Equal("deflate?", Encoding.UTF8.GetString((await ReceiveMessageAsync(ws, ct)).Data));
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);

        // The negotiated extensions, as the response header states them ("" for none).
        return ws.HttpResponseHeaders is { } headers && headers.TryGetValue("Sec-WebSocket-Extensions", out var values)
            ? string.Join(", ", values)
            : "";
    });

    private static async Task<(WebSocketMessageType Type, byte[] Data, int Receives)> ReceiveMessageAsync(ClientWebSocket ws, CancellationToken ct)
    {
        using var data = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int receives = 0;
        WebSocketMessageType type;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await ws.ReceiveAsync(buffer.AsMemory(), ct);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            type = result.MessageType;
            data.Write(buffer, 0, result.Count);
            receives++;
        }
        while (!result.EndOfMessage);

        return (type, data.ToArray(), receives);
    }

    private async Task<ClientWebSocket> ConnectAsync(string pathAndQuery, CancellationToken ct)
    {
        var ws = new ClientWebSocket();
        try
        {
            await ws.ConnectAsync(_server.Ws(pathAndQuery), ct);
            return ws;
        }
        catch
        {
            ws.Dispose();
            throw;
        }
    }

    private Task CheckAsync(Func<CancellationToken, Task<JsonNode?>> scenario, [CallerMemberName] string test = "") =>
        Expectations.CheckScenarioAsync(Peer, typeof(ClientWebSocketTests), test, _output, async () =>
        {
            using var timeout = new CancellationTokenSource(s_timeout);
            return await scenario(timeout.Token);
        });
}
