using System.Globalization;
using System.Text;
using System.Threading.Tasks;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.TestSupport;
using static Rx.WebSockets.Tests.Server.PipeliningTests;

namespace Rx.WebSockets.Tests.Server;

/// <summary>
/// Handlers start on the connection's read loop (RFC 9112 §9.3.2 ordered pipelining stays intact): a handler that blocks
/// its thread until the server has sent part of its response must not wait on that loop.
/// </summary>
public sealed class InlineHandlerTests
{
    // Several times the default send buffer (64 KiB), so the handler's flush waits until the response is drained.
    private const int LargeBodyLength = 400_000;

    [Fact]
    public async Task Get_HandlerBlocksOnFlushingMoreThanTheSendBuffer_ResponseArrivesThenThePipelinedOne()
    {
        var body = new byte[LargeBodyLength];
        for (int i = 0; i < body.Length; i++)
        {
            body[i] = (byte)('a' + (i % 26));
        }

        await using var server = LoopbackServer.Start(exchange =>
        {
            var response = exchange.Response;
            if (exchange.Request.Path == "/large")
            {
                response.Headers.Add("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture));
                // Blocking on purpose (sync over async): the flush completes only once the server sent most of it.
                response.Body.WriteAsync(body).AsTask().GetAwaiter().GetResult();
            }
            else
            {
                response.Write("small");
            }

            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET /large HTTP/1.1", "Host: x", "", "GET /small HTTP/1.1", "Host: x", "", "");

        Assert.Equal(
            $"HTTP/1.1 200 OK\r\n{LoopbackServer.Date}\r\nContent-Length: {LargeBodyLength}\r\n\r\n",
            await client.ReceiveHead());
        Assert.Equal(Encoding.Latin1.GetString(body), await client.ReceiveExactly(LargeBodyLength));
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 5", "", "small");
    }

    [Fact]
    public async Task Post_ExpectContinue_HandlerBlocksReadingTheBody_ContinueIsSentAndTheBodyRead()
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            // Blocking on purpose: the first read sends 100 Continue, and the client sends the body only after it.
            string text = ReadBodyAsync(exchange.Body).GetAwaiter().GetResult();
            exchange.Response.Write("got " + text);
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        await client.Send("POST / HTTP/1.1", "Host: x", "Content-Length: 5", "Expect: 100-continue", "", "");
        await client.Receive("HTTP/1.1 100 Continue", "", "");
        await client.Send("hello");

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 9", "", "got hello");
    }
}
