using System.Reactive.Linq;
using System.Text;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Tests.Session;

/// <summary>RFC 6455 §5.5.3 Pong: "A Pong frame sent in response to a Ping frame must have identical Application data".</summary>
public class PongerTests : ReactiveTest
{
    [Fact]
    public void Ponger_ArgumentChecking() => Assert.Throws<ArgumentNullException>(() => KeepAlive.Ponger(null!));

    [Fact]
    public void Ponger_FivePings_FivePongsWithSamePayloadsInOrder()
    {
        var scheduler = new TestScheduler();
        var pings = scheduler.CreateHotObservable(
            OnNext(210, Ping("ping 1")), OnNext(220, Ping("ping 2")), OnNext(230, Ping("ping 3")),
            OnNext(240, Ping("ping 4")), OnNext(250, Ping("ping 5")), OnCompleted<PingFrame>(300));

        var result = scheduler.Start(() => KeepAlive.Ponger(pings));

        result.Messages.AssertEqual(
            OnNext<PongFrame>(210, Pong("ping 1")), OnNext<PongFrame>(220, Pong("ping 2")), OnNext<PongFrame>(230, Pong("ping 3")),
            OnNext<PongFrame>(240, Pong("ping 4")), OnNext<PongFrame>(250, Pong("ping 5")), OnCompleted<PongFrame>(300));
        pings.Subscriptions.AssertEqual(Subscribe(200, 300));
    }

    [Fact]
    public void Ponger_EmptyPing_EmptyPong()
    {
        var scheduler = new TestScheduler();
        var pings = scheduler.CreateHotObservable(OnNext(210, Frame.Ping()));

        var result = scheduler.Start(() => KeepAlive.Ponger(pings));

        result.Messages.AssertEqual(OnNext<PongFrame>(210, Frame.Pong()));
    }

    [Fact]
    public void Ponger_PingsError_Errors()
    {
        var scheduler = new TestScheduler();
        var error = new InvalidOperationException();
        var pings = scheduler.CreateHotObservable(OnError<PingFrame>(220, error));

        var result = scheduler.Start(() => KeepAlive.Ponger(pings));

        result.Messages.AssertEqual(OnError<PongFrame>(220, error));
        pings.Subscriptions.AssertEqual(Subscribe(200, 220));
    }

    [Fact]
    public void Ponger_Disposed_Unsubscribes()
    {
        var scheduler = new TestScheduler();
        var pings = scheduler.CreateHotObservable(OnNext(500, Ping("late")));

        var result = scheduler.Start(() => KeepAlive.Ponger(pings), 100, 200, 400);

        Assert.Empty(result.Messages);
        pings.Subscriptions.AssertEqual(Subscribe(200, 400));
    }

    private static PingFrame Ping(string text) => Frame.Ping(Encoding.ASCII.GetBytes(text));

    private static PongFrame Pong(string text) => Frame.Pong(Encoding.ASCII.GetBytes(text));
}
