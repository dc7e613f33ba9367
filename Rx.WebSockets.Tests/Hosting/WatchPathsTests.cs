using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Reactive;
using System.Reactive.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Hosting.Internal;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Hosting;

/// <summary>
/// watchPaths: a change runs the module again into a new route table, debounced on the server's clock; the socket and
/// live sessions stay; a failing module keeps the old routes.
/// </summary>
public sealed class WatchPathsTests : IDisposable
{
    private static readonly TimeSpan s_timeout = HostingTestServer.Timeout;
    private readonly string _folder = Directory.CreateTempSubdirectory("rxws-watch-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Watcher_SeveralChangesWithinTheQuietPeriod_ReportOnceAfterIt()
    {
        var time = new FakeTimeProvider();
        var changes = new List<string>();
        using var watcher = new ModuleWatcher(Array.Empty<string>(), TimeSpan.FromMilliseconds(500), time, changes.Add, NullLogger.Instance);

        watcher.Notify("a");
        time.Advance(TimeSpan.FromMilliseconds(400));
        watcher.Notify("b");
        time.Advance(TimeSpan.FromMilliseconds(400));
        watcher.Notify("c");
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Empty(changes);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(new[] { "c" }, changes);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(changes);
    }

    [Fact]
    public void Watcher_Disposed_ReportsNothing()
    {
        var time = new FakeTimeProvider();
        var changes = new List<string>();
        var watcher = new ModuleWatcher(Array.Empty<string>(), TimeSpan.FromMilliseconds(500), time, changes.Add, NullLogger.Instance);
        watcher.Notify("a");
        watcher.Dispose();
        watcher.Notify("b");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(changes);
    }

    [Fact]
    public async Task ChangeUnderAWatchedFolder_RunsTheModuleAgain_KeepingSocketAndSessions()
    {
        var (server, timers) = await StartAsync("/one");
        await using var _ = server;
        int port = server.Port;
        using var session = await server.ConnectAsync("/ws");
        Assert.Equal("one", await server.Http.GetStringAsync("/one"));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/two")).StatusCode);

        await ChangeAsync(timers, "/two");

        Assert.Equal("two", await server.Http.GetStringAsync("/two"));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/one")).StatusCode);
        Assert.Equal(port, server.Server.LocalEndPoints[0].Port);
        // The session opened before the reload still echoes.
        await session.SendTextAsync("still here");
        Assert.Equal("still here", await session.ReceiveTextAsync());
        Assert.Contains(server.Logs.Entries, e => e.EventId == 11 && e.Level == LogLevel.Information);
    }

    [Fact]
    public async Task ModuleThrowsOnReload_OldRoutesStayAndTheErrorIsLogged()
    {
        var (server, timers) = await StartAsync("/one");
        await using var _ = server;

        await ChangeAsync(timers, "throw");

        Assert.Equal("one", await server.Http.GetStringAsync("/one"));
        var entry = Assert.Single(server.Logs.Entries, e => e.EventId == 12);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal("routes.txt asks to throw", entry.Exception?.Message);

        // Fixed: the next change is taken.
        await ChangeAsync(timers, "/three");
        Assert.Equal("three", await server.Http.GetStringAsync("/three"));
    }

    [Fact]
    public async Task ModuleRegistersAnInvalidRouteOnReload_OldRoutesStay()
    {
        var (server, timers) = await StartAsync("/one");
        await using var _ = server;

        await ChangeAsync(timers, "no-leading-slash");

        Assert.Equal("one", await server.Http.GetStringAsync("/one"));
        Assert.IsType<ArgumentException>(Assert.Single(server.Logs.Entries, e => e.EventId == 12).Exception);
    }

    private async Task<(HostingTestServer Server, ArmedTimerProvider Timers)> StartAsync(string routes)
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "routes.txt"), routes);
        var timers = new ArmedTimerProvider(new FakeTimeProvider(LoopbackServer.StartTime));
        var server = await HostingTestServer.StartAsync(
            app =>
            {
                // A module whose routes come from a file it reads each time it runs.
                foreach (var line in File.ReadAllLines(Path.Combine(_folder, "routes.txt")).Where(l => l.Length > 0))
                {
                    if (line == "throw")
                    {
                        throw new InvalidOperationException("routes.txt asks to throw");
                    }

                    string text = line.TrimStart('/');
                    app.Get(line, exchange =>
                    {
                        exchange.Response.Write(text);
                        return ValueTask.CompletedTask;
                    });
                }

                app.WebSocket("/ws", session => session.Incoming.Do(session.Outgoing.OnNext).IgnoreElements().Select(_ => Unit.Default));
            },
            configure: s => s with { TimeProvider = timers },
            watchPaths: new[] { _folder });
        return (server, timers);
    }

    private async Task ChangeAsync(ArmedTimerProvider timers, string routes)
    {
        // Step off any deadline an engine timer armed a whole number of seconds after start, so that the wait below can
        // only be satisfied by the debounce timer.
        timers.Fake.Advance(TimeSpan.FromMilliseconds(7));
        var quietAt = timers.Fake.GetUtcNow() + EmbeddedServer.WatchDebounce;
        await File.WriteAllTextAsync(Path.Combine(_folder, "routes.txt"), routes);
        // The watcher saw the change once it armed the debounce timer; the module runs inside Advance, on this thread.
        await timers.WaitForArmedAsync(quietAt).WaitAsync(s_timeout);
        timers.Fake.Advance(EmbeddedServer.WatchDebounce);
    }
}
