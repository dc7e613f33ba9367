using System.Collections.Generic;
using System.Threading;
using Microsoft.Extensions.Time.Testing;
using Rx.WebSockets.Server.Internal;

namespace Rx.WebSockets.Tests.Server;

/// <summary>The server's shared timeout queue (Ktor's WeakTimeoutQueue), on virtual time only.</summary>
public sealed class TimeoutQueueTests
{
    private static readonly TimeSpan s_second = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Timeout_BeforeDeadline_DoesNotFire_AtDeadline_Fires()
    {
        using var queue = new TimeoutQueue(_time, s_second);
        int fired = 0;
        var handle = queue.Create(TimeSpan.FromSeconds(30), _ => fired++, null);

        handle.Start();
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, fired);

        _time.Advance(s_second);
        Assert.Equal(1, fired);

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, fired);
    }

    [Fact]
    public void Timeout_Restarted_FiresOneDurationAfterTheRestart()
    {
        using var queue = new TimeoutQueue(_time, s_second);
        int fired = 0;
        var handle = queue.Create(TimeSpan.FromSeconds(10), _ => fired++, null);

        handle.Start();
        _time.Advance(TimeSpan.FromSeconds(8));
        handle.Start();
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, fired);

        _time.Advance(s_second);
        Assert.Equal(1, fired);
    }

    [Fact]
    public void Timeout_StoppedBeforeDeadline_NeverFires_AndStopReportsIt()
    {
        using var queue = new TimeoutQueue(_time, s_second);
        int fired = 0;
        var handle = queue.Create(TimeSpan.FromSeconds(5), _ => fired++, null);

        handle.Start();
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.True(handle.Stop());
        Assert.False(handle.Stop());
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(0, fired);
    }

    [Fact]
    public void Timeout_StoppedAfterItFired_ReportsFalse()
    {
        using var queue = new TimeoutQueue(_time, s_second);
        int fired = 0;
        var handle = queue.Create(TimeSpan.FromSeconds(5), _ => fired++, null);

        handle.Start();
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, fired);
        Assert.False(handle.Stop());
    }

    [Fact]
    public void Timeout_PassesItsState()
    {
        using var queue = new TimeoutQueue(_time, s_second);
        object? seen = null;
        var state = new object();
        queue.Create(s_second, s => seen = s, state).Start();

        _time.Advance(s_second);

        Assert.Same(state, seen);
    }

    [Fact]
    public void Deadline_BetweenTicks_FiresAtTheNextMultipleOfTheResolution()
    {
        using var queue = new TimeoutQueue(_time, s_second);
        int fired = 0;
        _time.Advance(TimeSpan.FromMilliseconds(300));
        queue.Create(TimeSpan.FromSeconds(2), _ => fired++, null).Start();

        // Deadline is 2.3 s; the queue groups deadlines per second, so it fires at 3 s, never before 2.3 s.
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.Equal(0, fired);
        _time.Advance(TimeSpan.FromMilliseconds(699));
        Assert.Equal(0, fired);
        _time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal(1, fired);
    }

    [Fact]
    public void Timeouts_OfSeveralDurations_FireInDeadlineOrder()
    {
        using var queue = new TimeoutQueue(_time, s_second);
        var order = new List<string>();
        var longOne = queue.Create(TimeSpan.FromSeconds(45), _ => order.Add("idle"), null);
        var shortOne = queue.Create(TimeSpan.FromSeconds(30), _ => order.Add("head"), null);
        var later = queue.Create(TimeSpan.FromSeconds(30), _ => order.Add("head2"), null);

        longOne.Start();
        shortOne.Start();
        _time.Advance(TimeSpan.FromSeconds(10));
        later.Start();

        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(new[] { "head" }, order);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { "head", "head2" }, order);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(new[] { "head", "head2", "idle" }, order);
    }

    [Fact]
    public void ThousandsOfTimeouts_ShareOneTimer()
    {
        var counting = new CountingTimeProvider(_time);
        using var queue = new TimeoutQueue(counting, s_second);
        int fired = 0;
        var handles = new List<TimeoutHandle>();
        for (int i = 0; i < 5000; i++)
        {
            var handle = queue.Create(TimeSpan.FromSeconds(45), _ => Interlocked.Increment(ref fired), null);
            handle.Start();
            handles.Add(handle);
        }

        // Half of the connections see traffic and restart their timeout; the others go idle.
        _time.Advance(TimeSpan.FromSeconds(20));
        for (int i = 0; i < handles.Count; i += 2)
        {
            handles[i].Start();
        }

        _time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(2500, fired);
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(5000, fired);
        Assert.Equal(1, counting.TimersCreated);
    }

    [Fact]
    public void StoppingTheEarliestTimeout_MovesTheTimerToTheNextDeadline()
    {
        var counting = new CountingTimeProvider(_time);
        using var queue = new TimeoutQueue(counting, s_second);
        int fired = 0;
        var first = queue.Create(TimeSpan.FromSeconds(10), _ => fired++, null);
        var second = queue.Create(TimeSpan.FromSeconds(20), _ => fired++, null);
        first.Start();
        second.Start();
        Assert.Equal(TimeSpan.FromSeconds(10), counting.LastDue);

        first.Stop();
        Assert.Equal(TimeSpan.FromSeconds(20), counting.LastDue);

        second.Stop();
        Assert.Equal(Timeout.InfiniteTimeSpan, counting.LastDue);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, fired);
    }

    [Fact]
    public void InfiniteTimeout_NeverFires()
    {
        using var queue = new TimeoutQueue(_time, s_second);
        int fired = 0;
        var handle = queue.Create(Timeout.InfiniteTimeSpan, _ => fired++, null);

        handle.Start();
        _time.Advance(TimeSpan.FromDays(400));

        Assert.Equal(0, fired);
        Assert.Equal(Timeout.InfiniteTimeSpan, handle.Duration);
    }

    [Fact]
    public void Callback_RestartingItsOwnTimeout_FiresAgainOneDurationLater()
    {
        using var queue = new TimeoutQueue(_time, s_second);
        int fired = 0;
        TimeoutHandle? handle = null;
        handle = queue.Create(TimeSpan.FromSeconds(3), _ =>
        {
            fired++;
            handle!.Start();
        }, null);

        handle.Start();
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(1, fired);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, fired);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, fired);
    }

    [Fact]
    public void Queue_Disposed_NothingFiresAndStartIsIgnored()
    {
        var queue = new TimeoutQueue(_time, s_second);
        int fired = 0;
        var running = queue.Create(TimeSpan.FromSeconds(1), _ => fired++, null);
        running.Start();

        queue.Dispose();
        running.Start();
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(0, fired);
        Assert.False(running.Stop());
    }

    [Fact]
    public void Create_ArgumentChecking()
    {
        using var queue = new TimeoutQueue(_time, s_second);
        Assert.Throws<ArgumentNullException>(() => queue.Create(s_second, null!, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.Create(TimeSpan.FromSeconds(-1), _ => { }, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeoutQueue(_time, TimeSpan.Zero));
        Assert.Throws<ArgumentNullException>(() => new TimeoutQueue(null!, s_second));
    }

    private sealed class CountingTimeProvider : TimeProvider
    {
        private readonly TimeProvider _inner;

        public CountingTimeProvider(TimeProvider inner) => _inner = inner;

        public int TimersCreated { get; private set; }

        public TimeSpan LastDue { get; private set; } = Timeout.InfiniteTimeSpan;

        public override long TimestampFrequency => _inner.TimestampFrequency;

        public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

        public override long GetTimestamp() => _inner.GetTimestamp();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            TimersCreated++;
            return new Recording(this, _inner.CreateTimer(callback, state, dueTime, period));
        }

        private sealed class Recording : ITimer
        {
            private readonly CountingTimeProvider _owner;
            private readonly ITimer _inner;

            public Recording(CountingTimeProvider owner, ITimer inner)
            {
                _owner = owner;
                _inner = inner;
            }

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                _owner.LastDue = dueTime;
                return _inner.Change(dueTime, period);
            }

            public void Dispose() => _inner.Dispose();

            public System.Threading.Tasks.ValueTask DisposeAsync() => _inner.DisposeAsync();
        }
    }
}
