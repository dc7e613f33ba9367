using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// curl against EchoServer: the opening handshake of RFC 6455 §4.2.2 on <c>/echo</c> as an independent HTTP client sends
/// it (curl has no ws:// support here, so no frames), accepted and refused; a multi-range request on <c>/files</c>
/// (RFC 9110 §14.2, multipart/byteranges); a multipart/form-data upload on <c>/upload</c>. Each test is one scenario of
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
        var (exitCode, status, headers, _) = await CurlAsync("/echo", "2", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", $"Sec-WebSocket-Key: {SampleKey}");

        Assert.True(exitCode is 0 or CurlTimedOut, $"curl exit code {exitCode}");
        return new JsonObject
        {
            ["status"] = status,
            ["upgrade"] = headers.GetValueOrDefault("Upgrade"),
            ["connection"] = headers.GetValueOrDefault("Connection"),
            ["accept"] = headers.GetValueOrDefault("Sec-WebSocket-Accept"),
        };
    });

    [Fact, Scenario("missingKey")]
    public Task Upgrade_WithoutKey_400() => CheckAsync(async () =>
    {
        var (exitCode, status, _, _) = await CurlAsync("/echo", "5", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13");

        Assert.Equal(0, exitCode);
        return new JsonObject { ["status"] = status };
    });

    [Fact, Scenario("unsupportedVersion")]
    public Task Upgrade_Version8_426NamingVersion13() => CheckAsync(async () =>
    {
        var (exitCode, status, headers, _) = await CurlAsync("/echo", "5", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 8", $"Sec-WebSocket-Key: {SampleKey}");

        Assert.Equal(0, exitCode);
        return new JsonObject { ["status"] = status, ["version"] = headers.GetValueOrDefault("Sec-WebSocket-Version") };
    });

    [Fact, Scenario("filesMultiRange")]
    public Task Files_TwoRanges_206MultipartByteranges() => CheckAsync(async () =>
    {
        var response = await CurlAsync(new[] { "-r", "0-9,20-29" }, "/files/digits.txt");

        Assert.Equal(0, response.ExitCode);
        string contentType = response.Headers.GetValueOrDefault("Content-Type") ?? "";
        var parts = new JsonArray();
        foreach (var (headers, body) in ByteRanges(contentType, response.Body))
        {
            parts.Add(new JsonObject { ["contentRange"] = headers.GetValueOrDefault("Content-Range"), ["body"] = body });
        }

        return new JsonObject { ["status"] = response.Status, ["contentType"] = contentType.Split(';')[0], ["parts"] = parts };
    });

    [Fact, Scenario("upload")]
    public Task Upload_FieldFileAndEmptyFilename_JsonSummaryWithHashes() => CheckAsync(async () =>
    {
        // Over 1 MiB, so curl asks with "Expect: 100-continue" and the server streams the part.
        byte[] content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        string file = Path.Combine(Path.GetTempPath(), $"rxws-upload-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(file, content);
        try
        {
            var response = await CurlAsync(
                new[] { "-F", "note=hello", "-F", $"file=@{file};filename=x y.bin;type=application/octet-stream", "-F", $"empty=@{file};filename=" },
                "/upload");

            Assert.Equal(0, response.ExitCode);
            var json = JsonNode.Parse(string.Join('\n', response.Body));
            var sent = new Dictionary<string, string>
            {
                ["note"] = Convert.ToHexStringLower(SHA256.HashData("hello"u8)),
                ["file"] = Convert.ToHexStringLower(SHA256.HashData(content)),
                ["empty"] = Convert.ToHexStringLower(SHA256.HashData(content)),
            };

            // The hashes depend on the random content: the value says whether each matches what was sent.
            var parts = new JsonArray();
            foreach (var part in json?["parts"]?.AsArray() ?? new JsonArray())
            {
                string name = part?["name"]?.GetValue<string>() ?? "";
                parts.Add(new JsonObject
                {
                    ["name"] = name,
                    ["filename"] = part?["filename"]?.DeepClone(),
                    ["contentType"] = part?["contentType"]?.DeepClone(),
                    ["size"] = part?["size"]?.DeepClone(),
                    ["sha256Matches"] = sent.GetValueOrDefault(name) == part?["sha256"]?.GetValue<string>(),
                });
            }

            return new JsonObject { ["status"] = response.Status, ["contentType"] = response.Headers.GetValueOrDefault("Content-Type"), ["parts"] = parts };
        }
        finally
        {
            File.Delete(file);
        }
    });

    // The parts of a multipart/byteranges body (RFC 9110 §14.6), from curl's output lines: fields, then the body lines up
    // to the next delimiter line (the line break before a delimiter belongs to the delimiter).
    private static IEnumerable<(Dictionary<string, string> Headers, string Body)> ByteRanges(string contentType, IReadOnlyList<string> lines)
    {
        string boundary = contentType.Split(';').Select(p => p.Trim()).First(p => p.StartsWith("boundary=", StringComparison.Ordinal))["boundary=".Length..].Trim('"');
        string delimiter = "--" + boundary;
        int i = lines.ToList().IndexOf(delimiter);
        Assert.True(i >= 0, $"no delimiter {delimiter} in the body");
        while (i < lines.Count && lines[i] == delimiter)
        {
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (i++; i < lines.Count && lines[i].Length > 0; i++)
            {
                int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
                headers[lines[i][..colon]] = lines[i][(colon + 1)..].Trim();
            }

            var body = new List<string>();
            for (i++; i < lines.Count && !lines[i].StartsWith(delimiter, StringComparison.Ordinal); i++)
            {
                body.Add(lines[i]);
            }

            yield return (headers, string.Join('\n', body));
        }

        Assert.True(i < lines.Count && lines[i] == delimiter + "--", "the body does not end with the close delimiter");
    }

    private Task<CurlResponse> CurlAsync(string path, string maxTime, params string[] requestHeaders) =>
        CurlAsync(requestHeaders.SelectMany(h => new[] { "-H", h }).Prepend(maxTime).Prepend("--max-time"), path);

    private async Task<CurlResponse> CurlAsync(IEnumerable<string> options, string path)
    {
        var arguments = new List<string> { "-sS", "-i", "-N", "--http1.1" };
        arguments.AddRange(options);
        if (!arguments.Contains("--max-time"))
        {
            arguments.AddRange(new[] { "--max-time", "10" });
        }

        arguments.Add(server.Http(path).ToString());
        var run = await PeerProcess.RunAsync("curl", arguments, s_timeout, output);

        // -i prints the response head first: a status line, then fields up to an empty line. An interim 100 Continue
        // comes first when curl asked for it.
        var lines = run.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        while (lines.Count > 1 && lines[0].StartsWith("HTTP/1.1 100 ", StringComparison.Ordinal))
        {
            lines = lines.SkipWhile(l => l.Length > 0).Skip(1).ToList();
        }

        Assert.True(lines.Count > 0 && lines[0].StartsWith("HTTP/1.1 ", StringComparison.Ordinal), $"no HTTP/1.1 status line; {run}");
        int status = int.Parse(lines[0].AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var head = lines.Skip(1).TakeWhile(l => l.Length > 0).ToList();
        foreach (string line in head)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        return new CurlResponse(run.ExitCode, status, headers, lines.Skip(head.Count + 2).ToList());
    }

    private Task CheckAsync(Func<Task<JsonNode?>> scenario, [CallerMemberName] string test = "") =>
        Expectations.CheckScenarioAsync(Peer, typeof(CurlTests), test, output, scenario);
}

/// <summary>curl's view of a response.</summary>
internal sealed record CurlResponse(int ExitCode, int Status, Dictionary<string, string> Headers, IReadOnlyList<string> Body);
