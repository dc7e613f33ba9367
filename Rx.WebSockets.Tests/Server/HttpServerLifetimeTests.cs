using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Rx.WebSockets.Server;
using Rx.WebSockets.Server.Internal;
using Rx.WebSockets.Tests.TestSupport;
using static Rx.WebSockets.Tests.Server.SocketTransportTests;

namespace Rx.WebSockets.Tests.Server;

/// <summary>Binding, port 0 and graceful stop (Ktor's shutdownGracePeriod / shutdownTimeout).</summary>
public sealed class HttpServerLifetimeTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Start_PortZero_ListensOnAnEphemeralPortAndReportsIt()
    {
        await using var server = HttpServer.Start(Loopback(), (_, t) => new ScriptedConnection(t, EchoOnceAsync));

        var endPoint = Assert.Single(server.LocalEndPoints);
        Assert.Equal(IPAddress.Loopback, endPoint.Address);
        Assert.NotEqual(0, endPoint.Port);
        await using var client = await RawHttpConnection.ConnectAsync(endPoint);
        await client.Send("ping");
        await client.Receive("ping");
    }

    [Fact]
    public async Task Start_PortInUse_ThrowsAtOnceNamingTheAddress()
    {
        await using var first = HttpServer.Start(Loopback(), (_, t) => new ScriptedConnection(t, EchoOnceAsync));
        int port = first.LocalEndPoints[0].Port;

        var e = Assert.Throws<IOException>(() => HttpServer.Start(Loopback() with { Port = port }, (_, t) => new ScriptedConnection(t, EchoOnceAsync)));

        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        Assert.IsType<SocketException>(e.InnerException);
    }

    [Fact]
    public async Task Start_Localhost_BindsEveryLoopbackAddressOnOnePort()
    {
        await using var server = HttpServer.Start(Loopback() with { Host = "localhost" }, (_, t) => new ScriptedConnection(t, EchoOnceAsync));

        Assert.NotEmpty(server.LocalEndPoints);
        Assert.All(server.LocalEndPoints, e => Assert.True(IPAddress.IsLoopback(e.Address)));
        Assert.Single(server.LocalEndPoints.Select(e => e.Port).Distinct());
    }

    [Fact]
    public async Task Stop_ReleasesThePort_AndCompletes()
    {
        var server = HttpServer.Start(Loopback(), (_, t) => new ScriptedConnection(t, EchoOnceAsync));
        int port = server.LocalEndPoints[0].Port;

        await server.StopAsync().WaitAsync(s_timeout);

        Assert.True(server.Completion.IsCompletedSuccessfully);
        await using var again = HttpServer.Start(Loopback() with { Port = port }, (_, t) => new ScriptedConnection(t, EchoOnceAsync));
        Assert.Equal(port, again.LocalEndPoints[0].Port);
    }

    [Fact]
    public async Task Stop_ConnectionFinishesWithinGrace_NoAbort()
    {
        var time = new FakeTimeProvider();
        var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = HttpServer.Start(Loopback() with { TimeProvider = time }, (_, t) => new ScriptedConnection(
            t,
            async transport =>
            {
                // In flight: the "response" is only finished after the server asked to stop.
                running.SetResult();
                await stopRequested.Task;
                await transport.Output.WriteAsync("done"u8.ToArray());
                await transport.Output.CompleteAsync();
            },
            onStop: _ => stopRequested.TrySetResult()));
        await using var client = await RawHttpConnection.ConnectAsync(server.LocalEndPoints[0]);
        await running.Task.WaitAsync(s_timeout);

        var stopping = server.StopAsync();

        await client.ReceiveEnd("done");
        await stopping.WaitAsync(s_timeout);
        Assert.True(server.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Stop_ConnectionOutlastsGrace_IsAbortedAfterTheGracePeriod()
    {
        var time = new FakeTimeProvider();
        await using var server = HttpServer.Start(
            Loopback() with { TimeProvider = time, ShutdownGracePeriod = TimeSpan.FromSeconds(1) },
            (_, t) => new ScriptedConnection(t, EchoUntilEndAsync));
        await using var client = await RawHttpConnection.ConnectAsync(server.LocalEndPoints[0]);
        await client.Send("registered?");
        await client.Receive("registered?");

        var stopping = server.StopAsync();

        // Within the grace period the connection still works.
        await client.Send("still here");
        await client.Receive("still here");
        Assert.False(stopping.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));

        await client.AssertReset();
        await stopping.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Stop_TokenCancelled_AbortsWithoutWaitingForGrace()
    {
        var time = new FakeTimeProvider();
        await using var server = HttpServer.Start(
            Loopback() with { TimeProvider = time, ShutdownGracePeriod = TimeSpan.FromMinutes(1) },
            (_, t) => new ScriptedConnection(t, EchoUntilEndAsync));
        await using var client = await RawHttpConnection.ConnectAsync(server.LocalEndPoints[0]);
        await client.Send("registered?");
        await client.Receive("registered?");
        using var cts = new CancellationTokenSource();

        var stopping = server.StopAsync(cts.Token);
        cts.Cancel();

        await client.AssertReset();
        await stopping.WaitAsync(s_timeout);
    }

    [Fact]
    public void Settings_Defaults_AreKtors()
    {
        var settings = new HttpServerSettings();

        Assert.Equal("0.0.0.0", settings.Host);
        Assert.Equal(8080, settings.Port);
        Assert.Equal(TimeSpan.FromSeconds(45), settings.ConnectionIdleTimeout);
        Assert.False(settings.ReuseAddress);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.ShutdownGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.RequestHeadTimeout);
        Assert.Same(TimeProvider.System, settings.TimeProvider);
        Assert.Equal(1024 * 1024, settings.MaxReceiveBufferSize);
        Assert.Equal(64 * 1024, settings.MaxSendBufferSize);
    }

    [Fact]
    public void Settings_ArgumentChecking()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServerSettings { Port = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServerSettings { Port = 65536 });
        Assert.Throws<ArgumentException>(() => new HttpServerSettings { Host = " " });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServerSettings { ConnectionIdleTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServerSettings { RequestHeadTimeout = TimeSpan.FromSeconds(-1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServerSettings { ShutdownGracePeriod = TimeSpan.FromSeconds(-1) });
        Assert.Throws<ArgumentNullException>(() => new HttpServerSettings { TimeProvider = null! });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServerSettings { MaxReceiveBufferSize = 1024 });
        Assert.Equal(Timeout.InfiniteTimeSpan, new HttpServerSettings { ConnectionIdleTimeout = Timeout.InfiniteTimeSpan }.ConnectionIdleTimeout);
    }

    private static HttpServerSettings Loopback() => new() { Host = "127.0.0.1", Port = 0 };

    private static async Task EchoOnceAsync(SocketTransport transport)
    {
        var result = await transport.Input.ReadAsync();
        foreach (var segment in result.Buffer)
        {
            await transport.Output.WriteAsync(segment);
        }

        transport.Input.AdvanceTo(result.Buffer.End);
        await transport.Output.CompleteAsync();
    }

    private static async Task EchoUntilEndAsync(SocketTransport transport)
    {
        while (true)
        {
            var result = await transport.Input.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                await transport.Output.WriteAsync(segment);
            }

            transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        await transport.Output.CompleteAsync();
    }
}
