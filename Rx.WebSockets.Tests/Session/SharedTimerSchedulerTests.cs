using System.Collections.Generic;
using System.Linq;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Subjects;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Tests.Session;

/// <summary>
/// The shared timer behind every session's pinger and close timeout (issue 6: one timer structure for all sessions
/// instead of a timer per session), on a fake clock with work run inline so that every step is deterministic.
/// </summary>
public class SharedTimerSchedulerTests
{
    private static readonly TimeSpan s_resolution = TimeSpan.FromMilliseconds(16);

    [Fact]
    public void Schedule_DueIn100ms_RunsNotBeforeItIsDueAndWithinOneResolutionStepAfter()
    {
        var (time, scheduler) = Create();
        int runs = 0;
        scheduler.Schedule(TimeSpan.FromMilliseconds(100), () => runs++);

        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(0, runs);
        time.Advance(TimeSpan.FromMilliseconds(1) + s_resolution);
        Assert.Equal(1, runs);
        Assert.Equal(0, scheduler.PendingCount);
    }

    [Fact]
    public void Schedule_ItemsInAnyOrder_RunInDueOrder()
    {
        var (time, scheduler) = Create();
        var order = new List<int>();
        int[] delaysMs = [700, 100, 500, 300, 900, 200, 800, 400, 600, 1000];
        foreach (int delay in delaysMs)
        {
            scheduler.Schedule(TimeSpan.FromMilliseconds(delay), () => order.Add(delay));
        }

        for (int i = 0; i < 120; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(delaysMs.Order(), order);
        Assert.Equal(0, scheduler.PendingCount);
    }

    [Fact]
    public void Schedule_ThousandsOfItemsAtOnce_AllRunAtTheirTimeAndTheHeapEmpties()
    {
        var (time, scheduler) = Create();
        var random = new Random(6);
        var due = new Dictionary<int, TimeSpan>();
        var ranAt = new Dictionary<int, TimeSpan>();
        var start = time.GetTimestamp();
        var cancelled = new HashSet<int>();
        for (int i = 0; i < 5000; i++)
        {
            int id = i;
            var delay = TimeSpan.FromMilliseconds(random.Next(1, 20_000));
            due[id] = delay;
            var item = scheduler.Schedule(delay, () => ranAt[id] = time.GetElapsedTime(start));
            if (i % 3 == 0)
            {
                item.Dispose(); // a pong deadline that was met
                cancelled.Add(id);
            }
        }

        Assert.Equal(5000 - cancelled.Count, scheduler.PendingCount);
        for (int i = 0; i < 2100; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(0, scheduler.PendingCount);
        Assert.Equal(5000 - cancelled.Count, ranAt.Count);
        Assert.All(ranAt, r =>
        {
            Assert.DoesNotContain(r.Key, cancelled);
            Assert.InRange(r.Value, due[r.Key], due[r.Key] + s_resolution + TimeSpan.FromMilliseconds(10));
        });
    }

    [Fact]
    public void Dispose_BeforeDue_RemovesTheItemAtOnceAndItNeverRuns()
    {
        var (time, scheduler) = Create();
        int runs = 0;
        var item = scheduler.Schedule(TimeSpan.FromSeconds(20), () => runs++);
        Assert.Equal(1, scheduler.PendingCount);

        item.Dispose();

        Assert.Equal(0, scheduler.PendingCount);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(0, runs);
    }

    [Fact]
    public void Dispose_AfterTheItemRescheduledItself_CancelsTheRescheduledWork()
    {
        var (time, scheduler) = Create();
        int runs = 0;
        var item = scheduler.Schedule(0, TimeSpan.FromSeconds(1), (s, _) =>
        {
            runs++;
            return s.Schedule(0, TimeSpan.FromSeconds(1), (_, _) =>
            {
                runs++;
                return Disposable.Empty;
            });
        });

        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(1, runs);
        Assert.Equal(1, scheduler.PendingCount);

        item.Dispose();

        Assert.Equal(0, scheduler.PendingCount);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, runs);
    }

    [Fact]
    public void Schedule_AnEarlierItemAfterALaterOne_RearmsTheTimerForTheEarlierOne()
    {
        var (time, scheduler) = Create();
        var order = new List<string>();
        scheduler.Schedule(TimeSpan.FromSeconds(10), () => order.Add("late"));
        scheduler.Schedule(TimeSpan.FromSeconds(1), () => order.Add("early"));

        time.Advance(TimeSpan.FromSeconds(1) + s_resolution);

        Assert.Equal(["early"], order);
    }

    [Fact]
    public void StartStopwatch_MeasuresTheProvidersClock()
    {
        var (time, scheduler) = Create();
        var stopwatch = scheduler.StartStopwatch();

        time.Advance(TimeSpan.FromMilliseconds(1234));

        Assert.Equal(TimeSpan.FromMilliseconds(1234), stopwatch.Elapsed);
        Assert.Equal(time.GetUtcNow(), scheduler.Now);
    }

    [Fact]
    public void SubstituteForDefault_DefaultScheduler_IsTheSharedInstanceAndOtherSchedulersStay()
    {
        var test = new TestScheduler();

        Assert.Same(SharedTimerScheduler.Instance, SharedTimerScheduler.SubstituteForDefault(Scheduler.Default));
        Assert.Same(test, SharedTimerScheduler.SubstituteForDefault(test));
        Assert.Same(TaskPoolScheduler.Default, SharedTimerScheduler.SubstituteForDefault(TaskPoolScheduler.Default));
    }

    [Fact]
    public void Pinger_OnTheSharedTimer_PingsEveryIntervalAndAMetDeadlineLeavesOnlyTheNextTick()
    {
        var (time, scheduler) = Create(TimeSpan.FromMilliseconds(1));
        var pongs = new Subject<PongFrame>();
        var pings = new List<PingFrame>();
        var errors = new List<Exception>();
        using var subscription = KeepAlive.Pinger(pongs, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500), scheduler)
            .Subscribe(pings.Add, errors.Add);
        Assert.Equal(1, scheduler.PendingCount); // the first tick

        for (int second = 1; second <= 10; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(second, pings.Count);
            Assert.Equal(2, scheduler.PendingCount); // the next tick and this ping's deadline
            pongs.OnNext(Frame.Pong(pings[^1].Payload));
            Assert.Equal(1, scheduler.PendingCount); // the deadline went with the pong
        }

        Assert.Empty(errors);
    }

    [Fact]
    public void Pinger_OnTheSharedTimer_UnansweredPingTimesOutAndNothingStaysScheduled()
    {
        var (time, scheduler) = Create(TimeSpan.FromMilliseconds(1));
        var pongs = new Subject<PongFrame>();
        var pings = new List<PingFrame>();
        var errors = new List<Exception>();
        using var subscription = KeepAlive.Pinger(pongs, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500), scheduler)
            .Subscribe(pings.Add, errors.Add);

        time.Advance(TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Empty(errors);
        time.Advance(TimeSpan.FromMilliseconds(1) + s_resolution);

        Assert.IsType<PingTimeoutException>(Assert.Single(errors));
        Assert.Single(pings);
        Assert.Equal(0, scheduler.PendingCount);
    }

    [Fact]
    public void Pinger_ClockJumpsOverSeveralTicks_SendsOnePingAndKeepsTheFixedRate()
    {
        var (time, scheduler) = Create(TimeSpan.FromMilliseconds(1));
        var pongs = new Subject<PongFrame>();
        var pings = new List<PingFrame>();
        using var subscription = KeepAlive.Pinger(pongs, TimeSpan.FromSeconds(1), null, scheduler)
            .Subscribe(ping =>
            {
                pings.Add(ping);
                pongs.OnNext(Frame.Pong(ping.Payload));
            });

        // A stalled process: ticks 1 to 5 are all overdue at once.
        time.Advance(TimeSpan.FromSeconds(5.5));
        Assert.Single(pings);

        time.Advance(TimeSpan.FromSeconds(0.4));
        Assert.Single(pings);
        time.Advance(TimeSpan.FromSeconds(0.1) + s_resolution);
        Assert.Equal(2, pings.Count); // tick 6, on the original grid
    }

    private static (FakeTimeProvider Time, SharedTimerScheduler Scheduler) Create() => Create(s_resolution);

    // The fake clock starts on a whole second, so with a 1 ms resolution the pinger's ticks fall exactly on whole seconds.
    private static (FakeTimeProvider Time, SharedTimerScheduler Scheduler) Create(TimeSpan resolution)
    {
        var time = new FakeTimeProvider();
        return (time, new SharedTimerScheduler(time, resolution, runOnThreadPool: false));
    }
}
