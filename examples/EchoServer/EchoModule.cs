using System.IO;
using System.Reactive;
using System.Reactive.Linq;
using System.Threading.Tasks;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Http;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Examples.EchoServer;

/// <summary>
/// The echo server's application module: the page at <c>/</c>, the WebSocket echo at <c>/echo</c>, the HTTP echo
/// (<c>POST /echo</c>), files with ranges and validators (<c>/files/{name}</c>) and multipart uploads (<c>/upload</c>).
/// </summary>
public static class EchoModule
{
    private const string IndexResource = "Rx.WebSockets.Examples.EchoServer.index.html";

    /// <summary>Maps every route of the echo server onto <paramref name="app"/>.</summary>
    /// <param name="app">The application.</param>
    /// <param name="options">Keep-alive, frame size and files folder.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static void Configure(Application app, EchoServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        var files = new FileEndpoint(options.FilesDirectory);
        app.Get("/", IndexAsync)
            .WebSocket("/echo", Echo, o =>
            {
                o.PingInterval = options.PingInterval;
                o.Timeout = options.PingTimeout;
                // RFC 7692: answers the client's first acceptable permessage-deflate offer; a client that offers none
                // gets an uncompressed session.
                o.Compression = options.Compression ? new PerMessageDeflateOptions() : null;
                o.Limits = o.Limits with
                {
                    MaxFrameSize = options.MaxFrameSize,
                    // A message is at least one frame: a frame limit above the message limit would be pointless.
                    MaxMessageSize = Math.Max(o.Limits.MaxMessageSize, options.MaxFrameSize),
                };
            })
            .Post("/echo", EchoBodyAsync)
            .Get("/files/{name}", files.ServeAsync)
            .Post("/upload", UploadEndpoint.HandleAsync);
    }

    /// <summary>
    /// The engine settings the example needs: a request body limit of <see cref="EchoServerOptions.MaxRequestBodySize"/>
    /// (2 GiB by default; the engine's own default, 30 MB, would refuse large uploads with 413).
    /// </summary>
    /// <param name="settings">The settings to change.</param>
    /// <param name="options">The options.</param>
    /// <returns>The changed settings.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static HttpServerSettings ConfigureServer(HttpServerSettings settings, EchoServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        return settings with
        {
            Limits = settings.Limits with { MaxRequestBodySize = options.MaxRequestBodySize },
            Tls = options.TlsCertificate is null ? settings.Tls : TlsOptions.FromCertificateFile(options.TlsCertificate, options.TlsPassword),
        };
    }

    /// <summary>Echoes each message as it came: text as text, binary as binary (whole messages: the default session reassembles fragments).</summary>
    /// <param name="session">The session.</param>
    /// <returns>The echo; it completes when the peer closes.</returns>
    public static IObservable<Unit> Echo(IWebSocketServerSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.Incoming
            .Select(frame => frame switch
            {
                // The payload is the frame's own copy (frames own their payload): echoing it needs no copy.
                TextFrame text => Frame.Text(text.Payload),
                BinaryFrame binary => (Frame?)Frame.Binary(binary.Payload),
                _ => null,
            })
            .Where(frame => frame is not null)
            .Do(frame => session.Outgoing.OnNext(frame!))
            .IgnoreElements()
            .Select(_ => Unit.Default);
    }

    private static async ValueTask IndexAsync(HttpExchange exchange)
    {
        var response = exchange.Response;
        response.Headers.Set("Content-Type", "text/html; charset=utf-8");
        response.Headers.Set("Cache-Control", "no-cache");
        await using var page = typeof(EchoModule).Assembly.GetManifestResourceStream(IndexResource)
            ?? throw new InvalidOperationException($"The resource {IndexResource} is missing.");
        response.Headers.Set("Content-Length", page.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (exchange.Request.Method != HttpMethods.Head)
        {
            await page.CopyToAsync(response.BodyStream).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Answers the request body with the request's Content-Type (none if it had none) and its length. The body is read
    /// whole first — in memory up to 1 MiB, spooled to a temporary file beyond — and then sent: a client that sends its
    /// whole request before reading the response (most do) would deadlock against a server streaming a large body
    /// straight back, and spooling keeps memory bounded whatever the size.
    /// </summary>
    private static async ValueTask EchoBodyAsync(HttpExchange exchange)
    {
        const int InMemoryLimit = 1024 * 1024;
        var request = exchange.Request;
        var response = exchange.Response;
        if (request.Headers.Get("Content-Type") is { } contentType)
        {
            response.Headers.Set("Content-Type", contentType);
        }

        Stream spool = new MemoryStream();
        try
        {
            var body = exchange.Body;
            while (true)
            {
                var result = await body.ReadAsync().ConfigureAwait(false);
                if (spool is MemoryStream memory && memory.Length + result.Buffer.Length > InMemoryLimit)
                {
                    var file = new FileStream(
                        Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024,
                        FileOptions.Asynchronous | FileOptions.DeleteOnClose);
                    memory.Position = 0;
                    await memory.CopyToAsync(file).ConfigureAwait(false);
                    spool = file;
                }

                foreach (var segment in result.Buffer)
                {
                    await spool.WriteAsync(segment).ConfigureAwait(false);
                }

                body.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            await body.CompleteAsync().ConfigureAwait(false);
            response.Headers.Set("Content-Length", spool.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
            spool.Position = 0;
            await spool.CopyToAsync(response.BodyStream).ConfigureAwait(false);
        }
        finally
        {
            await spool.DisposeAsync().ConfigureAwait(false);
        }
    }
}
