using System.Linq;
using System.Net.Sockets;
using System.Reactive;
using System.Reactive.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Tests.Hosting;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Robustness;

/// <summary>RFC 6455 §4.2.2: an opening handshake for a resource the server does not serve gets an HTTP error, not a 101.</summary>
public sealed class NoRouteTests
{
    [Fact]
    public async Task Handshake_ToAPathWithNoRoute_404ThenACleanClose_NoErrorLogged()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.WebSocket(
            "/echo", session => session.Incoming.Do(session.Outgoing.OnNext).IgnoreElements().Select(_ => Unit.Default)));
        await using var client = await RawHttpConnection.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, server.Port));

        await client.SendBytes(WsWire.HandshakeFor("/nowhere"));
        client.ShutdownSend();

        // The whole response, then a FIN (ReceiveToEnd fails on a reset): no 101, no WebSocket frame.
        var response = await client.ReceiveToEnd();
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", response, StringComparison.Ordinal);
        Assert.DoesNotContain("Sec-WebSocket-Accept", response, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= LogLevel.Error);

        // The route that exists still upgrades.
        using var ws = await server.ConnectAsync("/echo");
        await ws.SendTextAsync("routed");
        Assert.Equal("routed", await ws.ReceiveTextAsync());
    }
}
