using System.Reactive.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Robustness;

/// <summary>
/// Slow-loris clients (RFC 9112 §9.8, RFC 6455 §5.5.2): a request head or a frame header trickled a byte at a time must
/// not hold a connection open past the request-head timeout or the pinger's timeout.
/// </summary>
public sealed class SlowLorisTests
{
    private static readonly TimeSpan s_pingInterval = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan s_pingTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task RequestHead_OneByteEveryFiveSeconds_408AtTheHeadTimeoutNotLater()
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            exchange.Response.Write("served");
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();
        var head = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n");

        // The first byte starts the 30 s head timeout (HttpServerSettings.RequestHeadTimeout's default); the shared
        // timer is re-armed for that deadline, which tells the test the server has seen the byte.
        await client.SendBytes(head.AsMemory(0, 1));
        await server.Timers.WaitForArmedAsync(LoopbackServer.StartTime.AddSeconds(30)).WaitAsync(WsWire.Timeout);

        // A byte every 5 s would keep an idle-style timer (reset on each byte) alive forever; the head timeout counts
        // from the first byte, so the 30th second ends it although bytes are still arriving.
        for (int i = 1; i < 6; i++)
        {
            server.Time.Advance(TimeSpan.FromSeconds(5));
            await client.SendBytes(head.AsMemory(i, 1));
        }

        Assert.Equal(0, client.Socket.Available);
        server.Time.Advance(TimeSpan.FromSeconds(5));

        var response = await client.ReceiveToEnd();
        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", response, StringComparison.Ordinal);
        Assert.DoesNotContain("served", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FrameHeader_TrickledAfterTheUpgrade_PingTimeoutClosesWith1011()
    {
        var scheduler = new TestScheduler();
        await using var server = WsServer.Start(_ => new WebSocketOptions { PingInterval = s_pingInterval, Timeout = s_pingTimeout }, scheduler);
        await using var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var accepted = await server.NextSessionAsync();
        var incomingError = accepted.Session.Incoming.Termination();

        // The first byte of a masked text frame: the server waits for the rest of the header, with no timer of its own.
        await client.SendBytes(new byte[] { 0x81 });
        scheduler.AdvanceBy(s_pingInterval.Ticks);
        var (opcode, _, _) = await client.ReadFrameAsync();
        Assert.Equal(WsWire.OpPing, opcode);

        // A client stuck inside a frame header cannot answer: a Pong here would be read as more header bytes. The second
        // byte still leaves the header incomplete (a 5-byte masked payload needs its 4-byte key).
        await client.SendBytes(new byte[] { 0x85 });
        scheduler.AdvanceBy(s_pingTimeout.Ticks);

        // Ktor's reason for an unanswered ping: 1011 "Ping timeout".
        Assert.Equal((1011, "Ping timeout"), await client.ReadCloseAsync());
        await client.AssertClosedCleanly();
        Assert.IsType<PingTimeoutException>(await incomingError);
        var reason = await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout);
        Assert.Equal(CloseCode.InternalError, reason!.Code);
        await server.AssertNoConnectionLeftAsync();
    }

    [Fact]
    public async Task FramePayload_TrickledAfterTheUpgrade_PingTimeoutClosesWith1011()
    {
        var scheduler = new TestScheduler();
        await using var server = WsServer.Start(_ => new WebSocketOptions { PingInterval = s_pingInterval, Timeout = s_pingTimeout }, scheduler);
        await using var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var accepted = await server.NextSessionAsync();

        // A whole header announcing 1,000 bytes, then one payload byte per ping interval.
        await client.SendBytes(WsWire.ClientFrameHeader(WsWire.OpBinary, 1000));
        await client.SendBytes(new byte[] { 1 });
        scheduler.AdvanceBy(s_pingInterval.Ticks);
        Assert.Equal(WsWire.OpPing, (await client.ReadFrameAsync()).Opcode);
        await client.SendBytes(new byte[] { 2 });
        scheduler.AdvanceBy(s_pingTimeout.Ticks);

        Assert.Equal((1011, "Ping timeout"), await client.ReadCloseAsync());
        await client.AssertClosedCleanly();
        Assert.Equal(CloseCode.InternalError, (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
    }
}
