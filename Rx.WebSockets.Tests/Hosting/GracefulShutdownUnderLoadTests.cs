using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Hosting;

/// <summary>
/// Graceful shutdown under load (issue 8): 500 sessions streaming binary messages when the server stops. RFC 6455
/// §7.4.1 1001 "going away, such as a server going down" ends every stream, and §5.4's framing must survive the stop:
/// each client's byte stream decodes into whole frames only — never a frame cut in half.
/// </summary>
/// <remarks>
/// What a client may see, exactly:
/// <list type="bullet">
/// <item>When it answers the Close within the grace period: whole, intact, in-order data messages, then one Close(1001),
/// then nothing (no frame after the Close), then the server's FIN. StopAsync ends because the handshakes completed.</item>
/// <item>When it never answers and the grace period expires: the same whole messages and Close(1001), then the
/// connection ends by FIN or reset — a reset only after the Close frame, never inside a frame. StopAsync ends within
/// the grace period plus the timeout.</item>
/// </list>
/// </remarks>
[Collection(ShutdownUnderLoadCollection.Name)]
public sealed class GracefulShutdownUnderLoadTests(ITestOutputHelper output)
{
    private const int Sessions = 500;
    private const int WarmFrames = 6;
    private static readonly TimeSpan s_setUpTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public Task Stop_500StreamingClientsAnswerTheClose_WholeFramesThenGoingAwayThenFin() =>
        RunAsync(answerClose: true, grace: TimeSpan.FromSeconds(20), timeout: TimeSpan.FromSeconds(25), results =>
        {
            Assert.All(results, r => Assert.Equal(StreamEnd.Fin, r.End));
        });

    [Fact]
    public Task Stop_500StreamingClientsNeverAnswerTheClose_WholeFramesThenGoingAwayThenEndAfterGrace() =>
        RunAsync(answerClose: false, grace: TimeSpan.FromSeconds(2), timeout: TimeSpan.FromSeconds(4), results =>
        {
            Assert.All(results, r => Assert.NotEqual(StreamEnd.None, r.End));
        });

    private async Task RunAsync(bool answerClose, TimeSpan grace, TimeSpan timeout, Action<StreamingClientResult[]> checkEnds)
    {
        await using var server = await HostingTestServer.StartAsync(ShutdownLoad.Module(TimeSpan.FromMilliseconds(200), burst: 3));
        var endPoint = new IPEndPoint(IPAddress.Loopback, server.Port);
        using var cts = new CancellationTokenSource(s_setUpTimeout + grace + timeout);
        var clients = new List<StreamingClient>();
        var setUp = Stopwatch.StartNew();
        try
        {
            // In batches, so the listen backlog never overflows into SYN retries.
            foreach (var batch in Enumerable.Range(0, Sessions).Chunk(50))
            {
                clients.AddRange(await Task.WhenAll(batch.Select(_ => StreamingClient.ConnectAsync(endPoint, answerClose, WarmFrames, cts.Token))));
                output.WriteLine($"{clients.Count} after {setUp.Elapsed.TotalSeconds:0.0} s; {ThreadPool.ThreadCount} pool threads");
            }

            output.WriteLine($"connected after {setUp.Elapsed.TotalSeconds:0.0} s; {ThreadPool.ThreadCount} pool threads");
            await Task.WhenAll(clients.Select(c => c.Warm)).WaitAsync(s_setUpTimeout);

            output.WriteLine($"{Sessions} sessions connected and streaming after {setUp.Elapsed.TotalSeconds:0.0} s; {ThreadPool.ThreadCount} pool threads, {ThreadPool.PendingWorkItemCount} queued");
            var clock = Stopwatch.StartNew();
            await server.Server.StopAsync(grace, timeout).WaitAsync(grace + timeout + s_setUpTimeout);
            var stopped = clock.Elapsed;
            var results = await Task.WhenAll(clients.Select(c => c.Completion)).WaitAsync(s_setUpTimeout);

            output.WriteLine($"stop took {stopped.TotalMilliseconds:0} ms; {results.Sum(r => r.DataFrames)} messages; " +
                $"ends: {string.Join(", ", results.GroupBy(r => r.End).Select(g => $"{g.Key} {g.Count()}"))}");
            output.WriteLine("closes: " + string.Join(", ", results.GroupBy(r => (r.Close, r.CloseMessage)).Select(g => $"{g.Key} x{g.Count()}")));
            foreach (var log in server.Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Take(5))
            {
                output.WriteLine($"{log.Level} {log.Message} {log.Exception}");
            }

            Assert.True(stopped <= grace + timeout, $"StopAsync took {stopped}, more than grace {grace} + timeout {timeout}");
            if (answerClose)
            {
                // Every handshake completed: the stop did not need the end of the grace period.
                Assert.True(stopped < grace, $"StopAsync took {stopped}: the grace period ran out although every client answered");
            }

            Assert.All(results, r =>
            {
                Assert.Equal(0, r.CutBytes);
                Assert.Null(r.Corrupt);
                Assert.True(r.DataFrames >= WarmFrames);
                Assert.Equal(1001, r.Close);
                Assert.Equal(0, r.FramesAfterClose);
            });
            checkEnds(results);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}

/// <summary>The load tests run alone: 500 streaming sessions each would distort the timing of other tests on 2 cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ShutdownUnderLoadCollection
{
    public const string Name = "Shutdown under load";
}
