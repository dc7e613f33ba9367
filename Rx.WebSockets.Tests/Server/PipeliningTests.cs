using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Server;

/// <summary>RFC 9112 §9.3.2 Pipelining: concurrent safe requests, responses in request order, bodies as barriers.</summary>
public sealed class PipeliningTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Get_SmallBodyWrittenWithoutFlush_IsSentWithContentLength()
    {
        await using var server = LoopbackServer.Start(exchange =>
        {
            exchange.Response.Write(exchange.Request.Path[1..]);
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET /a HTTP/1.1", "Host: x", "", "");

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 1", "", "a");
    }

    [Fact]
    public async Task SixteenGets_InOneWrite_HandlersRunConcurrentlyAndFinishInReverse_ResponsesLeaveInOrder()
    {
        const int count = 16;
        var release = Enumerable.Range(0, count).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var finished = Enumerable.Range(0, count).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        int started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            int index = int.Parse(exchange.Request.Path[1..], System.Globalization.CultureInfo.InvariantCulture);
            if (Interlocked.Increment(ref started) == count)
            {
                allStarted.SetResult();
            }

            await release[index].Task;
            exchange.Response.Write($"r{index:D2}");
            await exchange.Response.CompleteAsync();
            finished[index].SetResult();
        });
        await using var client = await server.ConnectAsync();

        var requests = Enumerable.Range(0, count).SelectMany(i => new[] { $"GET /{i} HTTP/1.1", "Host: x", "" }).Append("");
        await client.Send(requests.ToArray());

        // All sixteen handlers run at once (the default pipelining depth is 16) ...
        await allStarted.Task.WaitAsync(s_timeout);
        // ... and finish last-first.
        for (int i = count - 1; i >= 0; i--)
        {
            release[i].SetResult();
            await finished[i].Task.WaitAsync(s_timeout);
        }

        foreach (int i in Enumerable.Range(0, count))
        {
            await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 3", "", $"r{i:D2}");
        }
    }

    [Fact]
    public async Task PipeliningDepth_LimitsHowManyHandlersRunAtOnce()
    {
        const int count = 4;
        var started = Enumerable.Range(0, count).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var release = Enumerable.Range(0, count).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        int running = 0;
        int mostRunning = 0;
        await using var server = LoopbackServer.Start(
            async exchange =>
            {
                int index = exchange.Request.Path[1] - '0';
                int now = Interlocked.Increment(ref running);
                InterlockedMax(ref mostRunning, now);
                started[index].SetResult();
                await release[index].Task;
                Interlocked.Decrement(ref running);
            },
            s => s with { Limits = s.Limits with { MaxPipelinedRequests = 2 } });
        await using var client = await server.ConnectAsync();

        await client.Send(Enumerable.Range(0, count).SelectMany(i => new[] { $"GET /{i} HTTP/1.1", "Host: x", "" }).Append("").ToArray());

        // Each later request starts only once a response before it has been written.
        await Task.WhenAll(started[0].Task, started[1].Task).WaitAsync(s_timeout);
        for (int i = 0; i < count; i++)
        {
            release[i].SetResult();
            await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 0", "", "");
            if (i + 2 < count)
            {
                await started[i + 2].Task.WaitAsync(s_timeout);
            }
        }

        Assert.Equal(2, mostRunning);
    }

    [Fact]
    public async Task PipelinedGetPostGet_PostBodyIsReadBeforeTheNextHead_ResponsesInOrder()
    {
        var seen = new ConcurrentQueue<string>();
        await using var server = LoopbackServer.Start(async exchange =>
        {
            string body = await ReadBodyAsync(exchange.Body);
            seen.Enqueue($"{exchange.Request.Method} {exchange.Request.Path} [{body}]");
            exchange.Response.Write($"{exchange.Request.Method}:{body}");
        });
        await using var client = await server.ConnectAsync();

        await client.Send(
            "GET /1 HTTP/1.1", "Host: x", "", "",
            "POST /2 HTTP/1.1", "Host: x", "Content-Length: 5", "", "hello",
            "GET /3 HTTP/1.1", "Host: x", "", "");

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 4", "", "GET:");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 10", "", "POST:hello");
        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 4", "", "GET:");
        Assert.Equal(new[] { "GET /1 []", "POST /2 [hello]", "GET /3 []" }, seen.ToArray());
    }

    [Fact]
    public async Task Post_WaitsForEarlierHandlers_AndLaterRequestsWaitForIt()
    {
        var order = new ConcurrentQueue<string>();
        var releaseGet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var getStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            order.Enqueue("start " + exchange.Request.Path);
            if (exchange.Request.Path == "/slow")
            {
                getStarted.SetResult();
                await releaseGet.Task;
            }

            order.Enqueue("end " + exchange.Request.Path);
        });
        await using var client = await server.ConnectAsync();

        await client.Send(
            "GET /slow HTTP/1.1", "Host: x", "", "",
            "DELETE /d HTTP/1.1", "Host: x", "", "",
            "GET /after HTTP/1.1", "Host: x", "", "");
        await getStarted.Task.WaitAsync(s_timeout);
        Assert.DoesNotContain("start /d", order);
        releaseGet.SetResult();

        for (int i = 0; i < 3; i++)
        {
            await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 0", "", "");
        }

        // RFC 9112 §9.3.2: the unsafe DELETE is handled alone, after the GET before it and before the GET after it.
        Assert.Equal(new[] { "start /slow", "end /slow", "start /d", "end /d", "start /after", "end /after" }, order.ToArray());
    }

    [Fact]
    public async Task StreamedResponses_OfPipelinedRequests_AreNotInterleaved()
    {
        var secondWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async exchange =>
        {
            // The second handler streams its whole response before the first has written anything.
            if (exchange.Request.Path == "/1")
            {
                await secondWritten.Task;
            }

            await exchange.Response.WriteAsync(Encoding.ASCII.GetBytes(exchange.Request.Path + "-part1"));
            await exchange.Response.WriteAsync(Encoding.ASCII.GetBytes(exchange.Request.Path + "-part2"));
            if (exchange.Request.Path == "/2")
            {
                secondWritten.SetResult();
            }
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET /1 HTTP/1.1", "Host: x", "", "", "GET /2 HTTP/1.1", "Host: x", "", "");

        foreach (var path in new[] { "/1", "/2" })
        {
            await client.Receive(
                "HTTP/1.1 200 OK", LoopbackServer.Date, "Transfer-Encoding: chunked", "",
                "8", $"{path}-part1", "8", $"{path}-part2", "0", "", "");
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    internal static async Task<string> ReadBodyAsync(PipeReader body)
    {
        var text = new StringBuilder();
        while (true)
        {
            var result = await body.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                text.Append(Encoding.Latin1.GetString(segment.Span));
            }

            body.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return text.ToString();
            }
        }
    }
}
