using System.Reactive.Linq;
using System.Text;
using System.Threading.Tasks;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Robustness;

/// <summary>
/// A client that resets its connection (RST: <c>SO_LINGER</c> 0, then close) at every stage of the HTTP exchange, the
/// opening handshake (RFC 6455 §4) and the closing handshake (§7): the server survives, the session reports the close
/// code of §7.1.5 (1006 when no Close frame was received), no connection is left counted, and the next client is served.
/// </summary>
public sealed class AbruptResetTests
{
    [Fact]
    public async Task Reset_DuringTheRequestHead_NoHandlerRuns_ServerServesTheNextClient()
    {
        bool handlerRan = false;
        await using var server = WsServer.Start(http: exchange =>
        {
            handlerRan = true;
            return ValueTask.CompletedTask;
        });
        var client = await server.ConnectAsync();
        await client.Send("GET / HTTP/1.1", "Host: x", "X-Half: ab");

        client.Reset();

        await server.AssertNoConnectionLeftAsync();
        Assert.False(handlerRan);
        await server.AssertServesANewClientAsync();
    }

    [Fact]
    public async Task Reset_AfterTheHeadBeforeTheBody_BodyReadFails_NotATruncatedBodyThatLooksComplete()
    {
        var bodyOutcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = WsServer.Start(http: async exchange =>
        {
            handlerStarted.SetResult();
            try
            {
                while (true)
                {
                    var result = await exchange.Body.ReadAsync();
                    exchange.Body.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        bodyOutcome.SetResult(null);
                        return;
                    }
                }
            }
            catch (Exception e)
            {
                bodyOutcome.SetResult(e);
            }
        });
        var client = await server.ConnectAsync();
        await client.Send("POST /upload HTTP/1.1", "Host: x", "Content-Length: 100", "", "0123456789");
        await handlerStarted.Task.WaitAsync(WsWire.Timeout);

        client.Reset();

        // 10 of 100 bytes arrived: the handler must see a failure, never an end of body.
        Assert.NotNull(await bodyOutcome.Task.WaitAsync(WsWire.Timeout));
        await server.AssertNoConnectionLeftAsync();
        await server.AssertServesANewClientAsync();
    }

    [Fact]
    public async Task Reset_MidHandshake_UpgradeSentButThe101NotRead_NoSessionOutlivesIt()
    {
        await using var server = WsServer.Start();
        var client = await server.ConnectAsync();
        await client.SendBytes(WsWire.HandshakeFor("/chat"));

        client.Reset();

        // Whether the 101 left before the reset is a race; either the upgrade failed, or the session ended with 1006.
        await server.AssertNoConnectionLeftAsync();
        if (server.TryTakeSession() is { } accepted)
        {
            Assert.Equal(CloseCode.ClosedAbnormally, (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
        }

        await server.AssertServesANewClientAsync();
    }

    [Fact]
    public async Task Reset_RightAfterThe101_Session1006()
    {
        await using var server = WsServer.Start();
        var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var accepted = await server.NextSessionAsync();
        var incoming = accepted.Session.Incoming.Termination();

        client.Reset();

        Assert.Equal(CloseCode.ClosedAbnormally, (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
        Assert.IsType<ConnectionClosedException>(await incoming);
        await server.AssertNoConnectionLeftAsync();
        await server.AssertServesANewClientAsync();
    }

    [Fact]
    public async Task Reset_MidFrame_Session1006_PartialFrameNeverDelivered()
    {
        int delivered = 0;
        await using var server = WsServer.Start(run: session => session.Run(frames => frames.Do(_ => delivered++)));
        var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var accepted = await server.NextSessionAsync();
        await client.SendBytes(WsWire.ClientFrameHeader(WsWire.OpBinary, 100));
        await client.SendBytes(new byte[10]);

        client.Reset();

        Assert.Equal(CloseCode.ClosedAbnormally, (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
        Assert.Equal(0, delivered);
        await server.AssertNoConnectionLeftAsync();
        await server.AssertServesANewClientAsync();
    }

    [Fact]
    public async Task Reset_AfterTheClientsCloseBeforeTheServersClose_SessionReportsTheClientsCode()
    {
        await using var server = WsServer.Start();
        var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var accepted = await server.NextSessionAsync();
        var incoming = accepted.Session.Incoming.Termination();
        await client.SendBytes(WsWire.ClientClose(4001));
        Assert.Null(await incoming); // the server read the Close

        client.Reset();

        // RFC 6455 §7.1.5: the close code is the one of the first Close received, whatever happens to the reply.
        Assert.Equal(new CloseCode(4001), (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
        await server.AssertNoConnectionLeftAsync();
        await server.AssertServesANewClientAsync();
    }

    [Fact]
    public async Task Reset_AfterTheServersClose_InsteadOfTheReply_Session1006()
    {
        // "/bye" closes at once (its handler completes); the echo route serves the next client.
        await using var server = WsServer.Start(run: session => session.Call.Path == "/bye"
            ? session.Run(_ => Observable.Empty<Frame>())
            : session.Run(frames => frames));
        var client = await server.ConnectAsync();
        await client.UpgradeAsync("/bye");
        var accepted = await server.NextSessionAsync();
        Assert.Equal((1000, string.Empty), await client.ReadCloseAsync());

        client.Reset();

        // RFC 6455 §7.1.5: no Close was received, so 1006, although ours was sent.
        Assert.Equal(CloseCode.ClosedAbnormally, (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
        await server.AssertNoConnectionLeftAsync();
        await server.AssertServesANewClientAsync();
    }

    [Fact]
    public async Task Reset_AfterTheFullCloseHandshake_SessionKeeps1000()
    {
        await using var server = WsServer.Start();
        var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var accepted = await server.NextSessionAsync();
        await client.SendBytes(WsWire.ClientClose(1000));
        Assert.Equal((1000, string.Empty), await client.ReadCloseAsync());

        client.Reset();

        Assert.Equal(CloseCode.Normal, (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
        await server.AssertNoConnectionLeftAsync();
        await server.AssertServesANewClientAsync();
    }
}
