using System.Collections.Concurrent;
using System.Linq;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Hosting;

/// <summary>AddRxWebSockets and AddEmbeddedServer in a real generic host (Host.CreateApplicationBuilder).</summary>
public sealed class GenericHostTests
{
    private static readonly TimeSpan s_timeout = HostingTestServer.Timeout;

    private static HostApplicationBuilder Builder(CapturingLoggerProvider? logs = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
        }

        return builder;
    }

    private static void Loopback(EmbeddedServerOptions options)
    {
        options.Host = "127.0.0.1";
        options.Port = 0;
    }

    private static ValueTask Hello(Rx.WebSockets.Server.HttpExchange exchange)
    {
        exchange.Response.Write("hello from the host");
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Host_StartAndStop_RunsTheEmbeddedServer()
    {
        var logs = new CapturingLoggerProvider();
        var builder = Builder(logs);
        builder.Services.AddEmbeddedServer(Loopback, app => app.Get("/", Hello));
        using var host = builder.Build();

        await host.StartAsync().WaitAsync(s_timeout);
        var server = host.Services.GetRequiredService<EmbeddedServer>();
        var endPoint = server.LocalEndPoints[0];
        using (var http = new HttpClient { Timeout = s_timeout })
        {
            Assert.Equal("hello from the host", await http.GetStringAsync($"http://127.0.0.1:{endPoint.Port}/"));
        }

        await host.StopAsync().WaitAsync(s_timeout);

        Assert.True(server.Completion.IsCompletedSuccessfully);
        await Assert.ThrowsAsync<SocketException>(() => RawHttpConnection.ConnectAsync(endPoint));
        Assert.Contains(logs.Entries, e => e.EventId == 1 && e.Level == LogLevel.Information && e.Category == typeof(EmbeddedServer).FullName);
    }

    [Fact]
    public async Task Host_InvalidWebSocketOptions_StartFailsBeforeBinding()
    {
        var builder = Builder();
        builder.Services.AddRxWebSockets(o => o.Timeout = TimeSpan.Zero);
        builder.Services.AddEmbeddedServer(Loopback, app => app.Get("/", Hello));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(s_timeout));

        Assert.Contains("Timeout must be positive", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(70000, "Port")]
    [InlineData(-1, "Port")]
    public async Task Host_InvalidServerOptions_StartFails(int port, string expected)
    {
        var builder = Builder();
        builder.Services.AddEmbeddedServer(o => o.Port = port, app => app.Get("/", Hello));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(s_timeout));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddRxWebSockets_InvalidSubProtocol_FailsValidation()
    {
        using var services = new ServiceCollection().AddRxWebSockets(o =>
        {
            o.SubProtocols.Add("chat");
            o.SubProtocols.Add("bad value");
            o.SubProtocols.Add("chat");
        }).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<WebSocketOptions>>().Value);

        Assert.Equal(2, error.Failures.Count());
    }

    [Fact]
    public void AddRxWebSockets_SchedulerDefaultsToSchedulerDefault_ButKeepsOneRegisteredBefore()
    {
        using var plain = new ServiceCollection().AddRxWebSockets().BuildServiceProvider();
        Assert.Same(Scheduler.Default, plain.GetRequiredService<IScheduler>());

        var test = new TestScheduler();
        using var custom = new ServiceCollection().AddSingleton<IScheduler>(test).AddRxWebSockets().BuildServiceProvider();
        Assert.Same(test, custom.GetRequiredService<IScheduler>());
    }

    [Fact]
    public async Task Host_ConfiguredOptions_AreEveryRoutesDefaults()
    {
        var interval = new TaskCompletionSource<TimeSpan?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Builder();
        builder.Services.AddRxWebSockets(o => o.PingInterval = TimeSpan.FromSeconds(42));
        builder.Services.AddEmbeddedServer(Loopback, app => app.WebSocket("/ws", session =>
        {
            interval.SetResult(session.PingInterval);
            return Observable.Empty<Unit>();
        }));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(s_timeout);
        var port = host.Services.GetRequiredService<EmbeddedServer>().LocalEndPoints[0].Port;

        using var client = new ClientWebSocket();
        using var cts = new CancellationTokenSource(s_timeout);
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), cts.Token);

        Assert.Equal(TimeSpan.FromSeconds(42), await interval.Task.WaitAsync(s_timeout));
        await host.StopAsync().WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Host_SeveralAddEmbeddedServerCalls_AllModulesRunOnOneServer()
    {
        var builder = Builder();
        builder.Services.AddEmbeddedServer(Loopback, app => app.Get("/a", Hello));
        builder.Services.AddEmbeddedServer(_ => { }, app => app.Get("/b", Hello));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(s_timeout);
        var port = host.Services.GetRequiredService<EmbeddedServer>().LocalEndPoints[0].Port;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = s_timeout };

        Assert.Equal("hello from the host", await http.GetStringAsync("/a"));
        Assert.Equal("hello from the host", await http.GetStringAsync("/b"));
        Assert.Single(host.Services.GetServices<IHostedService>(), s => s.GetType().Name == "EmbeddedServerHostedService");
        await host.StopAsync().WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Session_Application_IsAScopePerSession_DisposedWhenTheSessionEnds()
    {
        var seen = new ConcurrentQueue<(ScopedProbe First, ScopedProbe Second, SingletonProbe Singleton)>();
        var builder = Builder();
        builder.Services.AddScoped<ScopedProbe>();
        builder.Services.AddSingleton<SingletonProbe>();
        builder.Services.AddEmbeddedServer(Loopback, app => app.WebSocket("/ws", session =>
        {
            var services = session.Application;
            seen.Enqueue((services.GetRequiredService<ScopedProbe>(), services.GetRequiredService<ScopedProbe>(), services.GetRequiredService<SingletonProbe>()));
            // Echo until the client closes.
            return session.Incoming.Do(session.Outgoing.OnNext).IgnoreElements().Select(_ => Unit.Default);
        }));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(s_timeout);
        var port = host.Services.GetRequiredService<EmbeddedServer>().LocalEndPoints[0].Port;
        using var cts = new CancellationTokenSource(s_timeout);
        using var a = new ClientWebSocket();
        using var b = new ClientWebSocket();
        await a.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), cts.Token);
        await b.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), cts.Token);
        await a.SendTextAsync("ping");
        await b.SendTextAsync("ping");
        Assert.Equal("ping", await a.ReceiveTextAsync());
        Assert.Equal("ping", await b.ReceiveTextAsync());

        var probes = seen.ToArray();
        Assert.Equal(2, probes.Length);
        Assert.All(probes, p => Assert.Same(p.First, p.Second));
        Assert.NotSame(probes[0].First, probes[1].First);
        Assert.Same(probes[0].Singleton, probes[1].Singleton);
        Assert.Same(host.Services.GetRequiredService<SingletonProbe>(), probes[0].Singleton);
        Assert.All(probes, p => Assert.False(p.First.Disposed.IsCompleted));

        await a.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);

        // Exactly the closed session's scope is disposed.
        await Task.WhenAny(probes[0].First.Disposed, probes[1].First.Disposed).WaitAsync(s_timeout);
        Assert.Single(probes, p => p.First.Disposed.IsCompleted);
        await b.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        await Task.WhenAll(probes.Select(p => p.First.Disposed)).WaitAsync(s_timeout);
        Assert.False(probes[0].Singleton.Disposed);
        await host.StopAsync().WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Session_PingTimeout_IsLoggedAtInformationNotError()
    {
        var logs = new CapturingLoggerProvider();
        var builder = Builder(logs);
        builder.Services.AddEmbeddedServer(Loopback, app => app.WebSocket(
            "/ws",
            session => Observable.Never<Unit>(),
            o =>
            {
                o.PingInterval = TimeSpan.FromMilliseconds(50);
                o.Timeout = TimeSpan.FromMilliseconds(50);
                o.CloseTimeout = TimeSpan.FromMilliseconds(50);
            }));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(s_timeout);
        var endPoint = host.Services.GetRequiredService<EmbeddedServer>().LocalEndPoints[0];

        // A client that completes the handshake and then never reads: it never answers the pings.
        await using var client = await RawHttpConnection.ConnectAsync(endPoint);
        await client.Send(
            "GET /ws HTTP/1.1", "Host: x", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", "", "");
        Assert.StartsWith("HTTP/1.1 101 ", await client.ReceiveHead(), StringComparison.Ordinal);

        var entry = await logs.WaitForAsync(e => e.EventId == 10);

        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        await host.StopAsync().WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Session_HandlerFails_IsLoggedAtErrorAndClosedWith1011()
    {
        var logs = new CapturingLoggerProvider();
        var builder = Builder(logs);
        builder.Services.AddEmbeddedServer(Loopback, app => app.WebSocket("/ws", _ => throw new InvalidOperationException("handler bug")));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(s_timeout);
        var port = host.Services.GetRequiredService<EmbeddedServer>().LocalEndPoints[0].Port;
        using var client = new ClientWebSocket();
        using var cts = new CancellationTokenSource(s_timeout);
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), cts.Token);

        var (close, _) = await client.ReceiveMessageAsync();

        Assert.Equal(WebSocketCloseStatus.InternalServerError, close.CloseStatus);
        var entry = await logs.WaitForAsync(e => e.EventId == 6);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal("handler bug", entry.Exception?.Message);
        await host.StopAsync().WaitAsync(s_timeout);
    }

    public sealed class ScopedProbe : IAsyncDisposable
    {
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Disposed => _disposed.Task;

        public ValueTask DisposeAsync()
        {
            _disposed.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }

    public sealed class SingletonProbe : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
