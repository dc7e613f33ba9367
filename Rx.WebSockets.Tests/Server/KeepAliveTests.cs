using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Server;

/// <summary>RFC 9112 §9.3 Persistence, §9.6 Tear-down, and the idle timeout; RFC 9110 §9.3.2 HEAD.</summary>
public sealed class KeepAliveTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Http11_WithoutConnectionHeader_KeepsTheConnectionForTheNextRequest()
    {
        await using var server = LoopbackServer.Start(Echo);
        await using var client = await server.ConnectAsync();

        await client.Send("GET /one HTTP/1.1", "Host: x", "", "");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 4", "", "/one");
        await client.Send("GET /two HTTP/1.1", "Host: x", "", "");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 4", "", "/two");
    }

    [Fact]
    public async Task Http10_WithoutKeepAlive_AnswersConnectionCloseAndCloses()
    {
        await using var server = LoopbackServer.Start(Echo);
        await using var client = await server.ConnectAsync();

        await client.Send("GET /one HTTP/1.0", "", "");

        await client.ReceiveEnd("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 4", "Connection: close", "", "/one");
    }

    [Fact]
    public async Task Http10_WithKeepAlive_AnswersKeepAliveAndKeepsTheConnection()
    {
        await using var server = LoopbackServer.Start(Echo);
        await using var client = await server.ConnectAsync();

        await client.Send("GET /one HTTP/1.0", "Connection: keep-alive", "", "");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 4", "Connection: keep-alive", "", "/one");
        await client.Send("GET /two HTTP/1.0", "", "");
        await client.ReceiveEnd("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 4", "Connection: close", "", "/two");
    }

    [Theory]
    [InlineData("close")]
    [InlineData("keep-alive, close")]
    [InlineData("Keep-Alive, CLOSE")]
    [InlineData("upgrade, close")]
    public async Task Http11_ConnectionClose_AnswersAndCloses(string connection)
    {
        await using var server = LoopbackServer.Start(Echo);
        await using var client = await server.ConnectAsync();

        // RFC 9112 §9.6: close wins, even next to keep-alive.
        await client.Send("GET /one HTTP/1.1", "Host: x", $"Connection: {connection}", "", "");

        await client.ReceiveEnd("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 4", "Connection: close", "", "/one");
    }

    [Fact]
    public async Task Http11_ConnectionClose_LaterPipelinedRequestIsNotAnswered()
    {
        int handled = 0;
        await using var server = LoopbackServer.Start(exchange =>
        {
            Interlocked.Increment(ref handled);
            return Echo(exchange);
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET /one HTTP/1.1", "Host: x", "Connection: close", "", "GET /two HTTP/1.1", "Host: x", "", "");

        await client.ReceiveEnd("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 4", "Connection: close", "", "/one");
        Assert.Equal(1, handled);
    }

    [Fact]
    public async Task Handler_SetsConnectionClose_ConnectionClosesAfterTheResponse()
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            exchange.Response.Headers.Add("Connection", "close");
            return Echo(exchange);
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET /one HTTP/1.1", "Host: x", "", "");

        await client.ReceiveEnd("HTTP/1.1 200 OK", LoopbackServer.Date, "Connection: close", "Content-Length: 4", "", "/one");
    }

    [Fact]
    public async Task Http11_StreamedResponse_IsChunked()
    {
        await using var server = LoopbackServer.Start(async exchange =>
        {
            await exchange.Response.WriteAsync("hello"u8.ToArray());
            await exchange.Response.WriteAsync(" world"u8.ToArray());
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET / HTTP/1.1", "Host: x", "", "");

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Transfer-Encoding: chunked", "", "5", "hello", "6", " world", "0", "", "");
    }

    [Fact]
    public async Task Http10_StreamedResponse_IsDelimitedByClose()
    {
        await using var server = LoopbackServer.Start(async exchange =>
        {
            await exchange.Response.WriteAsync("hello"u8.ToArray());
            await exchange.Response.WriteAsync(" world"u8.ToArray());
        });
        await using var client = await server.ConnectAsync();

        // RFC 9112 §6.1: no chunked coding for an HTTP/1.0 client, so the body ends with the connection.
        await client.Send("GET / HTTP/1.0", "Connection: keep-alive", "", "");

        await client.ReceiveEnd("HTTP/1.1 200 OK", LoopbackServer.Date, "Connection: close", "", "hello world");
    }

    [Fact]
    public async Task Head_CarriesTheGetHeaders_AndNoBody()
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            exchange.Response.Headers.Add("Content-Type", "text/plain");
            exchange.Response.Write("hello");
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        await client.Send("HEAD / HTTP/1.1", "Host: x", "", "", "GET / HTTP/1.1", "Host: x", "", "");

        // RFC 9110 §9.3.2: the same header fields as GET, including Content-Length, and no content; the next response
        // starts right after the head, which proves no body bytes were sent.
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Type: text/plain", "Content-Length: 5", "", "");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Type: text/plain", "Content-Length: 5", "", "hello");
    }

    [Fact]
    public async Task Head_StreamedResponse_SaysChunkedButSendsNoChunks()
    {
        await using var server = LoopbackServer.Start(async exchange =>
        {
            await exchange.Response.WriteAsync("hello"u8.ToArray());
            await exchange.Response.WriteAsync("world"u8.ToArray());
        });
        await using var client = await server.ConnectAsync();

        await client.Send("HEAD / HTTP/1.1", "Host: x", "", "", "GET / HTTP/1.1", "Host: x", "", "");

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Transfer-Encoding: chunked", "", "");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Transfer-Encoding: chunked", "", "5", "hello", "5", "world", "0", "", "");
    }

    [Theory]
    [InlineData(204, "No Content")]
    [InlineData(304, "Not Modified")]
    public async Task NoContentStatuses_HaveNoBodyAndNoLength(int status, string reason)
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            exchange.Response.StatusCode = status;
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET / HTTP/1.1", "Host: x", "", "", "GET / HTTP/1.1", "Host: x", "", "");

        await client.Receive($"HTTP/1.1 {status} {reason}", LoopbackServer.Date, "", "");
        await client.Receive($"HTTP/1.1 {status} {reason}", LoopbackServer.Date, "", "");
    }

    [Fact]
    public async Task IdleConnection_ClosedSilentlyAtTheIdleTimeout()
    {
        await using var server = LoopbackServer.Start(Echo, s => s with { ConnectionIdleTimeout = TimeSpan.FromSeconds(45) });
        await using var client = await server.ConnectAsync();
        await server.Timers.WaitForArmedAsync(LoopbackServer.StartTime.AddSeconds(45)).WaitAsync(s_timeout);

        server.Time.Advance(TimeSpan.FromSeconds(44));
        await client.Send("GET /alive HTTP/1.1", "Host: x", "", "");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date.Replace("00:00:00", "00:00:44", StringComparison.Ordinal), "Content-Length: 6", "", "/alive");

        // The idle time counts from the end of the last response again.
        await server.Timers.WaitForArmedAsync(LoopbackServer.StartTime.AddSeconds(44 + 45)).WaitAsync(s_timeout);
        server.Time.Advance(TimeSpan.FromSeconds(45));

        await client.AssertClosedCleanly();
    }

    [Fact]
    public async Task IdleTimeout_DoesNotInterruptARunningHandler()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            started.SetResult();
            await release.Task;
            exchange.Response.Write("done");
        });
        await using var client = await server.ConnectAsync();
        await client.Send("GET / HTTP/1.1", "Host: x", "", "");
        await started.Task.WaitAsync(s_timeout);

        server.Time.Advance(TimeSpan.FromMinutes(5));
        release.SetResult();

        await client.Receive("HTTP/1.1 200 OK", "Date: Tue, 01 Jan 2030 00:05:00 GMT", "Content-Length: 4", "", "done");
    }

    private static ValueTask Echo(HttpExchange exchange)
    {
        exchange.Response.Write(exchange.Request.Path);
        return ValueTask.CompletedTask;
    }
}
