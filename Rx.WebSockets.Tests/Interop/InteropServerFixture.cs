using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Pipelines;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>The one server every interop test of the collection talks to.</summary>
[CollectionDefinition(Name)]
public sealed class InteropCollection : ICollectionFixture<InteropServerFixture>
{
    /// <summary>The collection's name; its classes run one after another, so peers do not compete for the 2 cores.</summary>
    public const string Name = "Interop";
}

/// <summary>
/// An <see cref="HttpServer"/> on 127.0.0.1 with an ephemeral port and the real clock, serving the routes the real peers
/// need (the routes of examples/EchoServer that the interop suite uses, plus test-only ones):
/// <list type="bullet">
/// <item><c>/echo</c>: WebSocket echo with the default session (text as text, binary as binary); limits of
/// <see cref="MaxMessageSize"/> so that 1 MiB messages pass; <c>?ping=MS</c> turns on the server's pinger.</item>
/// <item><c>/close?code=N&amp;reason=R</c>: WebSocket; the server starts the closing handshake with N when the peer's
/// first message arrives (a Close right after the 101 races the end of the peer's handshake; see the python section of
/// expected-interop.json).</item>
/// <item><c>/fragments</c>: WebSocket; the server sends <see cref="FragmentedText"/> in three fragments (one cut inside
/// a UTF-8 sequence) and <see cref="FragmentedBinary"/> in two, then echoes.</item>
/// <item><c>GET /pongs?id=X&amp;count=N</c>: answers once the session with id X has received N pongs (504 after
/// <see cref="PongWait"/>): lets a peer wait for the server's pinger without a timer.</item>
/// <item><c>GET /</c>, <c>GET /interop.html</c>: the browser page; <c>POST /report?id=X</c>: the page's results.</item>
/// </list>
/// A WebSocket URL with <c>?id=X</c> registers its session under X (see <see cref="Session"/>), so a test can watch the
/// server's side of a peer's connection: pings and pongs received, the close reason.
/// </summary>
public sealed class InteropServerFixture : IAsyncLifetime
{
    /// <summary>The frame and message limit of the WebSocket routes: above the 1 MiB messages of the scenarios.</summary>
    public const long MaxMessageSize = 4 * 1024 * 1024;

    /// <summary>The text message <c>/fragments</c> sends first.</summary>
    public const string FragmentedText = "frag-é-ment";

    /// <summary>How long <c>/pongs</c> waits before answering 504.</summary>
    public static readonly TimeSpan PongWait = TimeSpan.FromSeconds(10);

    /// <summary>The binary message <c>/fragments</c> sends second.</summary>
    public static readonly byte[] FragmentedBinary = { 1, 2, 3, 250 };

    private static readonly string s_pagePath = Path.Combine(InteropPaths.Peers, "chromium", "interop.html");
    private static int s_ids;

    private readonly ConcurrentDictionary<string, SessionProbe> _probes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _reports = new(StringComparer.Ordinal);
    private HttpServer? _server;

    /// <summary>The port the server listens on.</summary>
    public int Port => Server.LocalEndPoints[0].Port;

    /// <summary>The server.</summary>
    public HttpServer Server => _server ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>A unique id for a WebSocket URL or a browser report.</summary>
    public static string NewId(string prefix) =>
        prefix + "-" + Interlocked.Increment(ref s_ids).ToString(CultureInfo.InvariantCulture);

    /// <summary><c>http://127.0.0.1:PORT</c> + <paramref name="pathAndQuery"/>.</summary>
    public Uri Http(string pathAndQuery) => new($"http://127.0.0.1:{Port}{pathAndQuery}");

    /// <summary><c>ws://127.0.0.1:PORT</c> + <paramref name="pathAndQuery"/>.</summary>
    public Uri Ws(string pathAndQuery) => new($"ws://127.0.0.1:{Port}{pathAndQuery}");

    /// <summary>The server's view of the WebSocket connection whose URL carried <c>id=<paramref name="id"/></c>.</summary>
    public SessionProbe Session(string id) => _probes.GetOrAdd(id, static _ => new SessionProbe());

    /// <summary>The body the browser page posted to <c>/report?id=<paramref name="id"/></c>.</summary>
    public Task<string> Report(string id) => ReportSource(id).Task;

    /// <inheritdoc />
    public Task InitializeAsync()
    {
        _server = HttpServer.Start(
            new HttpServerSettings { Host = "127.0.0.1", Port = 0, ShutdownGracePeriod = TimeSpan.FromMilliseconds(200), ShutdownTimeout = TimeSpan.FromSeconds(2) },
            HandleAsync);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _server.StopAsync(timeout.Token);
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

    private static async Task<string> ReadBodyAsync(PipeReader body)
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

    private static void Answer(HttpExchange exchange, int status, string contentType, string body)
    {
        exchange.Response.StatusCode = status;
        exchange.Response.Headers.Add("Content-Type", contentType);
        exchange.Response.Headers.Add("Cache-Control", "no-store");
        exchange.Response.Write(body);
    }

    private TaskCompletionSource<string> ReportSource(string id) =>
        _reports.GetOrAdd(id, static _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));

    private async ValueTask HandleAsync(HttpExchange exchange)
    {
        var request = exchange.Request;
        var query = ParseQuery(request.Query);
        switch (request.Path)
        {
            case "/echo" or "/close" or "/fragments" when request.Method == HttpMethods.Get:
                await WebSocketAsync(exchange, request.Path, query);
                break;
            case "/" or "/interop.html" when request.Method == HttpMethods.Get:
                Answer(exchange, HttpStatus.OK, "text/html; charset=utf-8", await File.ReadAllTextAsync(s_pagePath));
                break;
            case "/pongs" when request.Method == HttpMethods.Get:
                await PongsAsync(exchange, query);
                break;
            case "/report" when request.Method == HttpMethods.Post:
                ReportSource(query.GetValueOrDefault("id", "")).TrySetResult(await ReadBodyAsync(exchange.Body));
                exchange.Response.StatusCode = HttpStatus.NoContent;
                break;
            default:
                Answer(exchange, HttpStatus.NotFound, "text/plain; charset=utf-8", "not found");
                break;
        }
    }

    private async Task WebSocketAsync(HttpExchange exchange, string path, Dictionary<string, string> query)
    {
        var options = new WebSocketOptions
        {
            Limits = new FrameLimits { MaxFrameSize = MaxMessageSize, MaxMessageSize = MaxMessageSize, MaxOutgoingBufferSize = 2 * MaxMessageSize },
        };
        if (query.TryGetValue("ping", out string? ping))
        {
            options.PingIntervalMillis = long.Parse(ping, CultureInfo.InvariantCulture);
        }

        IWebSocketServerSession session;
        try
        {
            session = await exchange.AcceptWebSocketAsync(options);
        }
        catch (HandshakeRejectedException)
        {
            return; // the client got the rejection's status; curl's negative handshakes end here
        }

        var probe = query.TryGetValue("id", out string? id) ? Session(id) : null;
        probe?.Attach(session);
        IObservable<CloseReason> run;
        if (path == "/close")
        {
            var reason = new CloseReason(ushort.Parse(query["code"], CultureInfo.InvariantCulture), query.GetValueOrDefault("reason", ""));
            // Never completes: a completed handler would close with 1000; the session's end ends it.
            run = session.Run(frames => frames.Take(1).Select(_ => (Frame)Frame.Close(reason)).Concat(Observable.Never<Frame>()));
        }
        else
        {
            run = session.Run(frames => frames);
        }

        var ended = run.LastOrDefaultAsync().ToTask();
        if (path == "/fragments")
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
        }

        try
        {
            await ended;
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
            // The probe holds the session's end; a peer that vanished is the test's business, not the server's.
        }
    }

    private async Task PongsAsync(HttpExchange exchange, Dictionary<string, string> query)
    {
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
