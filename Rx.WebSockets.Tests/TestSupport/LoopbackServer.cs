using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Tests.TestSupport;

/// <summary>
/// An <see cref="HttpServer"/> on 127.0.0.1 with an ephemeral port and a fake clock: responses carry a fixed
/// <see cref="Date"/>, and timeouts fire only when a test advances <see cref="Time"/>.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    /// <summary>The fake clock's start.</summary>
    public static readonly DateTimeOffset StartTime = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The Date header value of every response while the clock is not advanced.</summary>
    public const string Date = "Date: Tue, 01 Jan 2030 00:00:00 GMT";

    private LoopbackServer(HttpServer server, ArmedTimerProvider timers)
    {
        Server = server;
        Timers = timers;
    }

    /// <summary>The server.</summary>
    public HttpServer Server { get; }

    /// <summary>The server's clock.</summary>
    public FakeTimeProvider Time => Timers.Fake;

    /// <summary>The server's clock, reporting when the server arms a timeout.</summary>
    public ArmedTimerProvider Timers { get; }

    /// <summary>Where the server listens.</summary>
    public IPEndPoint EndPoint => Server.LocalEndPoints[0];

    /// <summary>Starts a server with <paramref name="handler"/>; <paramref name="configure"/> adjusts the settings.</summary>
    public static LoopbackServer Start(HttpRequestHandler handler, Func<HttpServerSettings, HttpServerSettings>? configure = null)
    {
        var timers = new ArmedTimerProvider(new FakeTimeProvider(StartTime));
        var settings = new HttpServerSettings { Host = "127.0.0.1", Port = 0, TimeProvider = timers };
        settings = configure?.Invoke(settings) ?? settings;
        return new LoopbackServer(HttpServer.Start(settings, handler), timers);
    }

    /// <summary>Opens a raw connection to the server.</summary>
    public Task<RawHttpConnection> ConnectAsync() => RawHttpConnection.ConnectAsync(EndPoint);

    /// <summary>Stops the server at once (no grace period: the clock is fake and would never end it).</summary>
    public async ValueTask DisposeAsync()
    {
        using var now = new CancellationTokenSource();
        var stopping = Server.StopAsync(now.Token);
        now.Cancel();
        await stopping.WaitAsync(RawHttpConnection.Timeout);
    }
}
