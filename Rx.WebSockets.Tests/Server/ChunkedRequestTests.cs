using System.IO;
using System.Threading.Tasks;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.TestSupport;
using static Rx.WebSockets.Tests.Server.PipeliningTests;

namespace Rx.WebSockets.Tests.Server;

/// <summary>Request bodies: RFC 9112 §7.1 chunked uploads, RFC 9110 §10.1.1 Expect: 100-continue, draining unread bodies.</summary>
public sealed class ChunkedRequestTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ChunkedUpload_HandlerReadsTheDecodedBody_AndTheTrailers()
    {
        string? trailer = null;
        await using var server = LoopbackServer.Start(async exchange =>
        {
            string body = await ReadBodyAsync(exchange.Body);
            trailer = exchange.RequestTrailers.Get("X-Checksum");
            exchange.Response.Write(body);
        });
        await using var client = await server.ConnectAsync();

        await client.Send(
            "POST /upload HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", "",
            "5", "hello", "6;ext=1", " world", "0", "X-Checksum: 42", "", "");

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 11", "", "hello world");
        Assert.Equal("42", trailer);
    }

    [Fact]
    public async Task ChunkedUpload_SentSlowly_ArrivesWhole_AndTheNextRequestFollows()
    {
        await using var server = LoopbackServer.Start(async exchange => exchange.Response.Write(await ReadBodyAsync(exchange.Body)));
        await using var client = await server.ConnectAsync();

        await client.Send("POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", "", "");
        foreach (var piece in new[] { "3\r", "\nab", "c\r\n", "0\r\n", "\r\n" })
        {
            await client.Send(piece);
        }

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 3", "", "abc");
        await client.Send("GET / HTTP/1.1", "Host: x", "", "");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 0", "", "");
    }

    [Fact]
    public async Task ExpectContinue_FirstReadSends100_ThenTheFinalResponse()
    {
        await using var server = LoopbackServer.Start(async exchange => exchange.Response.Write(await ReadBodyAsync(exchange.Body)));
        await using var client = await server.ConnectAsync();

        await client.Send("POST / HTTP/1.1", "Host: x", "Content-Length: 5", "Expect: 100-continue", "", "");
        await client.Receive("HTTP/1.1 100 Continue", "", "");
        await client.Send("hello");

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 5", "", "hello");
        await client.Send("GET / HTTP/1.1", "Host: x", "", "");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 0", "", "");
    }

    [Fact]
    public async Task ExpectContinue_HandlerAnswersWithoutReading_No100_AndTheConnectionCloses()
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            exchange.Response.StatusCode = 413;
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        await client.Send("POST / HTTP/1.1", "Host: x", "Content-Length: 5", "Expect: 100-continue", "", "");

        // The client never sends its body, so nothing after it could be parsed: the server closes.
        await client.ReceiveEnd("HTTP/1.1 413 Content Too Large", LoopbackServer.Date, "Content-Length: 0", "Connection: close", "", "");
    }

    [Fact]
    public async Task ExpectContinue_InHttp10_IsIgnored()
    {
        await using var server = LoopbackServer.Start(async exchange => exchange.Response.Write(await ReadBodyAsync(exchange.Body)));
        await using var client = await server.ConnectAsync();

        // RFC 9110 §10.1.1: "A server that receives a 100-continue expectation in an HTTP/1.0 request MUST ignore that expectation."
        await client.Send("POST / HTTP/1.0", "Content-Length: 5", "Expect: 100-continue", "", "hello");

        await client.ReceiveEnd("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 5", "Connection: close", "", "hello");
    }

    [Fact]
    public async Task UnreadBody_IsDrained_AndTheConnectionServesTheNextRequest()
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            exchange.Response.Write("ignored " + exchange.Request.Method);
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        await client.Send(
            "POST / HTTP/1.1", "Host: x", "Content-Length: 11", "", "hello world",
            "PUT / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", "", "5", "hello", "0", "", "",
            "GET / HTTP/1.1", "Host: x", "", "");

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 12", "", "ignored POST");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 11", "", "ignored PUT");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 11", "", "ignored GET");
    }

    [Fact]
    public async Task UnreadBody_LargerThanTheDrainLimit_ConnectionCloseInsteadOfDraining()
    {
        await using var server = LoopbackServer.Start(
            _ => ValueTask.CompletedTask,
            s => s with { Limits = s.Limits with { MaxDrainSize = 4 } });
        await using var client = await server.ConnectAsync();

        await client.Send("POST / HTTP/1.1", "Host: x", "Content-Length: 11", "", "hello world");

        await client.ReceiveEnd("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 0", "Connection: close", "", "");
    }

    [Fact]
    public async Task BodyShorterThanContentLength_HandlerReadFailsWithIOException()
    {
        var failure = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            try
            {
                await ReadBodyAsync(exchange.Body);
            }
            catch (Exception e)
            {
                failure.SetResult(e);
                throw;
            }
        });
        await using var client = await server.ConnectAsync();

        await client.Send("POST / HTTP/1.1", "Host: x", "Content-Length: 10", "", "abc");
        client.ShutdownSend();

        Assert.IsType<IOException>(await failure.Task.WaitAsync(s_timeout));
        await client.ReceiveEnd(
            "HTTP/1.1 500 Internal Server Error", LoopbackServer.Date, "Content-Type: text/plain; charset=utf-8",
            "Content-Length: 21", "Connection: close", "", "Internal Server Error");
    }

    [Fact]
    public async Task ChunkedBody_Malformed_HandlerSeesTheRejection_AndTheServerAnswers400AndCloses()
    {
        await using var server = LoopbackServer.Start(async exchange => await ReadBodyAsync(exchange.Body));
        await using var client = await server.ConnectAsync();

        await client.Send("POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", "", "zz", "hello", "0", "", "");

        var text = new Rx.WebSockets.Http.HttpRequestRejectedException(Rx.WebSockets.Http.RequestRejectionReason.InvalidChunkSize).Message;
        await client.ReceiveEnd(
            "HTTP/1.1 400 Bad Request", LoopbackServer.Date, "Content-Type: text/plain; charset=utf-8",
            $"Content-Length: {text.Length}", "Connection: close", "", text);
    }

    [Fact]
    public async Task ChunkedBody_PastTheBodyLimit_Is413()
    {
        await using var server = LoopbackServer.Start(
            async exchange => await ReadBodyAsync(exchange.Body),
            s => s with { Limits = s.Limits with { MaxRequestBodySize = 8 } });
        await using var client = await server.ConnectAsync();

        await client.Send("POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", "", "5", "hello", "5", "world", "0", "", "");

        var head = await client.ReceiveHead();
        Assert.StartsWith("HTTP/1.1 413 Content Too Large\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", head, StringComparison.Ordinal);
    }
}
