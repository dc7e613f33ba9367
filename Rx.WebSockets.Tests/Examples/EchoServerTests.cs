using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Examples.EchoServer;
using Rx.WebSockets.Tests.Hosting;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Examples;

/// <summary>
/// The EchoServer example over real sockets: WebSocket and HTTP echo, files with validators and ranges (RFC 9110 §8.8,
/// §13, §14), multipart uploads (RFC 7578), path traversal refused.
/// </summary>
public sealed class EchoServerTests : IAsyncLifetime
{
    private const string Content = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&()*+,-./:;<=>?@[]^_{|}~0123456789";
    private static readonly DateTime s_modified = new(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);
    private const string LastModified = "Mon, 06 May 2024 07:08:09 GMT";

    private readonly string _root = Directory.CreateTempSubdirectory("rxws-echo-").FullName;
    private HostingTestServer _server = null!;
    private string _etag = null!;

    private string Files => Path.Combine(_root, "files");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Files, "sub"));
        await File.WriteAllTextAsync(Path.Combine(Files, "data.txt"), Content);
        File.SetLastWriteTimeUtc(Path.Combine(Files, "data.txt"), s_modified);
        await File.WriteAllTextAsync(Path.Combine(Files, "sub", "inner.txt"), "inner");
        await File.WriteAllTextAsync(Path.Combine(_root, "secret.txt"), "secret");
        var options = new EchoServerOptions { Port = 0, FilesDirectory = Files, PingInterval = null };
        _server = await HostingTestServer.StartAsync(app => EchoModule.Configure(app, options), s => EchoModule.ConfigureServer(s, options));
        using var head = await _server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/files/data.txt"));
        _etag = head.Headers.ETag!.ToString();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    #region + Options +

    [Fact]
    public void Options_Defaults_MatchTheContract()
    {
        var options = EchoServerOptions.Parse(Array.Empty<string>());
        Assert.Equal(8080, options.Port);
        Assert.Equal("127.0.0.1", options.Host);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "files"), options.FilesDirectory);
        Assert.Equal(WebSocketOptions.DefaultPingInterval, options.PingInterval);
        Assert.Equal(WebSocketOptions.DefaultTimeout, options.PingTimeout);
        Assert.Equal(FrameLimits.DefaultMaxFrameSize, options.MaxFrameSize);
        Assert.Equal(2L * 1024 * 1024 * 1024, options.MaxRequestBodySize);
        // The sample files are copied next to the binaries.
        Assert.True(File.Exists(Path.Combine(options.FilesDirectory, "hello.txt")));
    }

    [Fact]
    public void Options_Parse_ReadsEveryFlagInBothForms()
    {
        var options = EchoServerOptions.Parse(new[]
        {
            "--port", "0", "--host=::1", "--files", "/tmp/x", "--ping-interval-ms", "1500", "--ping-timeout-ms=250", "--max-frame-size", "65536", "--max-body-size", "10",
        });
        Assert.Equal(0, options.Port);
        Assert.Equal("::1", options.Host);
        Assert.Equal(Path.GetFullPath("/tmp/x"), options.FilesDirectory);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.PingInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.PingTimeout);
        Assert.Equal(65536, options.MaxFrameSize);
        Assert.Equal(10, options.MaxRequestBodySize);
        Assert.Null(EchoServerOptions.Parse(new[] { "--ping-interval-ms", "0" }).PingInterval);
    }

    [Fact]
    public void Options_Compression_OnByDefault_SwitchedByFlag()
    {
        Assert.True(EchoServerOptions.Parse(Array.Empty<string>()).Compression);
        Assert.False(EchoServerOptions.Parse(new[] { "--compression", "off" }).Compression);
        Assert.True(EchoServerOptions.Parse(new[] { "--compression=on" }).Compression);
        Assert.Throws<ArgumentException>(() => EchoServerOptions.Parse(new[] { "--compression", "maybe" }));
    }

    [Theory]
    [InlineData("--port", "70000")]
    [InlineData("--port", "x")]
    [InlineData("--bogus", "1")]
    [InlineData("--ping-timeout-ms", "0")]
    [InlineData("--max-frame-size", "0")]
    [InlineData("--port")]
    public void Options_Parse_BadCommandLine_Throws(params string[] args) =>
        Assert.Throws<ArgumentException>(() => EchoServerOptions.Parse(args));

    #endregion

    #region + Page and WebSocket echo +

    [Fact]
    public async Task Index_ServesThePageThatConnectsToEcho()
    {
        using var response = await _server.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("new WebSocket('ws://' + location.host + '/echo')", page, StringComparison.Ordinal);
        foreach (var id in new[] { "status", "message", "send", "log" })
        {
            Assert.Contains($"id=\"{id}\"", page, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WebSocketEcho_TextAsTextBinaryAsBinary_FragmentsReassembled()
    {
        using var client = await _server.ConnectAsync("/echo");
        using var cts = new CancellationTokenSource(HostingTestServer.Timeout);

        await client.SendTextAsync("héllo");
        Assert.Equal("héllo", await client.ReceiveTextAsync());

        await client.SendAsync(new byte[] { 0, 1, 2, 255 }, WebSocketMessageType.Binary, endOfMessage: true, cts.Token);
        var (binary, data) = await client.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Binary, binary.MessageType);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, data);

        await client.SendAsync(Encoding.UTF8.GetBytes("frag"), WebSocketMessageType.Text, endOfMessage: false, cts.Token);
        await client.SendAsync(Encoding.UTF8.GetBytes("mented"), WebSocketMessageType.Text, endOfMessage: true, cts.Token);
        Assert.Equal("fragmented", await client.ReceiveTextAsync());

        var large = RandomNumberGenerator.GetBytes(1024 * 1024);
        await client.SendAsync(large, WebSocketMessageType.Binary, endOfMessage: true, cts.Token);
        var (_, echoed) = await client.ReceiveMessageAsync();
        Assert.Equal(large, echoed);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Fact]
    public async Task PlainGetOnEcho_Answers426()
    {
        using var response = await _server.Http.GetAsync("/echo");
        Assert.Equal((HttpStatusCode)426, response.StatusCode);
        Assert.Contains("websocket", response.Headers.Upgrade.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    #endregion

    #region + POST /echo +

    [Fact]
    public async Task PostEcho_ContentLength_AnswersTheBodyWithItsType()
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"a\":1}"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _server.Http.PostAsync("/echo", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(7, response.Content.Headers.ContentLength);
        Assert.Equal("{\"a\":1}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PostEcho_NoContentType_AnswersWithNone()
    {
        await using var client = await RawHttpConnection.ConnectAsync(_server.Server.LocalEndPoints[0]);
        await client.Send("POST /echo HTTP/1.1", "Host: x", "Content-Length: 3", "", "abc");
        var head = await client.ReceiveHead();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head, StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Type", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Content-Length: 3\r\n", head, StringComparison.Ordinal);
        Assert.Equal("abc", await client.ReceiveExactly(3));
    }

    [Fact]
    public async Task PostEcho_Chunked_AnswersTheDecodedBodyWithItsLength()
    {
        await using var client = await RawHttpConnection.ConnectAsync(_server.Server.LocalEndPoints[0]);
        await client.Send(
            "POST /echo HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", "Content-Type: text/plain", "",
            "5", "hello", "7", ", world", "0", "", "");
        var head = await client.ReceiveHead();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 12\r\n", head, StringComparison.Ordinal);
        Assert.Equal("hello, world", await ReadBodyAsync(client, head));
    }

    [Fact]
    public async Task PostEcho_LargerThanTheEngineDefaultLimit_IsEchoedWhole()
    {
        // 40 MB, chunked: above HttpLimits' 30 MB default, which the example raises; spooled, then answered with its length.
        const long Size = 40_000_000;
        using var content = new GeneratedContent(Size);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/echo") { Content = content };
        using var response = await _server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Size, response.Content.Headers.ContentLength);
        await using var body = await response.Content.ReadAsStreamAsync();
        Assert.Equal(GeneratedContent.Sha256(Size), Convert.ToHexStringLower(await SHA256.HashDataAsync(body)));
    }

    #endregion

    #region + Files: full, HEAD, ranges +

    [Fact]
    public async Task File_Get_HasStrongETagLastModifiedAndAcceptRanges()
    {
        using var response = await _server.Http.GetAsync("/files/data.txt");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.Equal(LastModified, response.Content.Headers.GetValues("Last-Modified").Single());
        Assert.Equal("bytes", response.Headers.AcceptRanges.Single());
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(Content, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task File_ETag_ChangesWithTheContent()
    {
        await File.WriteAllTextAsync(Path.Combine(Files, "data.txt"), Content + "!");
        File.SetLastWriteTimeUtc(Path.Combine(Files, "data.txt"), s_modified);
        using var response = await _server.Http.GetAsync("/files/data.txt");
        Assert.NotEqual(_etag, response.Headers.ETag!.ToString());
    }

    [Fact]
    public async Task File_Head_SendsTheHeadersWithoutTheBody_EvenWithARange()
    {
        await using var client = await RawHttpConnection.ConnectAsync(_server.Server.LocalEndPoints[0]);
        await client.Send("HEAD /files/data.txt HTTP/1.1", "Host: x", "Range: bytes=0-1", "", "GET /files/hello.txt HTTP/1.1", "Host: x", "", "");
        var head = await client.ReceiveHead();
        // RFC 9110 §14.2: range handling is defined for GET only; HEAD reports the whole representation.
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head, StringComparison.Ordinal);
        Assert.Contains($"Content-Length: {Content.Length}\r\n", head, StringComparison.Ordinal);
        Assert.Contains($"ETag: {_etag}\r\n", head, StringComparison.Ordinal);
        Assert.Contains($"Last-Modified: {LastModified}\r\n", head, StringComparison.Ordinal);
        // The next bytes are the next response's: the HEAD response had no body.
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", await client.ReceiveHead(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bytes=2-5", "2-5", "2345")]
    [InlineData("bytes=-3", "97-99", "789")]
    [InlineData("bytes=95-", "95-99", "56789")]
    [InlineData("bytes=98-1000", "98-99", "89")]
    public async Task File_SingleRange_Answers206WithContentRange(string range, string expectedRange, string body)
    {
        using var response = await GetAsync("/files/data.txt", ("Range", range));
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {expectedRange}/100", response.Content.Headers.GetValues("Content-Range").Single());
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task File_MultipleRanges_AnswerMultipartByteRanges()
    {
        using var response = await GetAsync("/files/data.txt", ("Range", "bytes=0-1,10-12"));
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var type = response.Content.Headers.ContentType!;
        Assert.Equal("multipart/byteranges", type.MediaType);
        string boundary = type.Parameters.Single(p => p.Name == "boundary").Value!;
        string expected =
            $"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-1/100\r\n\r\n01\r\n" +
            $"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 10-12/100\r\n\r\nabc\r\n" +
            $"--{boundary}--\r\n";
        Assert.Equal(expected, await response.Content.ReadAsStringAsync());
        Assert.Equal(expected.Length, response.Content.Headers.ContentLength);
    }

    [Theory]
    [InlineData("bytes=100-200")]
    [InlineData("bytes=-0")]
    public async Task File_UnsatisfiableRange_Answers416WithTheLength(string range)
    {
        using var response = await GetAsync("/files/data.txt", ("Range", range));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */100", response.Content.Headers.GetValues("Content-Range").Single());
    }

    [Fact]
    public async Task File_InvalidRange_IsIgnored()
    {
        using var response = await GetAsync("/files/data.txt", ("Range", "bytes=5-2"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Content, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task File_IfRange_MatchingValidatorSendsTheRange_OtherwiseTheWhole()
    {
        using (var etag = await GetAsync("/files/data.txt", ("Range", "bytes=0-0"), ("If-Range", _etag)))
        {
            Assert.Equal(HttpStatusCode.PartialContent, etag.StatusCode);
        }

        using (var date = await GetAsync("/files/data.txt", ("Range", "bytes=0-0"), ("If-Range", LastModified)))
        {
            Assert.Equal(HttpStatusCode.PartialContent, date.StatusCode);
        }

        using (var stale = await GetAsync("/files/data.txt", ("Range", "bytes=0-0"), ("If-Range", "\"other\"")))
        {
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
            Assert.Equal(Content, await stale.Content.ReadAsStringAsync());
        }

        using (var weak = await GetAsync("/files/data.txt", ("Range", "bytes=0-0"), ("If-Range", "W/" + _etag)))
        {
            // RFC 9110 §13.1.5: If-Range uses the strong comparison, which a weak tag never passes.
            Assert.Equal(HttpStatusCode.OK, weak.StatusCode);
        }
    }

    #endregion

    #region + Files: conditional requests +

    [Theory]
    [InlineData("{etag}")]
    [InlineData("*")]
    [InlineData("\"x\", {etag}")]
    [InlineData("W/{etag}")]
    public async Task File_IfNoneMatch_Matching_Answers304(string value)
    {
        using var response = await GetAsync("/files/data.txt", ("If-None-Match", value.Replace("{etag}", _etag, StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(_etag, response.Headers.ETag!.ToString());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task File_IfNoneMatch_Other_Answers200_EvenWhenIfModifiedSinceWouldMatch()
    {
        // RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present.
        using var response = await GetAsync("/files/data.txt", ("If-None-Match", "\"other\""), ("If-Modified-Since", LastModified));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(LastModified, HttpStatusCode.NotModified)]
    [InlineData("Tue, 07 May 2024 00:00:00 GMT", HttpStatusCode.NotModified)]
    [InlineData("Sun, 05 May 2024 00:00:00 GMT", HttpStatusCode.OK)]
    [InlineData("not a date", HttpStatusCode.OK)]
    public async Task File_IfModifiedSince(string value, HttpStatusCode expected)
    {
        using var response = await GetAsync("/files/data.txt", ("If-Modified-Since", value));
        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("\"other\"", HttpStatusCode.PreconditionFailed)]
    [InlineData("W/{etag}", HttpStatusCode.PreconditionFailed)]
    [InlineData("{etag}", HttpStatusCode.OK)]
    [InlineData("*", HttpStatusCode.OK)]
    public async Task File_IfMatch_UsesTheStrongComparison(string value, HttpStatusCode expected)
    {
        using var response = await GetAsync("/files/data.txt", ("If-Match", value.Replace("{etag}", _etag, StringComparison.Ordinal)));
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task File_IfUnmodifiedSince_Earlier_Answers412()
    {
        using var response = await GetAsync("/files/data.txt", ("If-Unmodified-Since", "Sun, 05 May 2024 00:00:00 GMT"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
    }

    #endregion

    #region + Files: what is refused +

    [Theory]
    [InlineData("/files/..")]
    [InlineData("/files/.")]
    [InlineData("/files/../secret.txt")]
    [InlineData("/files/..%2Fsecret.txt")]
    [InlineData("/files/..%5Csecret.txt")]
    [InlineData("/files/%2Fetc%2Fpasswd")]
    [InlineData("/files/sub")]
    [InlineData("/files/sub/inner.txt")]
    [InlineData("/files/sub%2Finner.txt")]
    [InlineData("/files/missing.txt")]
    [InlineData("/files/data.txt%00.png")]
    public async Task File_TraversalSubfoldersAndMissingFiles_Answer404(string target)
    {
        await using var client = await RawHttpConnection.ConnectAsync(_server.Server.LocalEndPoints[0]);
        await client.Send($"GET {target} HTTP/1.1", "Host: x", "", "");
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", await client.ReceiveHead(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_Post_Answers405()
    {
        using var response = await _server.Http.PostAsync("/files/data.txt", new ByteArrayContent(Array.Empty<byte>()));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(new[] { "GET", "HEAD" }, response.Content.Headers.Allow);
    }

    #endregion

    #region + Upload +

    [Fact]
    public async Task Upload_ReportsEveryPartExactlyAsSent()
    {
        const string Boundary = "xYzZY";
        var body = Encoding.UTF8.GetBytes(string.Join("\r\n",
            $"--{Boundary}",
            "Content-Disposition: form-data; name=\"field\"",
            "",
            "value",
            $"--{Boundary}",
            "Content-Disposition: form-data; name=\"file\"; filename=\"a b.txt\"",
            "Content-Type: text/plain",
            "",
            "file contents",
            $"--{Boundary}",
            "Content-Disposition: form-data; name=\"empty\"; filename=\"\"",
            "Content-Type: application/octet-stream",
            "",
            "",
            $"--{Boundary}--",
            ""));
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={Boundary}");

        using var response = await _server.Http.PostAsync("/upload", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var parts = json.RootElement.GetProperty("parts").EnumerateArray().ToArray();
        Assert.Equal(3, parts.Length);
        AssertPart(parts[0], "field", null, null, "value");
        AssertPart(parts[1], "file", "a b.txt", "text/plain", "file contents");
        AssertPart(parts[2], "empty", "", "application/octet-stream", "");
    }

    [Fact]
    public async Task Upload_NotMultipart_Answers415()
    {
        using var response = await _server.Http.PostAsync("/upload", new StringContent("x"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Upload_Malformed_Answers400()
    {
        var content = new StringContent("--b\r\nno end");
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
        using var response = await _server.Http.PostAsync("/upload", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Upload_LargePartStreamedChunked_IsHashedWhole()
    {
        // Chunked (no Content-Length), above the engine's default 30 MB body limit.
        const long Size = 40_000_000;
        using var content = new GeneratedContent(Size, multipartBoundary: "big-boundary");
        using var response = await _server.Http.PostAsync("/upload", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var part = json.RootElement.GetProperty("parts").EnumerateArray().Single();
        Assert.Equal(Size, part.GetProperty("size").GetInt64());
        Assert.Equal(GeneratedContent.Sha256(Size), part.GetProperty("sha256").GetString());
        Assert.Equal("big.bin", part.GetProperty("filename").GetString());
    }

    private static void AssertPart(JsonElement part, string name, string? filename, string? contentType, string body)
    {
        Assert.Equal(name, part.GetProperty("name").GetString());
        Assert.Equal(filename is null ? JsonValueKind.Null : JsonValueKind.String, part.GetProperty("filename").ValueKind);
        Assert.Equal(filename, part.GetProperty("filename").GetString());
        Assert.Equal(contentType, part.GetProperty("contentType").GetString());
        Assert.Equal(contentType is null ? JsonValueKind.Null : JsonValueKind.String, part.GetProperty("contentType").ValueKind);
        Assert.Equal(Encoding.UTF8.GetByteCount(body), part.GetProperty("size").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))), part.GetProperty("sha256").GetString());
    }

    #endregion

    private async Task<HttpResponseMessage> GetAsync(string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        }

        return await _server.Http.SendAsync(request);
    }

    private static async Task<string> ReadBodyAsync(RawHttpConnection client, string head)
    {
        var length = System.Text.RegularExpressions.Regex.Match(head, "Content-Length: (\\d+)\r\n");
        if (length.Success)
        {
            return await client.ReceiveExactly(int.Parse(length.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Contains("Transfer-Encoding: chunked\r\n", head, StringComparison.Ordinal);
        var body = new StringBuilder();
        while (true)
        {
            var line = new StringBuilder();
            while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
            {
                line.Append(await client.ReceiveExactly(1));
            }

            int size = Convert.ToInt32(line.ToString().TrimEnd(), 16);
            if (size == 0)
            {
                Assert.Equal("\r\n", await client.ReceiveExactly(2));
                return body.ToString();
            }

            body.Append(await client.ReceiveExactly(size));
            Assert.Equal("\r\n", await client.ReceiveExactly(2));
        }
    }

    /// <summary>
    /// A request body of deterministic bytes produced while it is sent (no length: chunked), optionally wrapped as the
    /// single file part of a multipart/form-data body.
    /// </summary>
    private sealed class GeneratedContent : HttpContent
    {
        private readonly long _size;
        private readonly string? _boundary;

        public GeneratedContent(long size, string? multipartBoundary = null)
        {
            _size = size;
            _boundary = multipartBoundary;
            Headers.TryAddWithoutValidation("Content-Type", _boundary is null ? "application/octet-stream" : $"multipart/form-data; boundary={_boundary}");
        }

        public static string Sha256(long size)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var block in Blocks(size))
            {
                hash.AppendData(block.Span);
            }

            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            if (_boundary is not null)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(
                    $"--{_boundary}\r\nContent-Disposition: form-data; name=\"big\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"));
            }

            foreach (var block in Blocks(_size))
            {
                await stream.WriteAsync(block);
            }

            if (_boundary is not null)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"\r\n--{_boundary}--\r\n"));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        private static IEnumerable<ReadOnlyMemory<byte>> Blocks(long size)
        {
            var block = new byte[64 * 1024];
            long left = size;
            int seed = 0;
            while (left > 0)
            {
                // Varying bytes, so that a dropped or repeated block changes the hash.
                for (int i = 0; i < block.Length; i++)
                {
                    block[i] = (byte)((i * 31) + seed);
                }

                seed++;
                int take = (int)Math.Min(block.Length, left);
                left -= take;
                yield return block.AsMemory(0, take);
            }
        }
    }
}
