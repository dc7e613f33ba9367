using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Tests.Session;

/// <summary>RFC 6455 §5.5.2 Ping / §5.5.3 Pong: the pinger operator on virtual time.</summary>
public class PingerTests : ReactiveTest
{
    [Fact]
    public void Pinger_ArgumentChecking()
    {
        var pongs = Observable.Never<PongFrame>();
        var scheduler = new TestScheduler();
        Assert.Throws<ArgumentNullException>(() => KeepAlive.Pinger(null!, TimeSpan.FromSeconds(1), null, scheduler));
        Assert.Throws<ArgumentNullException>(() => KeepAlive.Pinger(pongs, TimeSpan.FromSeconds(1), null, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeepAlive.Pinger(pongs, TimeSpan.Zero, null, scheduler));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeepAlive.Pinger(pongs, TimeSpan.FromSeconds(-1), null, scheduler));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeepAlive.Pinger(pongs, TimeSpan.FromSeconds(1), TimeSpan.FromTicks(-1), scheduler));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeepAlive.Pinger(pongs, 0, 10, scheduler));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeepAlive.Pinger(pongs, -1, 10, scheduler));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeepAlive.Pinger(pongs, 10, -2, scheduler));
        Assert.Throws<ArgumentNullException>(() => KeepAlive.Pinger(pongs, 10, 10, null!));
        Assert.Throws<ArgumentNullException>(() => KeepAlive.Pinger(null!, TimeSpan.FromSeconds(1), null));
        Assert.Throws<ArgumentNullException>(() => KeepAlive.Pinger(null!, 10, 10));
        Assert.Throws<ArgumentNullException>(() => KeepAlive.Pinger(pongs, TimeSpan.FromSeconds(1), null, scheduler, null!));
        Assert.Throws<ArgumentNullException>(() => KeepAlive.Pinger(null!, TimeSpan.FromSeconds(1), null, scheduler, _ => { }));
        Assert.Throws<ArgumentNullException>(() => KeepAlive.Pinger(pongs, TimeSpan.FromSeconds(1), null, null!, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeepAlive.Pinger(pongs, TimeSpan.Zero, null, scheduler, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeepAlive.Pinger(pongs, TimeSpan.FromSeconds(1), TimeSpan.FromTicks(-1), scheduler, _ => { }));
    }

    [Fact]
    public void Pinger_PongArrives37msAfterThePing_ReportsA37msRoundTrip()
    {
        var scheduler = new TestScheduler();
        var pongs = new Subject<PongFrame>();
        var roundTrips = new List<(long At, TimeSpan RoundTrip)>();
        var interval = TimeSpan.FromSeconds(1);
        var pinger = Respond(
            KeepAlive.Pinger(pongs, interval, TimeSpan.FromMilliseconds(100), scheduler, rt => roundTrips.Add((scheduler.Clock, rt))),
            pongs,
            scheduler,
            TimeSpan.FromMilliseconds(37));

        scheduler.Start(() => pinger, created: 100, subscribed: 200, disposed: 200 + (2 * interval).Ticks + TimeSpan.FromMilliseconds(50).Ticks);

        var at37 = TimeSpan.FromMilliseconds(37);
        Assert.Equal(new[] { (200 + interval.Ticks + at37.Ticks, at37), (200 + (2 * interval).Ticks + at37.Ticks, at37) }, roundTrips);
    }

    [Fact]
    public void Pinger_SynchronousPong_ReportsAZeroRoundTrip()
    {
        var scheduler = new TestScheduler();
        var pongs = new Subject<PongFrame>();
        var roundTrips = new List<TimeSpan>();
        var pinger = Respond(KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.Zero, scheduler, roundTrips.Add), pongs, scheduler, TimeSpan.Zero);

        var result = scheduler.Start(() => pinger, 100, 200, 350);

        Assert.Single(result.Messages);
        Assert.Equal(new[] { TimeSpan.Zero }, roundTrips);
    }

    [Fact]
    public void Pinger_UnmatchedPongs_ReportNoRoundTrip()
    {
        var scheduler = new TestScheduler();
        var pongs = new Subject<PongFrame>();
        var roundTrips = new List<TimeSpan>();
        PingFrame? first = null;
        var pinger = KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), null, scheduler, roundTrips.Add)
            .Do(ping =>
            {
                if (first is null)
                {
                    first = ping;
                    scheduler.Schedule(TimeSpan.FromTicks(10), () => pongs.OnNext(Frame.Pong(ping.Payload)));
                    return;
                }

                // The second ping gets a wrong payload, then the first ping's payload again (stale); never its own.
                scheduler.Schedule(TimeSpan.FromTicks(10), () => pongs.OnNext(Frame.Pong(Encoding.ASCII.GetBytes("nope"))));
                scheduler.Schedule(TimeSpan.FromTicks(20), () => pongs.OnNext(Frame.Pong(first.Payload)));
            });
        // Unsolicited: before any ping was sent.
        scheduler.Schedule(TimeSpan.FromTicks(250), () => pongs.OnNext(Frame.Pong(new byte[] { 1, 2 })));

        var result = scheduler.Start(() => pinger);

        // Without a timeout the second ping stays outstanding, so the ticks after it send nothing.
        Assert.Equal(new long[] { 300, 400 }, Times(result));
        Assert.Equal(new[] { TimeSpan.FromTicks(10) }, roundTrips);
    }

    [Fact]
    public void Pinger_TimedOutPing_ReportsNoRoundTrip()
    {
        var scheduler = new TestScheduler();
        var pongs = new Subject<PongFrame>();
        var roundTrips = new List<TimeSpan>();
        // The pong comes 60 ticks after the ping, 10 past its deadline: the pinger has already failed and unsubscribed.
        var pinger = Respond(KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.FromTicks(50), scheduler, roundTrips.Add), pongs, scheduler, TimeSpan.FromTicks(60));

        var result = scheduler.Start(() => pinger);

        result.Messages.AssertEqual(
            OnNext<PingFrame>(300, _ => true),
            OnError<PingFrame>(350, e => e is PingTimeoutException));
        Assert.Empty(roundTrips);
    }

    [Fact]
    public void Pinger_PongNeverArrives_ErrorsAtTimeout()
    {
        var scheduler = new TestScheduler();
        var pongs = scheduler.CreateHotObservable<PongFrame>();

        var result = scheduler.Start(() => KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.FromTicks(50), scheduler));

        result.Messages.AssertEqual(
            OnNext<PingFrame>(300, p => p.Payload.Length == 8),
            OnError<PingFrame>(350, e => e is PingTimeoutException t && t.Timeout == TimeSpan.FromTicks(50)));
        pongs.Subscriptions.AssertEqual(Subscribe(200, 350));
    }

    [Fact]
    public void Pinger_MatchingPongs_PingsExactlyEveryInterval()
    {
        var scheduler = new TestScheduler();
        var pongs = new Subject<PongFrame>();
        var pinger = Respond(KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.FromTicks(50), scheduler), pongs, scheduler, TimeSpan.FromTicks(10));

        var result = scheduler.Start(() => pinger);

        Assert.Equal(new long[] { 300, 400, 500, 600, 700, 800, 900 }, Times(result));
        Assert.All(result.Messages, m => Assert.Equal(System.Reactive.NotificationKind.OnNext, m.Value.Kind));
    }

    [Fact]
    public void Pinger_EveryPing_HasADistinctPayload()
    {
        var scheduler = new TestScheduler();
        var pongs = new Subject<PongFrame>();
        var first = scheduler.Start(() => Respond(KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.FromTicks(50), scheduler), pongs, scheduler, TimeSpan.Zero));
        var again = new TestScheduler();
        var second = again.Start(() => Respond(KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.FromTicks(50), again), pongs, again, TimeSpan.Zero));

        var payloads = new HashSet<string>();
        foreach (var m in first.Messages.Concat(second.Messages))
        {
            Assert.True(payloads.Add(Convert.ToHexString(m.Value.Value.Payload.Span)), "payload repeated");
        }

        Assert.Equal(14, payloads.Count);
    }

    [Fact]
    public void Pinger_MatchingPongKeepsAlive_For24SimulatedHours()
    {
        var scheduler = new TestScheduler();
        var pongs = new Subject<PongFrame>();
        long pings = 0;
        Exception? error = null;
        var watch = Stopwatch.StartNew();

        // A synchronous responder: the peer answers during OnNext, the tightest possible round trip.
        using var subscription = KeepAlive.Pinger(pongs, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20), scheduler)
            .Subscribe(
                ping =>
                {
                    pings++;
                    pongs.OnNext(Frame.Pong(ping.Payload));
                },
                e => error = e);
        scheduler.AdvanceBy(TimeSpan.FromHours(24).Ticks);

        Assert.Null(error);
        Assert.Equal(24 * 60 * 3, pings);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Pinger_WrongPayloadPong_IsIgnored()
    {
        var scheduler = new TestScheduler();
        var pongs = new Subject<PongFrame>();
        var pinger = KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.FromTicks(50), scheduler)
            .Do(_ => scheduler.Schedule(TimeSpan.FromTicks(10), () => pongs.OnNext(Frame.Pong(Encoding.ASCII.GetBytes("nope")))));

        var result = scheduler.Start(() => pinger);

        result.Messages.AssertEqual(
            OnNext<PingFrame>(300, _ => true),
            OnError<PingFrame>(350, e => e is PingTimeoutException));
    }

    [Fact]
    public void Pinger_PongForEarlierPing_DoesNotSatisfyLaterPing()
    {
        var scheduler = new TestScheduler();
        var pongs = new Subject<PongFrame>();
        PingFrame? first = null;
        var pinger = KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.FromTicks(50), scheduler)
            .Do(ping =>
            {
                first ??= ping;
                // Always answers with the first ping's payload: right the first time, stale afterwards.
                scheduler.Schedule(TimeSpan.FromTicks(10), () => pongs.OnNext(Frame.Pong(first.Payload)));
            });

        var result = scheduler.Start(() => pinger);

        result.Messages.AssertEqual(
            OnNext<PingFrame>(300, _ => true),
            OnNext<PingFrame>(400, _ => true),
            OnError<PingFrame>(450, e => e is PingTimeoutException));
    }

    [Fact]
    public void Pinger_UnsolicitedPongBetweenPings_IsIgnored()
    {
        var scheduler = new TestScheduler();
        var pongs = scheduler.CreateHotObservable(OnNext(250, Frame.Pong(new byte[] { 1, 2 })), OnNext(320, Frame.Pong(new byte[] { 1 })));

        var result = scheduler.Start(() => KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.FromTicks(50), scheduler));

        result.Messages.AssertEqual(
            OnNext<PingFrame>(300, _ => true),
            OnError<PingFrame>(350, e => e is PingTimeoutException));
    }

    [Fact]
    public void Pinger_TimeoutLongerThanInterval_SkipsTicksWhileAPingIsOutstanding()
    {
        var scheduler = new TestScheduler();
        var pongs = new Subject<PongFrame>();
        var pinger = Respond(KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.FromTicks(250), scheduler), pongs, scheduler, TimeSpan.FromTicks(150));

        var result = scheduler.Start(() => pinger);

        // Each pong comes 150 ticks after its ping, so the tick 100 ticks after a ping finds it outstanding and is skipped.
        Assert.Equal(new long[] { 300, 500, 700, 900 }, Times(result));
    }

    [Fact]
    public void Pinger_NoTimeout_NeverErrors()
    {
        var scheduler = new TestScheduler();
        var pongs = scheduler.CreateHotObservable<PongFrame>();

        var result = scheduler.Start(() => KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), null, scheduler));

        // Without a timeout the first ping stays outstanding forever, so later ticks send nothing.
        result.Messages.AssertEqual(OnNext<PingFrame>(300, _ => true));
        pongs.Subscriptions.AssertEqual(Subscribe(200, 1000));
    }

    [Fact]
    public void Pinger_InfiniteTimeoutMillis_NeverErrors()
    {
        var scheduler = new TestScheduler();
        var pongs = scheduler.CreateHotObservable<PongFrame>();

        var result = scheduler.Start(() => KeepAlive.Pinger(pongs, 1, System.Threading.Timeout.Infinite, scheduler), 100, 200, TimeSpan.FromSeconds(1).Ticks);

        Assert.Single(result.Messages);
        Assert.Equal(200 + TimeSpan.FromMilliseconds(1).Ticks, result.Messages[0].Time);
    }

    [Fact]
    public void Pinger_MillisOverload_UsesMilliseconds()
    {
        var scheduler = new TestScheduler();
        var pongs = scheduler.CreateHotObservable<PongFrame>();

        var result = scheduler.Start(() => KeepAlive.Pinger(pongs, 20, 5, scheduler), 100, 200, TimeSpan.FromSeconds(1).Ticks);

        result.Messages.AssertEqual(
            OnNext<PingFrame>(200 + TimeSpan.FromMilliseconds(20).Ticks, _ => true),
            OnError<PingFrame>(200 + TimeSpan.FromMilliseconds(25).Ticks, e => e is PingTimeoutException));
    }

    [Fact]
    public void Pinger_PongsComplete_Completes()
    {
        var scheduler = new TestScheduler();
        var pongs = scheduler.CreateHotObservable(OnCompleted<PongFrame>(450));

        var result = scheduler.Start(() => KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), null, scheduler));

        result.Messages.AssertEqual(OnNext<PingFrame>(300, _ => true), OnCompleted<PingFrame>(450));
        pongs.Subscriptions.AssertEqual(Subscribe(200, 450));
    }

    [Fact]
    public void Pinger_PongsError_Errors()
    {
        var scheduler = new TestScheduler();
        var error = new InvalidOperationException("boom");
        var pongs = scheduler.CreateHotObservable(OnError<PongFrame>(250, error));

        var result = scheduler.Start(() => KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.FromTicks(50), scheduler));

        result.Messages.AssertEqual(OnError<PingFrame>(250, error));
        pongs.Subscriptions.AssertEqual(Subscribe(200, 250));
    }

    [Fact]
    public void Pinger_Disposed_StopsPingingAndReleasesPongs()
    {
        var scheduler = new TestScheduler();
        var pongs = scheduler.CreateHotObservable<PongFrame>();

        var result = scheduler.Start(() => KeepAlive.Pinger(pongs, TimeSpan.FromTicks(100), TimeSpan.FromTicks(500), scheduler), 100, 200, 350);

        result.Messages.AssertEqual(OnNext<PingFrame>(300, _ => true));
        pongs.Subscriptions.AssertEqual(Subscribe(200, 350));

        // Whatever was still scheduled (the ping's deadline at 800) must be cancelled: nothing more is recorded.
        scheduler.AdvanceBy(1000);
        Assert.Single(result.Messages);
    }

    private static IObservable<PingFrame> Respond(IObservable<PingFrame> pinger, IObserver<PongFrame> pongs, TestScheduler scheduler, TimeSpan roundTrip) =>
        pinger.Do(ping =>
        {
            if (roundTrip == TimeSpan.Zero)
            {
                pongs.OnNext(Frame.Pong(ping.Payload));
            }
            else
            {
                scheduler.Schedule(roundTrip, () => pongs.OnNext(Frame.Pong(ping.Payload)));
            }
        });

    private static long[] Times(ITestableObserver<PingFrame> result) => result.Messages.Select(m => m.Time).ToArray();
}
