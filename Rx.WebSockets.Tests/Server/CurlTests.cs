using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Pipelines;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http.Multipart;
using Rx.WebSockets.Http.Ranges;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Server;

/// <summary>
/// The engine against a real client, curl (RFC 9112 §7.1 chunked uploads, RFC 7578 form-data, RFC 9110 §14.6
/// multipart/byteranges, RFC 9110 §9.3.2 HEAD): every byte curl sends or receives is checked, not just the status.
/// </summary>
[Trait("Category", "Interop")]
public sealed class CurlTests : IDisposable
{
    private static readonly TimeSpan s_curlTimeout = TimeSpan.FromSeconds(20);

    // A fixed, non-repeating pattern: a misplaced range or a dropped chunk changes the bytes, not just the length.
    private static readonly byte[] s_file = CreateContent(100, seed: 7);

    private readonly string _directory = Directory.CreateTempSubdirectory("rxws-curl-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ChunkedUpload_DataBinaryFromFile_HandlerReadsTheDecodedBodyExactly()
    {
        // Larger than one socket read and than curl's upload buffer, so the body arrives in many chunks.
        var upload = CreateContent(300_000, seed: 1);
        string path = WriteFile("upload.bin", upload);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            var (length, sha256) = await HashAsync(exchange.Body);
            exchange.Response.Write(
                $"te={exchange.Request.Headers.Get("Transfer-Encoding")};cl={exchange.Request.Headers.Get("Content-Length") ?? "none"};"
                + $"length={length};sha256={sha256}");
        });

        var curl = await RunCurlAsync(
            "-sS", "--http1.1", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + path, Url(server, "/upload"));

        Assert.Equal(
            $"te=chunked;cl=none;length={upload.Length};sha256={Sha256(upload)}",
            Encoding.ASCII.GetString(curl.Stdout));
    }

    [Fact]
    public async Task FormUpload_FieldAndTwoFiles_HandlerSeesNamesFileNamesTypesAndBytes()
    {
        var first = CreateContent(70_000, seed: 2);
        var second = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("line of text\r\n--not-a-boundary\r\n", 50)));
        string firstPath = WriteFile("first.bin", first);
        string secondPath = WriteFile("second.txt", second);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            var lines = new StringBuilder();
            await foreach (var e in Multipart.ParseAsync(exchange.Body, exchange.Request.Headers))
            {
                if (e is MultipartPart part)
                {
                    var disposition = ContentDisposition.Parse(part.Headers.Get("Content-Disposition")!);
                    var (length, sha256) = await HashAsync(part.Body);
                    lines.Append(CultureInfo.InvariantCulture, $"{disposition.Name}|{disposition.FileName}|{part.Headers.Get("Content-Type")}|{length}|{sha256}\n");
                }
            }

            exchange.Response.Write(lines.ToString());
        });

        var curl = await RunCurlAsync(
            "-sS", "--http1.1",
            "-F", "note=hello world",
            "-F", $"first=@{firstPath};type=application/octet-stream",
            "-F", $"second=@{secondPath};filename=renamed.txt;type=text/plain",
            Url(server, "/form"));

        Assert.Equal(
            $"note|||11|{Sha256("hello world"u8.ToArray())}\n"
            + $"first|first.bin|application/octet-stream|{first.Length}|{Sha256(first)}\n"
            + $"second|renamed.txt|text/plain|{second.Length}|{Sha256(second)}\n",
            Encoding.ASCII.GetString(curl.Stdout));
    }

    [Fact]
    public async Task MultiRangeDownload_TwoRanges_206MultipartByteRangesWithExactParts()
    {
        var rangeHeaders = new ConcurrentQueue<string?>();
        await using var server = LoopbackServer.Start(async exchange =>
        {
            rangeHeaders.Enqueue(exchange.Request.Headers.Get("Range"));
            await ServeFileAsync(exchange);
        });

        var curl = await RunCurlAsync("-sS", "--http1.1", "-i", "-r", "0-9,20-29", Url(server, "/file"));

        Assert.Equal(new[] { "bytes=0-9,20-29" }, rangeHeaders);
        var (status, headers, body) = SplitResponse(curl.Stdout);
        Assert.Equal("HTTP/1.1 206 Partial Content", status);
        Assert.Equal(body.Length.ToString(CultureInfo.InvariantCulture), headers["Content-Length"]);
        const string TypePrefix = "multipart/byteranges; boundary=";
        Assert.StartsWith(TypePrefix, headers["Content-Type"], StringComparison.Ordinal);
        var parts = ParseByteRanges(body, headers["Content-Type"][TypePrefix.Length..]);
        Assert.Equal(2, parts.Count);
        Assert.Equal("bytes 0-9/100", parts[0].Headers["Content-Range"]);
        Assert.Equal("application/octet-stream", parts[0].Headers["Content-Type"]);
        Assert.Equal(s_file[0..10], parts[0].Body);
        Assert.Equal("bytes 20-29/100", parts[1].Headers["Content-Range"]);
        Assert.Equal("application/octet-stream", parts[1].Headers["Content-Type"]);
        Assert.Equal(s_file[20..30], parts[1].Body);
    }

    [Fact]
    public async Task Head_ThenGetOnTheSameConnection_HeadHasGetsHeadersAndNoBody()
    {
        var connections = new ConcurrentQueue<string>();
        await using var server = LoopbackServer.Start(async exchange =>
        {
            connections.Enqueue($"{exchange.Request.Method} from {exchange.RemoteEndPoint}");
            await ServeFileAsync(exchange);
        });

        // --next reuses the connection: a body sent after the HEAD response would be read as the GET's response.
        var curl = await RunCurlAsync("-sS", "--http1.1", "-I", Url(server, "/file"), "--next", "-sS", "--http1.1", Url(server, "/file"));

        string output = Encoding.Latin1.GetString(curl.Stdout);
        string head = "HTTP/1.1 200 OK\r\n" + LoopbackServer.Date + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\n";
        Assert.Equal(head + Encoding.Latin1.GetString(s_file), output);
        var seen = connections.ToArray();
        Assert.Equal(2, seen.Length);
        Assert.StartsWith("HEAD from ", seen[0], StringComparison.Ordinal);
        Assert.Equal(seen[0].Replace("HEAD", "GET", StringComparison.Ordinal), seen[1]);
    }

    /// <summary>Serves <see cref="s_file"/> the way a static-file handler does: whole, or the requested ranges.</summary>
    private static async ValueTask ServeFileAsync(HttpExchange exchange)
    {
        const string ContentType = "application/octet-stream";
        var response = exchange.Response;
        var parsed = RangeHeaderParser.Parse(exchange.Request.Headers.Get("Range"), s_file.Length);
        if (parsed.Status != RangeParseStatus.Satisfiable || parsed.Ranges.Count < 2)
        {
            // The single-range case is not what these tests exercise; it would be a 206 with Content-Range.
            Assert.Equal(RangeParseStatus.None, parsed.Status);
            response.Headers.Add("Content-Type", ContentType);
            // Written without a flush, so the response carries Content-Length (a HEAD response too, without the bytes).
            response.Body.Write(s_file);
            return;
        }

        string boundary = MultipartByteRangesWriter.CreateBoundary(RandomNumberGenerator.GetBytes(MultipartByteRangesWriter.BoundaryRandomBytes));
        long length = MultipartByteRangesWriter.ComputeLength(parsed.Ranges, s_file.Length, boundary, ContentType);
        response.StatusCode = 206;
        response.Headers.Add("Content-Type", MultipartByteRangesWriter.GetContentType(boundary));
        response.Headers.Add("Content-Length", length.ToString(CultureInfo.InvariantCulture));
        await MultipleRanges.WriteAsync(response.Body, new MemoryStream(s_file, writable: false), parsed.Ranges, boundary, ContentType);
    }

    private static async Task<(long Length, string Sha256)> HashAsync(PipeReader body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        while (true)
        {
            var result = await body.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                hash.AppendData(segment.Span);
            }

            length += result.Buffer.Length;
            body.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return (length, Convert.ToHexStringLower(hash.GetHashAndReset()));
            }
        }
    }

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static byte[] CreateContent(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Url(LoopbackServer server, string path) =>
        $"http://127.0.0.1:{server.EndPoint.Port.ToString(CultureInfo.InvariantCulture)}{path}";

    private string WriteFile(string name, byte[] content)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Splits curl's <c>-i</c> output into the status line, the header fields and the body.</summary>
    private static (string Status, Dictionary<string, string> Headers, byte[] Body) SplitResponse(byte[] output)
    {
        int end = output.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(end > 0, "curl printed no complete response head");
        var lines = Encoding.Latin1.GetString(output, 0, end).Split("\r\n");
        return (lines[0], ParseFields(lines.Skip(1)), output[(end + 4)..]);
    }

    /// <summary>Reads a multipart/byteranges body (RFC 9110 §14.6, RFC 2046 §5.1.1) without the library's code.</summary>
    private static List<(Dictionary<string, string> Headers, byte[] Body)> ParseByteRanges(byte[] body, string boundary)
    {
        var parts = new List<(Dictionary<string, string>, byte[])>();
        byte[] first = Encoding.ASCII.GetBytes("--" + boundary + "\r\n");
        byte[] delimiter = Encoding.ASCII.GetBytes("\r\n--" + boundary);
        Assert.True(body.AsSpan().StartsWith(first), "the body does not start with the first boundary");
        int position = first.Length;
        while (true)
        {
            int headEnd = body.AsSpan(position).IndexOf("\r\n\r\n"u8);
            Assert.True(headEnd >= 0, "a part has no complete header section");
            var headers = ParseFields(Encoding.Latin1.GetString(body, position, headEnd).Split("\r\n"));
            int start = position + headEnd + 4;
            int next = body.AsSpan(start).IndexOf(delimiter);
            Assert.True(next >= 0, "a part is not followed by a boundary");
            parts.Add((headers, body[start..(start + next)]));
            position = start + next + delimiter.Length;
            if (body.AsSpan(position).SequenceEqual("--\r\n"u8))
            {
                return parts;
            }

            Assert.True(body.AsSpan(position).StartsWith("\r\n"u8), "a boundary is followed by neither CRLF nor the close delimiter");
            position += 2;
        }
    }

    private static Dictionary<string, string> ParseFields(IEnumerable<string> lines)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            Assert.True(colon > 0, $"not a header field: '{line}'");
            fields.Add(line[..colon], line[(colon + 1)..].Trim());
        }

        return fields;
    }

    /// <summary>Runs curl to its end, within <see cref="s_curlTimeout"/>; a non-zero exit fails the test with curl's message.</summary>
    private static async Task<CurlResult> RunCurlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("curl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("curl did not start.");
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"curl is not installed ({e.Message}): run scripts/install-test-deps.sh.");
            throw;
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = new MemoryStream();
            var reading = process.StandardOutput.BaseStream.CopyToAsync(stdout);
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(s_curlTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await Task.WhenAll(reading, stderr);
                Assert.Fail($"curl {string.Join(' ', arguments)} did not finish within {s_curlTimeout.TotalSeconds} s: {await stderr}");
            }

            await Task.WhenAll(reading, stderr);
            Assert.True(process.ExitCode == 0, $"curl {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stderr}");
            return new CurlResult(stdout.ToArray(), await stderr);
        }
    }

    private sealed record CurlResult(byte[] Stdout, string Stderr);
}
