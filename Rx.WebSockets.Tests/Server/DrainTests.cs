using System.Threading.Tasks;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Server;

/// <summary>RFC 9112 §9.3 persistence after a request body the handler did not read to its end (it is drained).</summary>
public sealed class DrainTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Post_HandlerExaminesTheBodyWithoutConsumingIt_DrainEndsAtOnce_ConnectionIdlesAndTimesOut()
    {
        await using var server = LoopbackServer.Start(
            async exchange =>
            {
                var result = await exchange.Body.ReadAsync();
                // Looked at all of it, took none of it: the connection drains the body after the handler returns.
                exchange.Body.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                exchange.Response.Write("seen");
            },
            s => s with { ConnectionIdleTimeout = TimeSpan.FromSeconds(45) });
        await using var client = await server.ConnectAsync();
        await server.Timers.WaitForArmedAsync(LoopbackServer.StartTime.AddSeconds(45)).WaitAsync(s_timeout);
        server.Time.Advance(TimeSpan.FromSeconds(1));

        await client.Send("POST / HTTP/1.1", "Host: x", "Content-Length: 5", "", "hello");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date.Replace("00:00:00", "00:00:01", StringComparison.Ordinal), "Content-Length: 4", "", "seen");

        // The drain must not wait for bytes after the body: the connection is idle from the end of the response.
        await server.Timers.WaitForArmedAsync(LoopbackServer.StartTime.AddSeconds(1 + 45)).WaitAsync(s_timeout);
        server.Time.Advance(TimeSpan.FromSeconds(45));

        await client.AssertClosedCleanly();
    }
}
