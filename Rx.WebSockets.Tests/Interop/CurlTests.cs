using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// curl against the interop server's WebSocket route: the opening handshake of RFC 6455 §4.2.2 as an independent HTTP
/// client sends it (curl has no ws:// support here, so no frames), accepted and refused. Each test is one scenario of
/// the "curl" section of expected-interop.json.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class CurlTests(InteropServerFixture server, ITestOutputHelper output)
{
    /// <summary>The section in expected-interop.json.</summary>
    public const string Peer = "curl";

    // RFC 6455 §1.3's sample nonce; its accept value is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
    private const string SampleKey = "dGhlIHNhbXBsZSBub25jZQ==";

    // curl's own exit code for --max-time: after a 101 the connection stays open until curl gives up.
    private const int CurlTimedOut = 28;

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact, Scenario("upgrade")]
    public Task Upgrade_SampleKey_101WithTheRfcAccept() => CheckAsync(async () =>
    {
        var (exitCode, status, headers) = await CurlAsync("/echo", "2", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", $"Sec-WebSocket-Key: {SampleKey}");

        Assert.True(exitCode is 0 or CurlTimedOut, $"curl exit code {exitCode}");
        return new JsonObject
        {
            ["status"] = status,
            ["upgrade"] = headers.GetValueOrDefault("upgrade"),
            ["connection"] = headers.GetValueOrDefault("connection"),
            ["accept"] = headers.GetValueOrDefault("sec-websocket-accept"),
        };
    });

    [Fact, Scenario("missingKey")]
    public Task Upgrade_WithoutKey_400() => CheckAsync(async () =>
    {
        var (exitCode, status, _) = await CurlAsync("/echo", "5", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13");

        Assert.Equal(0, exitCode);
        return new JsonObject { ["status"] = status };
    });

    [Fact, Scenario("unsupportedVersion")]
    public Task Upgrade_Version8_426NamingVersion13() => CheckAsync(async () =>
    {
        var (exitCode, status, headers) = await CurlAsync("/echo", "5", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 8", $"Sec-WebSocket-Key: {SampleKey}");

        Assert.Equal(0, exitCode);
        return new JsonObject { ["status"] = status, ["version"] = headers.GetValueOrDefault("sec-websocket-version") };
    });

    private async Task<(int ExitCode, int Status, Dictionary<string, string> Headers)> CurlAsync(string path, string maxTime, params string[] requestHeaders)
    {
        var arguments = new List<string> { "-sS", "-i", "-N", "--http1.1", "--max-time", maxTime };
        foreach (string header in requestHeaders)
        {
            arguments.Add("-H");
            arguments.Add(header);
        }

        arguments.Add(server.Http(path).ToString());
        var run = await PeerProcess.RunAsync("curl", arguments, s_timeout, output);

        // -i prints the response head first: a status line, then fields up to an empty line.
        var lines = run.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.True(lines.Count > 0 && lines[0].StartsWith("HTTP/1.1 ", StringComparison.Ordinal), $"no HTTP/1.1 status line; {run}");
        int status = int.Parse(lines[0].AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1).TakeWhile(l => l.Length > 0))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }

        return (run.ExitCode, status, headers);
    }

    private Task CheckAsync(Func<Task<JsonNode?>> scenario, [CallerMemberName] string test = "") =>
        Expectations.CheckScenarioAsync(Peer, typeof(CurlTests), test, output, scenario);
}
