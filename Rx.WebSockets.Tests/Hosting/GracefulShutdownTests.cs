using System.Collections.Concurrent;
using System.Linq;
using System.Net.WebSockets;
using System.Reactive.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Hosting;

/// <summary>
/// Graceful shutdown with live sessions: RFC 6455 §7.4.1 1001 "going away, such as a server going down" to every
/// session, closing handshakes awaited up to the grace period, the rest aborted.
/// </summary>
public sealed class GracefulShutdownTests
{
    private static readonly TimeSpan s_timeout = HostingTestServer.Timeout;

    [Fact]
    public async Task Stop_FiftyLiveSessions_AllReceiveGoingAwayAndCloseCleanly()
    {
        const int Count = 50;
        var serverReasonTasks = new ConcurrentBag<Task<CloseReason?>>();
        int opened = 0;
        var allOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HostingTestServer.StartAsync(app => app.WebSocket("/echo", session =>
        {
            serverReasonTasks.Add(session.CloseReason);
            if (Interlocked.Increment(ref opened) == Count)
            {
                allOpen.SetResult();
            }

            return session.Incoming.Do(session.Outgoing.OnNext).IgnoreElements().Select(_ => System.Reactive.Unit.Default);
        }));
        var clients = await Task.WhenAll(Enumerable.Range(0, Count).Select(_ => server.ConnectAsync("/echo")));
        await allOpen.Task.WaitAsync(s_timeout);

        // Generous grace: the stop must end because every handshake completed, not because time ran out.
        var stopping = server.Server.StopAsync(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60));

        var closes = await Task.WhenAll(clients.Select(async client =>
        {
            var (result, _) = await client.ReceiveMessageAsync();
            using var cts = new CancellationTokenSource(s_timeout);
            // RFC 6455 §5.5.1: "the endpoint typically echos the status code it received"; answering completes the handshake.
            await client.CloseOutputAsync(result.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, cts.Token);
            return result;
        }));
        await stopping.WaitAsync(s_timeout);
        // The stop may end a moment before the last session's reason is published: wait for the reasons themselves.
        var serverReasons = await Task.WhenAll(serverReasonTasks).WaitAsync(s_timeout);

        Assert.All(closes, r =>
        {
            Assert.Equal(WebSocketMessageType.Close, r.MessageType);
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, r.CloseStatus);
        });
        Assert.Equal(Count, serverReasons.Length);
        // Each session ended with the reason the client echoed: every handshake completed, none was aborted.
        Assert.All(serverReasons, r => Assert.Equal(CloseCode.GoingAway, r!.Code));
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task Stop_PeerNeverAnswersTheClose_IsAbortedAfterTheGracePeriod()
    {
        var timers = new ArmedTimerProvider(new FakeTimeProvider(LoopbackServer.StartTime));
        var reason = new TaskCompletionSource<CloseReason?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HostingTestServer.StartAsync(
            app => app.WebSocket("/ws", session =>
            {
                session.CloseReason.ContinueWith(t => reason.SetResult(t.Result), TaskScheduler.Default);
                return Observable.Never<System.Reactive.Unit>();
            }),
            configure: s => s with { TimeProvider = timers });
        using var client = await server.ConnectAsync("/ws");

        var stopping = server.Server.StopAsync(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
        var (close, _) = await client.ReceiveMessageAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        // The client does not answer: only the end of the grace period ends the connection.
        await timers.WaitForArmedAsync(LoopbackServer.StartTime.AddSeconds(2)).WaitAsync(s_timeout);
        Assert.False(stopping.IsCompleted);
        timers.Fake.Advance(TimeSpan.FromSeconds(2));

        await stopping.WaitAsync(s_timeout);
        var serverReason = await reason.Task.WaitAsync(s_timeout);
        // Aborted: the connection ended without the closing handshake (RFC 6455 §7.1.5, 1006).
        Assert.Equal(CloseCode.ClosedAbnormally, serverReason!.Code);
    }
}
