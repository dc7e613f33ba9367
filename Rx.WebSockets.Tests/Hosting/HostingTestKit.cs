using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Tests.Hosting;

/// <summary>A log entry captured by <see cref="CapturingLoggerProvider"/>.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, int EventId, string Message, Exception? Exception);

/// <summary>Keeps every log entry in memory, so that tests can assert what was logged and at which level.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();
    private readonly object _gate = new();
    private readonly List<(Func<CapturedLog, bool> Predicate, TaskCompletionSource<CapturedLog> Signal)> _waiters = new();

    public IReadOnlyList<CapturedLog> Entries => _entries.ToArray();

    /// <summary>Completes with the first entry (past or future) that matches <paramref name="predicate"/>.</summary>
    public Task<CapturedLog> WaitForAsync(Func<CapturedLog, bool> predicate)
    {
        lock (_gate)
        {
            if (_entries.FirstOrDefault(predicate) is { } found)
            {
                return Task.FromResult(found);
            }

            var signal = new TaskCompletionSource<CapturedLog>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((predicate, signal));
            return signal.Task.WaitAsync(HostingTestServer.Timeout);
        }
    }

    private void Add(CapturedLog entry)
    {
        lock (_gate)
        {
            _entries.Enqueue(entry);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Predicate(entry))
                {
                    _waiters[i].Signal.TrySetResult(entry);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger : ILogger
    {
        private readonly CapturingLoggerProvider _owner;
        private readonly string _category;

        public Logger(CapturingLoggerProvider owner, string category)
        {
            _owner = owner;
            _category = category;
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _owner.Add(new CapturedLog(_category, logLevel, eventId.Id, formatter(state, exception), exception));
    }
}

/// <summary>
/// An <see cref="EmbeddedServer"/> on 127.0.0.1 with an ephemeral port, its own service container (with captured logs)
/// and an <see cref="HttpClient"/> pointed at it. Disposal stops it with a bounded wait.
/// </summary>
public sealed class HostingTestServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private HostingTestServer(EmbeddedServer server, ServiceProvider services, CapturingLoggerProvider logs)
    {
        Server = server;
        Services = services;
        Logs = logs;
        Http = new HttpClient { BaseAddress = BaseUri, Timeout = Timeout };
    }

    public EmbeddedServer Server { get; }

    public ServiceProvider Services { get; }

    public CapturingLoggerProvider Logs { get; }

    public HttpClient Http { get; }

    public int Port => Server.LocalEndPoints[0].Port;

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public Uri WebSocketUri(string path) => new($"ws://127.0.0.1:{Port}{path}");

    public static async Task<HostingTestServer> StartAsync(
        Action<Application> module,
        Func<HttpServerSettings, HttpServerSettings>? configure = null,
        Action<IServiceCollection>? services = null,
        IEnumerable<string>? watchPaths = null,
        CancellationToken parentLifetime = default)
    {
        var logs = new CapturingLoggerProvider();
        var collection = new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace))
            .AddRxWebSockets();
        services?.Invoke(collection);
        var provider = collection.BuildServiceProvider();
        var server = EmbeddedServer.Create(
            Engines.Cio,
            port: 0,
            host: "127.0.0.1",
            watchPaths: watchPaths,
            parentLifetime: parentLifetime,
            configure: configure,
            services: provider,
            module: module);
        await server.StartAsync().WaitAsync(Timeout);
        return new HostingTestServer(server, provider, logs);
    }

    public async Task<ClientWebSocket> ConnectAsync(string path)
    {
        var client = new ClientWebSocket();
        using var cts = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(WebSocketUri(path), cts.Token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync().AsTask().WaitAsync(Timeout);
        await Services.DisposeAsync();
    }
}

/// <summary>Small ClientWebSocket helpers with bounded waits.</summary>
public static class ClientWebSocketExtensions
{
    public static async Task SendTextAsync(this ClientWebSocket client, string text)
    {
        using var cts = new CancellationTokenSource(HostingTestServer.Timeout);
        await client.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cts.Token);
    }

    /// <summary>Receives one whole message (or the Close) and returns its type and bytes.</summary>
    public static async Task<(WebSocketReceiveResult Result, byte[] Data)> ReceiveMessageAsync(this ClientWebSocket client)
    {
        using var cts = new CancellationTokenSource(HostingTestServer.Timeout);
        var data = new List<byte>();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var result = await client.ReceiveAsync(buffer, cts.Token);
            data.AddRange(buffer.Take(result.Count));
            if (result.EndOfMessage || result.MessageType == WebSocketMessageType.Close)
            {
                return (result, data.ToArray());
            }
        }
    }

    public static async Task<string> ReceiveTextAsync(this ClientWebSocket client)
    {
        var (result, data) = await client.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return System.Text.Encoding.UTF8.GetString(data);
    }
}
