using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Server;

/// <summary>Graceful stop of the HTTP engine (Ktor's shutdownGracePeriod / shutdownTimeout) with real requests.</summary>
public sealed class ShutdownTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Stop_WhileARequestIsInFlight_ItsResponseIsSentWithConnectionClose()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            started.SetResult();
            await release.Task;
            exchange.Response.Write("finished");
        });
        await using var client = await server.ConnectAsync();
        await client.Send("GET / HTTP/1.1", "Host: x", "", "");
        await started.Task.WaitAsync(s_timeout);

        var stopping = server.Server.StopAsync();
        // Stopping released the port at once: new connections are refused while the request finishes.
        await Assert.ThrowsAsync<SocketException>(() => RawHttpConnection.ConnectAsync(server.EndPoint));
        release.SetResult();

        await client.ReceiveEnd("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 8", "Connection: close", "", "finished");
        await stopping.WaitAsync(s_timeout);
        Assert.True(server.Server.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Stop_IdleKeepAliveConnection_IsClosedAtOnce()
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            exchange.Response.Write("hi");
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();
        await client.Send("GET / HTTP/1.1", "Host: x", "", "");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 2", "", "hi");

        var stopping = server.Server.StopAsync();

        await client.AssertClosedCleanly();
        await stopping.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Stop_HandlerOutlastsTheGracePeriod_ConnectionIsAbortedAndRequestAbortedFires()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(
            async exchange =>
            {
                exchange.RequestAborted.Register(() => aborted.TrySetResult());
                started.SetResult();
                await aborted.Task;
            },
            s => s with { ShutdownGracePeriod = TimeSpan.FromSeconds(1) });
        await using var client = await server.ConnectAsync();
        await client.Send("GET / HTTP/1.1", "Host: x", "", "");
        await started.Task.WaitAsync(s_timeout);

        var stopping = server.Server.StopAsync();
        await server.Timers.WaitForArmedAsync(LoopbackServer.StartTime.AddSeconds(1)).WaitAsync(s_timeout);
        Assert.False(aborted.Task.IsCompleted);
        server.Time.Advance(TimeSpan.FromSeconds(1));

        await aborted.Task.WaitAsync(s_timeout);
        await client.AssertReset();
        await stopping.WaitAsync(s_timeout);
    }
}
