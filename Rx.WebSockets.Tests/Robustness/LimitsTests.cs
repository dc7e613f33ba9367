using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Multipart;
using Rx.WebSockets.Http.Ranges;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Robustness;

/// <summary>
/// Every limit of docs/limits.md, end to end over a socket, at its default where the default is small enough to reach:
/// the value at the limit is accepted and one more is refused the documented way (RFC 9110 §15.5, RFC 6585 §5,
/// RFC 6455 §7.4.1 1009).
/// </summary>
public sealed class LimitsTests
{
    #region + Connections +

    [Fact]
    public void MaxConnections_Default_Is100000_AndMustBePositive()
    {
        Assert.Equal(100_000, new HttpServerSettings().MaxConnections);
        Assert.Equal(HttpServerSettings.DefaultMaxConnections, new HttpServerSettings().MaxConnections);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpServerSettings { MaxConnections = 0 });
    }

    [Fact]
    public async Task MaxConnections_OneMore_Gets503ConnectionClose_ThenAFreedSlotServesTheNext()
    {
        await using var server = WsServer.Start(configure: s => s with { MaxConnections = 2 });
        var plain = await server.ConnectAsync();
        await plain.Send("GET / HTTP/1.1", "Host: x", "", "");
        await plain.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 5", "", "plain");
        await using var upgraded = await server.ConnectAsync();
        await upgraded.UpgradeAsync();
        await server.NextSessionAsync();

        // An upgraded WebSocket connection counts as much as an HTTP one: the server is full.
        await using (var third = await server.ConnectAsync())
        {
            await third.Send("GET / HTTP/1.1", "Host: x", "", "");
            await third.ReceiveEnd("HTTP/1.1 503 Service Unavailable", "Connection: close", LoopbackServer.Date, "Content-Length: 0", "", "");
        }

        Assert.Equal(2, server.Server.ConnectionCount);
        await plain.DisposeAsync();
        await server.Server.Context.Connections.WhenAtMostAsync(1).WaitAsync(WsWire.Timeout);
        await using var fourth = await server.ConnectAsync();
        await fourth.Send("GET / HTTP/1.1", "Host: x", "", "");
        await fourth.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 5", "", "plain");
    }

    #endregion

    #region + Request head +

    [Fact]
    public async Task HeaderSection_AtTheDefault32KiB_Served_OneByteMore_431()
    {
        await using var server = WsServer.Start();
        // The section counts "Host: x\r\n", the big field line with its CRLF, and the final CRLF.
        int atLimit = HttpLimits.DefaultMaxRequestHeadersTotalSize - "Host: x\r\n".Length - "X-Big: \r\n".Length - 2;

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await RequestAsync(server, "GET / HTTP/1.1", "Host: x", "X-Big: " + new string('a', atLimit)), StringComparison.Ordinal);
        var refused = await RequestAsync(server, "GET / HTTP/1.1", "Host: x", "X-Big: " + new string('a', atLimit + 1));
        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", refused, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeaderCount_AtTheDefault100_Served_OneMore_431()
    {
        await using var server = WsServer.Start();
        string[] Fields(int count) => Enumerable.Range(0, count - 1).Select(i => $"X-{i}: v").Prepend("Host: x").ToArray();

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await RequestAsync(server, [.. Fields(HttpLimits.DefaultMaxRequestHeaderCount).Prepend("GET / HTTP/1.1")]), StringComparison.Ordinal);
        var refused = await RequestAsync(server, [.. Fields(HttpLimits.DefaultMaxRequestHeaderCount + 1).Prepend("GET / HTTP/1.1")]);
        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestLine_OverTheDefault8KiB_414()
    {
        await using var server = WsServer.Start();
        var target = "/" + new string('a', HttpLimits.DefaultMaxRequestLineLength);

        var refused = await RequestAsync(server, $"GET {target} HTTP/1.1", "Host: x");

        Assert.StartsWith("HTTP/1.1 414 URI Too Long\r\n", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestBody_ContentLengthOverTheLimit_413BeforeAnyBodyByte()
    {
        await using var server = WsServer.Start(configure: s => s with { Limits = new HttpLimits { MaxRequestBodySize = 1000 } });

        var refused = await RequestAsync(server, "POST / HTTP/1.1", "Host: x", "Content-Length: 1001");

        Assert.StartsWith("HTTP/1.1 413 ", refused, StringComparison.Ordinal);
    }

    #endregion

    #region + WebSocket frames +

    [Fact]
    public async Task Frame_HeaderAnnouncingOneByteOverTheDefault1MiB_1009BeforeThePayload()
    {
        await using var server = WsServer.Start();
        await using var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var accepted = await server.NextSessionAsync();

        // Only the header is sent: the server refuses on the announced length, without buffering a byte of payload.
        await client.SendBytes(WsWire.ClientFrameHeader(WsWire.OpBinary, FrameLimits.DefaultMaxFrameSize + 1));

        Assert.Equal((1009, "Message too big"), await client.ReadCloseAsync());
        await client.AssertClosedCleanly();
        Assert.Equal(CloseCode.TooBig, (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
    }

    [Fact]
    public async Task Frame_OfExactlyTheDefault1MiB_IsEchoed()
    {
        await using var server = WsServer.Start();
        await using var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var payload = new byte[FrameLimits.DefaultMaxFrameSize];
        payload[^1] = 0x5A;

        var reading = client.ReadFrameAsync();
        await client.SendBytes(WsWire.ClientFrame(WsWire.OpBinary, payload));

        var (opcode, _, echoed) = await reading;
        Assert.Equal(WsWire.OpBinary, opcode);
        Assert.Equal(payload, echoed);
    }

    [Fact]
    public async Task Message_SecondFragmentTakingItOverTheDefault1MiB_1009BeforeItsPayload()
    {
        await using var server = WsServer.Start();
        await using var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var accepted = await server.NextSessionAsync();
        var fragment = new byte[600 * 1024]; // each fragment is within MaxFrameSize; together they are not

        await client.SendBytes(WsWire.ClientFrame(WsWire.OpBinary, fragment, fin: false));
        // Only the second header: the decoder adds the announced length to the message so far and refuses before any of
        // its payload is buffered. (Sending the payload too would race the server's close and could meet a reset.)
        await client.SendBytes(WsWire.ClientFrameHeader(WsWire.OpContinuation, fragment.Length, fin: true));

        Assert.Equal((1009, "Message too big"), await client.ReadCloseAsync());
        Assert.Equal(CloseCode.TooBig, (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
    }

    #endregion

    #region + Multipart and ranges +

    [Fact]
    public async Task Multipart_PartCountAtTheDefault1000_Read_OneMore_413()
    {
        await using var server = WsServer.Start(http: exchange => ReadMultipartAsync(exchange, MultipartLimits.Default));

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await PostMultipartAsync(server, Enumerable.Repeat("x", MultipartLimits.DefaultMaxPartCount)), StringComparison.Ordinal);
        var refused = await PostMultipartAsync(server, Enumerable.Repeat("x", MultipartLimits.DefaultMaxPartCount + 1));
        Assert.StartsWith("HTTP/1.1 413 Content Too Large\r\n", refused, StringComparison.Ordinal);
        Assert.Contains("MaxPartCount", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Multipart_PartBodyAtTheLimit_Read_OneByteMore_413()
    {
        var limits = new MultipartLimits { MaxPartBodySize = 10 };
        await using var server = WsServer.Start(http: exchange => ReadMultipartAsync(exchange, limits));

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await PostMultipartAsync(server, ["0123456789"]), StringComparison.Ordinal);
        var refused = await PostMultipartAsync(server, ["0123456789A"]);
        Assert.StartsWith("HTTP/1.1 413 Content Too Large\r\n", refused, StringComparison.Ordinal);
        Assert.Contains("MaxPartBodySize", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ranges_TenDisjoint_TenParts_ElevenDisjoint_MergedIntoOneRange()
    {
        var content = Encoding.ASCII.GetBytes(new string('r', 100));
        await using var server = WsServer.Start(http: async exchange =>
        {
            var parsed = RangeHeaderParser.Parse(exchange.Request.Headers.Get("Range"), content.Length);
            var response = exchange.Response;
            response.StatusCode = 206;
            if (parsed.Ranges.Count == 1)
            {
                var range = parsed.Ranges[0];
                response.Headers.Add("Content-Range", $"bytes {range.First}-{range.Last}/{content.Length}");
                await response.WriteAsync(content.AsMemory((int)range.First, (int)range.Length));
                return;
            }

            response.Headers.Add("Content-Type", MultipartByteRangesWriter.GetContentType("B"));
            await MultipleRanges.WriteAsync(response.Body, new MemoryStream(content), parsed.Ranges, "B", "text/plain");
        });
        string Disjoint(int count) => "Range: bytes=" + string.Join(",", Enumerable.Range(0, count).Select(i => $"{2 * i}-{2 * i}"));

        var ten = await RequestAsync(server, "GET /f HTTP/1.1", "Host: x", Disjoint(RangeHeaderParser.DefaultMaxRangeCount), "Connection: close");
        Assert.Equal(RangeHeaderParser.DefaultMaxRangeCount, CountOccurrences(ten, "Content-Range: bytes "));

        // One range more than the default: not a refusal (the client still gets every byte it asked for) but one
        // covering range, so a request cannot make the server write an unbounded number of parts.
        var eleven = await RequestAsync(server, "GET /f HTTP/1.1", "Host: x", Disjoint(RangeHeaderParser.DefaultMaxRangeCount + 1), "Connection: close");
        Assert.StartsWith("HTTP/1.1 206 Partial Content\r\n", eleven, StringComparison.Ordinal);
        Assert.Contains("Content-Range: bytes 0-20/100\r\n", eleven, StringComparison.Ordinal);
        Assert.Equal(1, CountOccurrences(eleven, "Content-Range: bytes "));
    }

    #endregion

    // One request on a new connection; its response read to the end (the test asks for Connection: close, or the server closes).
    private static async Task<string> RequestAsync(WsServer server, params string[] head)
    {
        await using var client = await server.ConnectAsync();
        await client.Send([.. head, "", ""]);
        client.ShutdownSend();
        return await client.ReceiveToEnd();
    }

    private static async ValueTask ReadMultipartAsync(HttpExchange exchange, MultipartLimits limits)
    {
        int parts = 0;
        try
        {
            await foreach (var item in Multipart.ParseAsync(exchange.Body, exchange.Request.Headers, limits))
            {
                if (item is MultipartPart part)
                {
                    while (true)
                    {
                        var read = await part.Body.ReadAsync();
                        part.Body.AdvanceTo(read.Buffer.End);
                        if (read.IsCompleted)
                        {
                            break;
                        }
                    }

                    parts++;
                }
            }
        }
        catch (MultipartException e) when (e.Kind == MultipartErrorKind.LimitExceeded)
        {
            // RFC 9110 §15.5.14: 413 "the request content is larger than the server is willing or able to process".
            exchange.Response.StatusCode = 413;
            exchange.Response.Write(e.Message);
            return;
        }

        exchange.Response.Write(parts.ToString(CultureInfo.InvariantCulture));
    }

    private static async Task<string> PostMultipartAsync(WsServer server, IEnumerable<string> parts)
    {
        var body = new StringBuilder();
        foreach (var part in parts)
        {
            body.Append("--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n").Append(part).Append("\r\n");
        }

        body.Append("--B--\r\n");
        await using var client = await server.ConnectAsync();
        await client.Send(
            "POST /upload HTTP/1.1", "Host: x", "Content-Type: multipart/form-data; boundary=B",
            $"Content-Length: {body.Length}", "Connection: close", "", body.ToString());
        return await client.ReceiveToEnd();
    }

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
