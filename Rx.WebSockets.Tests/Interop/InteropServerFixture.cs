using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Pipelines;
using System.Reactive;
using System.Reactive.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Examples.EchoServer;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Http;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>The one server every interop test of the collection talks to.</summary>
[CollectionDefinition(Name)]
public sealed class InteropCollection : ICollectionFixture<InteropServerFixture>, ICollectionFixture<ChatServerFixture>
{
    /// <summary>The collection's name; its classes run one after another, so peers do not compete for the 2 cores.</summary>
    public const string Name = "Interop";
}

/// <summary>
/// examples/EchoServer in-process, as a user runs it (<see cref="EchoModule"/> with its default options, on
/// 127.0.0.1 and a free port, through <see cref="EmbeddedServer"/> and the Cio engine), plus the test routes the peers
/// need, registered by the same module call:
/// <list type="bullet">
/// <item>EchoServer's own: <c>GET /</c> (the example page), WebSocket <c>/echo</c>, <c>POST /echo</c>,
/// <c>GET /files/{name}</c> (serving examples/EchoServer/files), <c>POST /upload</c>.</item>
/// <item><c>/interop/echo?id=X&amp;ping=MS</c>: EchoServer's echo handler (<see cref="EchoModule.Echo"/>) on a session
/// registered under X (see <see cref="Session"/>), so a test sees the server's side: pings, pongs, close reason;
/// <c>ping</c> turns on the server's pinger.</item>
/// <item><c>/interop/close?code=N&amp;reason=R&amp;id=X</c>: the server starts the closing handshake with N when the peer's
/// first message arrives (a Close right after the 101 races the end of the peer's handshake; see the python section of
/// expected-interop.json).</item>
/// <item><c>/interop/fragments?id=X</c>: the server sends <see cref="FragmentedText"/> in three fragments (one cut inside
/// a UTF-8 sequence) and <see cref="FragmentedBinary"/> in two, then echoes.</item>
/// <item><c>GET /interop/pongs?id=X&amp;count=N</c>: answers once session X has received N pongs (504 after
/// <see cref="PongWait"/>): lets a peer wait for the server's pinger without a timer.</item>
/// <item><c>GET /interop.html?id=X</c>: the browser's test page; <c>POST /interop/report?id=X</c>: its results.</item>
/// </list>
/// </summary>
public sealed class InteropServerFixture : IAsyncLifetime
{
    /// <summary>The text message <c>/interop/fragments</c> sends first.</summary>
    public const string FragmentedText = "frag-é-ment";

    /// <summary>How long <c>/interop/pongs</c> waits before answering 504.</summary>
    public static readonly TimeSpan PongWait = TimeSpan.FromSeconds(10);

    /// <summary>The binary message <c>/interop/fragments</c> sends second.</summary>
    public static readonly byte[] FragmentedBinary = { 1, 2, 3, 250 };

    /// <summary>The folder EchoServer serves under /files: the example's own sample files.</summary>
    public static readonly string FilesDirectory = Path.Combine(RepositoryPaths.Root, "examples", "EchoServer", "files");

    private static readonly string s_pagePath = Path.Combine(InteropPaths.Peers, "chromium", "interop.html");
    private static int s_ids;

    private readonly ConcurrentDictionary<string, SessionProbe> _probes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _reports = new(StringComparer.Ordinal);
    private EmbeddedServer? _server;

    /// <summary>The port the server listens on.</summary>
    public int Port => (_server ?? throw new InvalidOperationException("The fixture has not started.")).LocalEndPoints[0].Port;

    /// <summary>The options EchoServer runs with: its defaults, except the address and the files folder.</summary>
    public static EchoServerOptions EchoOptions { get; } = new() { Host = "127.0.0.1", Port = 0, FilesDirectory = FilesDirectory };

    /// <summary>A unique id for a WebSocket URL or a browser report.</summary>
    public static string NewId(string prefix) =>
        prefix + "-" + Interlocked.Increment(ref s_ids).ToString(CultureInfo.InvariantCulture);

    /// <summary><c>http://127.0.0.1:PORT</c> + <paramref name="pathAndQuery"/>.</summary>
    public Uri Http(string pathAndQuery) => new($"http://127.0.0.1:{Port}{pathAndQuery}");

    /// <summary><c>ws://127.0.0.1:PORT</c> + <paramref name="pathAndQuery"/>.</summary>
    public Uri Ws(string pathAndQuery) => new($"ws://127.0.0.1:{Port}{pathAndQuery}");

    /// <summary>The server's view of the WebSocket connection whose URL carried <c>id=<paramref name="id"/></c>.</summary>
    public SessionProbe Session(string id) => _probes.GetOrAdd(id, static _ => new SessionProbe());

    /// <summary>The body the browser page posted to <c>/interop/report?id=<paramref name="id"/></c>.</summary>
    public Task<string> Report(string id) => ReportSource(id).Task;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var options = EchoOptions;
        _server = EmbeddedServer.Create(
            Engines.Cio,
            options.Port,
            options.Host,
            configure: settings => EchoModule.ConfigureServer(settings, options) with
            {
                ShutdownGracePeriod = TimeSpan.FromMilliseconds(200),
                ShutdownTimeout = TimeSpan.FromSeconds(2),
            },
            module: app =>
            {
                EchoModule.Configure(app, options);
                AddInteropRoutes(app);
            });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _server.StartAsync(timeout.Token);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            values[name] = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
        }

        return values;
    }

    /// <summary>Reads a request body to its end as UTF-8.</summary>
    internal static async Task<string> ReadBodyAsync(PipeReader body)
    {
        while (true)
        {
            var result = await body.ReadAsync();
            if (result.IsCompleted)
            {
                string text = Encoding.UTF8.GetString(result.Buffer);
                body.AdvanceTo(result.Buffer.End);
                return text;
            }

            body.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>Answers with <paramref name="body"/>, uncached.</summary>
    internal static void Answer(HttpExchange exchange, int status, string contentType, string body)
    {
        exchange.Response.StatusCode = status;
        exchange.Response.Headers.Set("Content-Type", contentType);
        exchange.Response.Headers.Set("Cache-Control", "no-store");
        exchange.Response.Write(body);
    }

    private static IObservable<Unit> SendFragmentsThenEcho(IWebSocketServerSession session)
    {
        // RFC 6455 §5.4: "Clients and servers MUST support receiving both fragmented and unfragmented messages."
        // The text is cut inside the two bytes of 'é', so a peer that decodes each fragment on its own fails.
        var text = Encoding.UTF8.GetBytes(FragmentedText);
        int cut = Encoding.UTF8.GetByteCount("frag-") + 1;
        session.Outgoing.OnNext(Frame.Text(text.AsMemory(0, 2), isFinal: false));
        session.Outgoing.OnNext(Frame.Continuation(text.AsMemory(2, cut - 2), isFinal: false));
        session.Outgoing.OnNext(Frame.Continuation(text.AsMemory(cut), isFinal: true));
        session.Outgoing.OnNext(Frame.Binary(FragmentedBinary.AsMemory(0, 2), isFinal: false));
        session.Outgoing.OnNext(Frame.Continuation(FragmentedBinary.AsMemory(2), isFinal: true));
        return EchoModule.Echo(session);
    }

    private static IObservable<Unit> CloseOnFirstMessage(IWebSocketServerSession session)
    {
        var query = ParseQuery(session.Call.Query);
        var reason = new CloseReason(ushort.Parse(query["code"], CultureInfo.InvariantCulture), query.GetValueOrDefault("reason", ""));
        // Never completes: a completed handler closes with 1000; the session's end ends it.
        return session.Incoming.Take(1).SelectMany(_ =>
        {
            session.Outgoing.OnNext(Frame.Close(reason));
            return Observable.Never<Unit>();
        });
    }

    private void AddInteropRoutes(Application app) =>
        app.WebSocket("/interop/echo", Probed(EchoModule.Echo))
            .WebSocket("/interop/close", Probed(CloseOnFirstMessage))
            .WebSocket("/interop/fragments", Probed(SendFragmentsThenEcho))
            .Get("/interop/pongs", PongsAsync)
            .Get("/interop.html", async exchange => Answer(exchange, HttpStatus.OK, "text/html; charset=utf-8", await File.ReadAllTextAsync(s_pagePath)))
            .Post("/interop/report", async exchange =>
            {
                ReportSource(ParseQuery(exchange.Request.Query).GetValueOrDefault("id", "")).TrySetResult(await ReadBodyAsync(exchange.Body));
                exchange.Response.StatusCode = HttpStatus.NoContent;
            });

    // The handler runs before the session starts reading: the probe misses no ping or pong.
    private WebSocketHandler Probed(WebSocketHandler handler) => session =>
    {
        var query = ParseQuery(session.Call.Query);
        if (query.TryGetValue("id", out string? id))
        {
            Session(id).Attach(session);
        }

        if (query.TryGetValue("ping", out string? ping))
        {
            session.PingIntervalMillis = long.Parse(ping, CultureInfo.InvariantCulture);
        }

        return handler(session);
    };

    private TaskCompletionSource<string> ReportSource(string id) =>
        _reports.GetOrAdd(id, static _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));

    private async ValueTask PongsAsync(HttpExchange exchange)
    {
        var query = ParseQuery(exchange.Request.Query);
        var probe = Session(query.GetValueOrDefault("id", ""));
        int count = int.Parse(query.GetValueOrDefault("count", "1"), CultureInfo.InvariantCulture);
        try
        {
            int seen = await probe.WaitForPongsAsync(count).WaitAsync(PongWait);
            Answer(exchange, HttpStatus.OK, "application/json", $"{{\"pongs\":{seen}}}");
        }
        catch (TimeoutException)
        {
            Answer(exchange, 504, "text/plain; charset=utf-8", $"{probe.PongCount} of {count} pongs after {PongWait}");
        }
    }
}
