using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;

namespace Rx.WebSockets.Tests;

/// <summary>The README's examples, compiled and run, so that the README cannot drift from the API.</summary>
public sealed class ReadmeExamplesTests
{
    private static IObservable<CloseReason> Echo(IWebSocketSession session) =>
        session.Run(frames => frames
            .OfType<TextFrame>()
            .Where(f => f.GetText().Length > 0)
            .Select(f => Frame.Text(f.GetText().ToUpperInvariant())));

    [Fact]
    public async Task LinqEcho_UppercasesTextFrames()
    {
        var scheduler = new TestScheduler();
        await using var pair = WebSocketTestPair.Create(scheduler, new WebSocketOptions { PingInterval = null }, new WebSocketOptions { PingInterval = null });
        Echo(pair.Server).Subscribe();
        var reply = pair.Client.Incoming.FirstAsync().ToTask();
        pair.Client.Start();

        pair.Client.Send("hello");

        Assert.Equal(Frame.Text("HELLO"), await reply.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task VirtualTime_ServerPingsAtExactly30Seconds_ClientAnswers()
    {
        var scheduler = new TestScheduler();
        var options = new WebSocketOptions { PingInterval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(5) };
        await using var pair = WebSocketTestPair.Create(scheduler, serverOptions: options,
            clientOptions: new WebSocketOptions { PingInterval = null });
        pair.Server.Run(frames => frames).Subscribe();
        pair.Client.Start();

        var pong = pair.Server.Pongs.FirstAsync().ToTask();
        scheduler.AdvanceBy(TimeSpan.FromSeconds(30).Ticks - 1);
        Assert.False(pong.IsCompleted);
        scheduler.AdvanceBy(1);                                    // the server pings at exactly 30 s
        await pong.WaitAsync(TimeSpan.FromSeconds(5));             // the client's ponger answered
        Assert.Equal(WebSocketState.Open, pair.Server.State);
    }
}
