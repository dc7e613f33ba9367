using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Server;

/// <summary>
/// Refused requests over a real socket (RFC 9112 §3, §5, §6.1, §6.3; RFC 9110 §15): each gets its status with
/// <c>Connection: close</c>, the connection then closes cleanly, and the handler never runs.
/// </summary>
public sealed class BadRequestTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    public static TheoryData<string, int, string, RequestRejectionReason> Rejections() => new()
    {
        { "CL+TE", 400, "Bad Request", RequestRejectionReason.ContentLengthWithTransferEncoding },
        { "TE gzip, chunked", 501, "Not Implemented", RequestRejectionReason.UnsupportedTransferCoding },
        { "TE chunked, smuggle", 400, "Bad Request", RequestRejectionReason.InvalidTransferEncoding },
        { "two Content-Length", 400, "Bad Request", RequestRejectionReason.MultipleContentLengths },
        { "HTTP/2.0", 505, "HTTP Version Not Supported", RequestRejectionReason.HttpVersionNotSupported },
        { "1 MiB request line", 414, "URI Too Long", RequestRejectionReason.RequestLineTooLong },
        { "huge header block", 431, "Request Header Fields Too Large", RequestRejectionReason.HeadersTooLarge },
        { "body over limit", 413, "Content Too Large", RequestRejectionReason.RequestBodyTooLarge },
        { "Expect: something", 417, "Expectation Failed", RequestRejectionReason.UnsupportedExpectation },
        { "missing Host", 400, "Bad Request", RequestRejectionReason.MissingHost },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task Rejection_AnswersItsStatusWithConnectionClose_ThenClosesCleanly(string name, int status, string reason, RequestRejectionReason rejection)
    {
        int handled = 0;
        await using var server = LoopbackServer.Start(exchange =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        var sending = client.SendBytes(Encoding.ASCII.GetBytes(Request(name)));

        string text = new HttpRequestRejectedException(rejection).Message;
        await client.ReceiveEnd(
            $"HTTP/1.1 {status} {reason}", LoopbackServer.Date, "Content-Type: text/plain; charset=utf-8",
            $"Content-Length: {Encoding.UTF8.GetByteCount(text)}", "Connection: close", "", text);
        await sending.WaitAsync(s_timeout);
        Assert.Equal(0, handled);
    }

    [Fact]
    public async Task SmuggledRequest_InsideAnAmbiguousBody_IsNeverAnswered()
    {
        int handled = 0;
        await using var server = LoopbackServer.Start(exchange =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        // A front end that honours Content-Length sees one request; one that honours chunked sees a second,
        // smuggled "GET /admin". The server refuses the ambiguity and parses nothing after it.
        await client.Send(
            "POST / HTTP/1.1", "Host: x", "Content-Length: 44", "Transfer-Encoding: chunked", "",
            "0", "", "GET /admin HTTP/1.1", "Host: x", "", "");

        var response = await client.ReceiveToEnd();
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", response, StringComparison.Ordinal);
        Assert.Single(response.Split("HTTP/1.1 ").Where(p => p.Length > 0));
        Assert.Equal(0, handled);
    }

    [Fact]
    public async Task RejectionAfterPipelinedRequests_EarlierResponsesFirst()
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            exchange.Response.Write("ok");
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET /1 HTTP/1.1", "Host: x", "", "GET /2 HTTP/2.0", "Host: x", "", "");

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 2", "", "ok");
        var head = await client.ReceiveHead();
        Assert.StartsWith("HTTP/1.1 505 HTTP Version Not Supported\r\n", head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowLoris_HeadNotCompleteWithinTheHeadTimeout_Gets408AndClose()
    {
        await using var server = LoopbackServer.Start(_ => ValueTask.CompletedTask, s => s with { RequestHeadTimeout = TimeSpan.FromSeconds(30) });
        await using var client = await server.ConnectAsync();

        await client.Send("GET / HTTP/1.1", "Host: x", "X-Slow: ");
        await server.Timers.WaitForArmedAsync(LoopbackServer.StartTime.AddSeconds(30)).WaitAsync(s_timeout);
        server.Time.Advance(TimeSpan.FromSeconds(29));
        await client.Send("a");
        server.Time.Advance(TimeSpan.FromSeconds(1));

        await client.ReceiveEnd(
            "HTTP/1.1 408 Request Timeout", "Date: Tue, 01 Jan 2030 00:00:30 GMT", "Content-Type: text/plain; charset=utf-8",
            "Content-Length: 15", "Connection: close", "", "Request Timeout");
    }

    [Fact]
    public async Task Handler_Throws_500WithoutTheExceptionText_AndTheConnectionServesTheNextRequest()
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            if (exchange.Request.Path == "/boom")
            {
                exchange.Response.Headers.Add("X-Secret-Header", "not sent");
                exchange.Response.Write("partial, not sent");
                throw new InvalidOperationException("secret connection string");
            }

            exchange.Response.Write("fine");
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET /boom HTTP/1.1", "Host: x", "", "", "GET /next HTTP/1.1", "Host: x", "", "");

        await client.Receive(
            "HTTP/1.1 500 Internal Server Error", LoopbackServer.Date, "Content-Type: text/plain; charset=utf-8",
            "Content-Length: 21", "", "Internal Server Error");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 4", "", "fine");
    }

    [Fact]
    public async Task Handler_SetsAHeaderThatCannotBeWritten_500_AndTheConnectionServesTheNextRequest()
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            if (exchange.Request.Path == "/split")
            {
                // CR LF in a value would let the handler inject a header or a second response (response splitting).
                exchange.Response.Headers.Add("X-Echo", "a\r\nSet-Cookie: stolen=1");
            }

            exchange.Response.Write("fine");
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET /split HTTP/1.1", "Host: x", "", "", "GET /next HTTP/1.1", "Host: x", "", "");

        await client.Receive(
            "HTTP/1.1 500 Internal Server Error", LoopbackServer.Date, "Content-Type: text/plain; charset=utf-8",
            "Content-Length: 21", "", "Internal Server Error");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 4", "", "fine");
    }

    [Fact]
    public async Task Handler_ThrowsAfterTheResponseStarted_ConnectionIsReset()
    {
        await using var server = LoopbackServer.Start(async exchange =>
        {
            await exchange.Response.WriteAsync("partial"u8.ToArray());
            throw new InvalidOperationException("too late");
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET / HTTP/1.1", "Host: x", "", "");

        // The head and the first chunk may or may not be read before the reset discards them; what matters is that
        // the response never ends cleanly (no last chunk, no FIN).
        await client.AssertReset();
    }

    [Fact]
    public async Task Handler_WritesFewerBytesThanItsContentLength_ConnectionIsReset()
    {
        await using var server = LoopbackServer.Start(async exchange =>
        {
            exchange.Response.Headers.Add("Content-Length", "10");
            await exchange.Response.WriteAsync("short"u8.ToArray());
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET / HTTP/1.1", "Host: x", "", "");

        await client.AssertReset();
    }

    private static string Request(string name) => name switch
    {
        "CL+TE" => "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "TE gzip, chunked" => "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "TE chunked, smuggle" => "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, smuggle\r\n\r\n0\r\n\r\n",
        "two Content-Length" => "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
        "HTTP/2.0" => "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
        "1 MiB request line" => "GET /" + new string('a', 1024 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n",
        "huge header block" => "GET / HTTP/1.1\r\nHost: x\r\n"
            + string.Concat(Enumerable.Range(0, 40).Select(i => $"X-Filler-{i}: {new string('v', 1000)}\r\n")) + "\r\n",
        "body over limit" => "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 30000001\r\n\r\n",
        "Expect: something" => "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: something\r\n\r\na",
        "missing Host" => "GET / HTTP/1.1\r\n\r\n",
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
