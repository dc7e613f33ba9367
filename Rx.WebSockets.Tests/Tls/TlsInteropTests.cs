using System.Buffers;
using System.Collections.Concurrent;
using System.IO;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Tests.Hosting;
using Rx.WebSockets.Tests.Interop;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Tls;

/// <summary>
/// The interop suite's real clients over TLS (RFC 6455 §3 "wss" URIs, §4.1 "perform a TLS handshake" before the opening
/// handshake): curl with <c>--cacert</c>, npm ws with <c>ca</c>, python3-websockets with an SSL context on the CA file,
/// and headless Chromium pinning the certificate's public key; each echoes over wss, and ALPN selects http/1.1.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class TlsInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private static readonly TestCertificate s_certificate = TestCertificate.Shared;
    private static readonly string s_peers = Path.Combine(InteropPaths.Folder, "..", "Tls", "peers");
    private static readonly string s_nodeFolder = Path.Combine(InteropPaths.Peers, "node");

    [Fact]
    public async Task Curl_HttpsWithCaCert_AnswersAndNegotiatesHttp11()
    {
        await using var server = await TlsTestKit.StartAsync();

        var run = await PeerProcess.RunAsync(
            "curl",
            new[] { "-sS", "-v", "--max-time", "10", "--cacert", s_certificate.PemPath, $"https://127.0.0.1:{server.Port}/hello" },
            s_timeout,
            output);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello over tls", run.Stdout.TrimEnd('\n'));
        // curl offers h2 and http/1.1 (RFC 7301 §3.1); the server selects the only protocol it serves.
        Assert.Contains("ALPN: server accepted http/1.1", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("SSL certificate verify ok", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Curl_WebSocketUpgradeOverTls_Answers101WithTheRfcAccept()
    {
        await using var server = await TlsTestKit.StartAsync();

        // After the 101 the connection stays open until --max-time: curl's exit code is then 28.
        var run = await PeerProcess.RunAsync(
            "curl",
            new[]
            {
                "-sS", "-i", "-N", "--http1.1", "--max-time", "2", "--cacert", s_certificate.PemPath,
                "-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
                "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                $"https://127.0.0.1:{server.Port}/echo",
            },
            s_timeout,
            output);

        Assert.True(run.ExitCode is 0 or 28, run.ToString());
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols", run.Stdout, StringComparison.Ordinal);
        // RFC 6455 §1.3: the sample key's accept value.
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeWs_WssEchoWithCa_EchoesAndNegotiatesHttp11()
    {
        PeerProcess.RequireFile(Path.Combine(s_nodeFolder, "node_modules", "ws", "package.json"), "npm ws (npm ci in Interop/peers/node)");
        await using var server = await TlsTestKit.StartAsync();

        var run = await PeerProcess.RunAsync(
            "node",
            new[] { Path.Combine(s_peers, "wss_client.js"), $"wss://127.0.0.1:{server.Port}/echo", s_certificate.PemPath, s_nodeFolder },
            s_timeout,
            output);

        AssertResults(run, """{"alpn":"http/1.1","authorized":true,"text":true,"binary":true,"close":1000}""");
    }

    [Fact]
    public async Task PythonWebSockets_WssEchoWithCafile_EchoesAndNegotiatesHttp11()
    {
        await using var server = await TlsTestKit.StartAsync();

        var run = await PeerProcess.RunAsync(
            "/usr/bin/python3",
            new[] { Path.Combine(s_peers, "wss_client.py"), $"wss://127.0.0.1:{server.Port}/echo", s_certificate.PemPath },
            s_timeout,
            output);

        AssertResults(run, """{"alpn":"http/1.1","text":true,"binary":true,"close":1000}""");
    }

    [Fact]
    public async Task Chromium_PageOverHttpsPinnedBySpki_EchoesOverWss()
    {
        var reports = new ConcurrentDictionary<string, TaskCompletionSource<string>>(StringComparer.Ordinal);
        await using var server = await HostingTestServer.StartAsync(
            app =>
            {
                TlsTestKit.Module(app);
                app.Get("/wss.html", async exchange =>
                {
                    exchange.Response.Headers.Set("Content-Type", "text/html; charset=utf-8");
                    await exchange.Response.WriteAsync(await File.ReadAllBytesAsync(Path.Combine(s_peers, "wss.html")));
                });
                app.Post("/report", async exchange =>
                {
                    string id = exchange.Request.Target.Split("id=", 2)[^1];
                    string body = await ReadBodyAsync(exchange);
                    reports.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(body);
                    exchange.Response.StatusCode = 204;
                });
            },
            s => s with { Tls = new Rx.WebSockets.Server.TlsOptions(s_certificate.Certificate) });
        string id = InteropServerFixture.NewId("chromium-wss");
        var reported = reports.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        string profile = Directory.CreateTempSubdirectory("rxws-chromium-tls-").FullName;
        try
        {
            PeerResult run;
            await using (var browser = PeerProcess.Start("/usr/bin/chromium", ChromiumArguments(profile, $"https://127.0.0.1:{server.Port}/wss.html?id={id}"), output))
            {
                try
                {
                    await Task.WhenAny(reported, browser.Exited).WaitAsync(s_timeout);
                }
                catch (TimeoutException)
                {
                }

                run = await browser.KillAsync();
            }

            Assert.True(reported.IsCompleted, $"chromium posted no results within {s_timeout.TotalSeconds} s; {run}");
            output.WriteLine($"chromium reported: {await reported}");
            AssertJson("""{"protocol":"https:","text":true,"binary":true,"close":1000}""", await reported, run.ToString());
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    private static string[] ChromiumArguments(string profile, string page) =>
    [
        "--headless",
        "--no-sandbox", // required as root
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--user-data-dir=" + profile,
        // Trusts exactly the test certificate's public key, as a pin; any other certificate still fails.
        "--ignore-certificate-errors-spki-list=" + s_certificate.SpkiSha256,
        page,
    ];

    private static async Task<string> ReadBodyAsync(Rx.WebSockets.Server.HttpExchange exchange)
    {
        var text = new StringBuilder();
        while (true)
        {
            var result = await exchange.Body.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                text.Append(Encoding.UTF8.GetString(segment.Span));
            }

            exchange.Body.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return text.ToString();
            }
        }
    }

    private static void AssertResults(PeerResult run, string expected)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        string? line = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } lines ? lines[^1] : null;
        AssertJson(expected, line, run.ToString());
    }

    private static void AssertJson(string expected, string? actual, string context)
    {
        var actualNode = actual is null ? null : JsonNode.Parse(actual);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actualNode), $"expected {expected}, got {actual}; {context}");
    }
}
