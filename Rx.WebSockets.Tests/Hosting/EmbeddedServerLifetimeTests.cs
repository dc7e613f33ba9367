using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Reactive;
using System.Reactive.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Hosting;

/// <summary>EmbeddedServer (Ktor's embeddedServer): create runs the module, start binds, stop is graceful, the parent lifetime stops it.</summary>
public sealed class EmbeddedServerLifetimeTests
{
    private static readonly TimeSpan s_timeout = HostingTestServer.Timeout;

    private static ValueTask Hello(HttpExchange exchange)
    {
        exchange.Response.Write("hello");
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Create_RunsTheModule_NothingIsBoundUntilStart()
    {
        int runs = 0;
        await using var server = EmbeddedServer.Create(Engines.Cio, port: 0, host: "127.0.0.1", module: app =>
        {
            runs++;
            app.Get("/", Hello);
        });

        Assert.Equal(1, runs);
        Assert.Empty(server.LocalEndPoints);
        Assert.Equal(1, server.Application.Routes.Count);
        Assert.Equal(EmbeddedServer.DefaultPort, 80);
        Assert.Equal("0.0.0.0", EmbeddedServer.DefaultHost);
    }

    [Fact]
    public void Create_ModuleThrows_PropagatesTheException()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            EmbeddedServer.Create(Engines.Cio, port: 0, module: _ => throw new InvalidOperationException("bad module")));
        Assert.Equal("bad module", error.Message);
    }

    [Fact]
    public void Create_WithoutModule_Throws() =>
        Assert.Throws<ArgumentNullException>(() => EmbeddedServer.Create(Engines.Cio, port: 0));

    [Fact]
    public void Create_RawWebSocketRouteOnCio_IsRefusedUntilTheEngineCanAcceptRawSessions()
    {
        // HttpExchange.AcceptWebSocketAsync makes default sessions only; serving a raw route with one would hide frames.
        var error = Assert.Throws<NotSupportedException>(() => EmbeddedServer.Create(
            Engines.Cio, port: 0, module: app => app.WebSocketRaw("/raw", _ => Observable.Never<Unit>())));
        Assert.Contains("/raw", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartStop_ServesOnTheEphemeralPort_ThenReleasesIt()
    {
        var server = await HostingTestServer.StartAsync(app => app.Get("/", Hello));
        var endPoint = server.Server.LocalEndPoints[0];
        Assert.Equal(IPAddress.Loopback, endPoint.Address);
        Assert.NotEqual(0, endPoint.Port);
        Assert.Equal("hello", await server.Http.GetStringAsync("/"));

        await server.Server.StopAsync().WaitAsync(s_timeout);

        Assert.True(server.Server.Completion.IsCompletedSuccessfully);
        await Assert.ThrowsAsync<SocketException>(() => RawHttpConnection.ConnectAsync(endPoint));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 1 && e.Message.Contains(endPoint.ToString(), StringComparison.Ordinal));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 3);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Start_Twice_Throws()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.Get("/", Hello));
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.Server.StartAsync());
    }

    [Fact]
    public async Task Stop_BeforeStart_CompletesAndStartIsRefused()
    {
        await using var server = EmbeddedServer.Create(Engines.Cio, port: 0, host: "127.0.0.1", module: app => app.Get("/", Hello));
        await server.StopAsync().WaitAsync(s_timeout);
        Assert.True(server.Completion.IsCompletedSuccessfully);
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());
    }

    [Fact]
    public async Task Stop_NegativeTimeSpans_Throw()
    {
        await using var server = EmbeddedServer.Create(Engines.Cio, port: 0, host: "127.0.0.1", module: app => app.Get("/", Hello));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = server.StopAsync(TimeSpan.FromSeconds(-1), TimeSpan.Zero); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = server.StopAsync(TimeSpan.Zero, TimeSpan.FromSeconds(-2)); });
    }

    [Fact]
    public async Task ParentLifetime_Cancelled_StopsTheServer()
    {
        using var parent = new CancellationTokenSource();
        await using var server = await HostingTestServer.StartAsync(app => app.Get("/", Hello), parentLifetime: parent.Token);
        var endPoint = server.Server.LocalEndPoints[0];
        Assert.Equal("hello", await server.Http.GetStringAsync("/"));

        await parent.CancelAsync();

        await server.Server.Completion.WaitAsync(s_timeout);
        await Assert.ThrowsAsync<SocketException>(() => RawHttpConnection.ConnectAsync(endPoint));
    }

    [Fact]
    public async Task ParentLifetime_AlreadyCancelledAtStart_StopsAtOnce()
    {
        using var parent = new CancellationTokenSource();
        await parent.CancelAsync();
        await using var server = await HostingTestServer.StartAsync(app => app.Get("/", Hello), parentLifetime: parent.Token);
        await server.Server.Completion.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Stop_RequestInFlight_ItsResponseFinishes()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HostingTestServer.StartAsync(app => app.Get("/slow", async exchange =>
        {
            started.SetResult();
            await release.Task;
            exchange.Response.Write("finished");
        }));
        var response = server.Http.GetStringAsync("/slow");
        await started.Task.WaitAsync(s_timeout);

        var stopping = server.Server.StopAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        Assert.False(stopping.IsCompleted);
        release.SetResult();

        Assert.Equal("finished", await response.WaitAsync(s_timeout));
        await stopping.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Stop_HandlerOutlastsTheGracePeriod_IsAbortedWhenTheGracePeriodEnds()
    {
        var timers = new ArmedTimerProvider(new FakeTimeProvider(LoopbackServer.StartTime));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HostingTestServer.StartAsync(
            app => app.Get("/hang", async exchange =>
            {
                exchange.RequestAborted.Register(() => aborted.TrySetResult());
                started.SetResult();
                await aborted.Task;
            }),
            configure: s => s with { TimeProvider = timers });
        await using var client = await RawHttpConnection.ConnectAsync(server.Server.LocalEndPoints[0]);
        await client.Send("GET /hang HTTP/1.1", "Host: x", "", "");
        await started.Task.WaitAsync(s_timeout);

        var stopping = server.Server.StopAsync(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(7));
        await timers.WaitForArmedAsync(LoopbackServer.StartTime.AddSeconds(3)).WaitAsync(s_timeout);
        Assert.False(aborted.Task.IsCompleted);
        timers.Fake.Advance(TimeSpan.FromSeconds(3));

        await aborted.Task.WaitAsync(s_timeout);
        await client.AssertReset();
        await stopping.WaitAsync(s_timeout);
    }
}
