using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Threading;

namespace Rx.WebSockets.Session;

/// <summary>
/// One timer for every session of the process: an <see cref="IScheduler"/> whose delayed work waits in a single
/// min-heap driven by one <see cref="ITimer"/>, instead of one <see cref="System.Threading.Timer"/> per scheduled item
/// as on <see cref="Scheduler.Default"/>. Sessions use it for their pinger and close timeout when the application gave
/// them <see cref="Scheduler.Default"/> (issue 6: idle connections by the ten thousand, each with a ping period and a
/// pong deadline armed).
/// </summary>
/// <remarks>
/// <para>
/// Due times are rounded up to a multiple of the resolution, so items due close together fire together and the timer
/// wakes at most once per resolution step however many sessions there are. Work never runs early; it may run up to one
/// resolution step (plus the timer's own lateness) late, which keep-alive and close timeouts of seconds do not notice.
/// </para>
/// <para>
/// Memory: a scheduled item is one small object (its state, its action, its due time, its heap index), which is also
/// the <see cref="IDisposable"/> that cancels it; cancelling removes it from the heap at once, so a pong deadline that
/// was met leaves nothing behind.
/// </para>
/// <para>
/// Thread-safety: any thread. <c>_gate</c> guards the heap and the armed time; work runs outside it, on the thread pool
/// (or, for deterministic tests, inline on the timer's callback).
/// </para>
/// </remarks>
internal sealed class SharedTimerScheduler : LocalScheduler
{
    /// <summary>The default rounding of due times: the system timer's own granularity.</summary>
    /// <remarks>
    /// Not coarser on purpose. Items that fall due together run together, and sessions pinged in the same instant each
    /// rent an output block at once: with 16 ms steps (about 45 sessions per step when 2,500 sessions open per second) the
    /// shared array pool overflowed, and every session's socket kept its own 4 KiB block referenced after its ping (the
    /// send's SocketAsyncEventArgs holds the last buffer it sent): 0.54 blocks per idle session in a heap dump of the
    /// hold benchmark, 0.23 with 4 ms steps, 0.07 with 1 ms (a timer per session: 0.05). The heap still replaces one
    /// timer per session, and the timer wakes once per step whatever number of items are due in it.
    /// </remarks>
    public static readonly TimeSpan DefaultResolution = TimeSpan.FromMilliseconds(1);

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly long _resolution;
    private readonly bool _runOnThreadPool;
    private readonly ITimer _timer;
    private Entry[] _heap = new Entry[16];
    private int _count;

    // The timestamp the timer is armed for; long.MaxValue when it is not armed.
    private long _armedFor = long.MaxValue;

    /// <summary>Creates a scheduler on <paramref name="time"/>'s clock and timers.</summary>
    /// <param name="time">The clock and the timer factory (a FakeTimeProvider in tests).</param>
    /// <param name="resolution">Due times are rounded up to a multiple of this.</param>
    /// <param name="runOnThreadPool">True: due work runs on the thread pool; false: inline on the timer's callback.</param>
    public SharedTimerScheduler(TimeProvider time, TimeSpan resolution, bool runOnThreadPool)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(resolution, TimeSpan.Zero);
        _time = time;
        _resolution = Math.Max(1, (long)(resolution.TotalSeconds * time.TimestampFrequency));
        _runOnThreadPool = runOnThreadPool;
        _timer = time.CreateTimer(static s => ((SharedTimerScheduler)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The process-wide instance: the system clock, <see cref="DefaultResolution"/>, work on the thread pool.</summary>
    public static SharedTimerScheduler Instance { get; } = new(TimeProvider.System, DefaultResolution, runOnThreadPool: true);

    /// <summary>How many items wait in the heap (tests and diagnostics).</summary>
    internal int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <inheritdoc/>
    public override DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Replaces <paramref name="scheduler"/> by <see cref="Instance"/> when it is <see cref="Scheduler.Default"/>.</summary>
    /// <param name="scheduler">The scheduler an application gave a session.</param>
    /// <returns><see cref="Instance"/>, or <paramref name="scheduler"/> itself when it is any other scheduler (a TestScheduler stays).</returns>
    public static IScheduler SubstituteForDefault(IScheduler scheduler) =>
        ReferenceEquals(scheduler, DefaultScheduler.Instance) ? Instance : scheduler;

    /// <inheritdoc/>
    public override IStopwatch StartStopwatch() => new TimeProviderStopwatch(_time);

    /// <inheritdoc/>
    public override IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var entry = new Entry<TState>(this, state, action);
        if (dueTime <= TimeSpan.Zero && _runOnThreadPool)
        {
            ThreadPool.UnsafeQueueUserWorkItem(entry, preferLocal: false);
            return entry;
        }

        long now = _time.GetTimestamp();
        long delay = dueTime <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(dueTime.TotalSeconds * _time.TimestampFrequency);

        // Rounded up, never down: work may run late by up to a step, never early.
        long due = now + delay;
        long remainder = due % _resolution;
        if (remainder != 0)
        {
            due += _resolution - remainder;
        }

        entry.Due = due;
        lock (_gate)
        {
            Push(entry);
            if (due < _armedFor)
            {
                Arm(due, now);
            }
        }

        return entry;
    }

    // Under _gate, so that two threads arming for different times cannot leave the later time in force.
    private void Arm(long due, long now)
    {
        _armedFor = due;
        // Whole milliseconds, rounded up: the system timer counts milliseconds, and a timer that fires before the item is
        // due only finds nothing to do. At least one: a zero delay may fire synchronously on a fake clock, inside _gate.
        double milliseconds = Math.Max(1, Math.Ceiling(_time.GetElapsedTime(now, Math.Max(now, due)).TotalMilliseconds));
        _timer.Change(TimeSpan.FromMilliseconds(milliseconds), Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        while (true)
        {
            Entry? due = null;
            long now = _time.GetTimestamp();
            lock (_gate)
            {
                if (_count > 0 && _heap[0].Due <= now)
                {
                    due = _heap[0];
                    RemoveAt(0);
                }
                else if (_count > 0)
                {
                    Arm(_heap[0].Due, now);
                }
                else
                {
                    _armedFor = long.MaxValue;
                }
            }

            if (due is null)
            {
                return;
            }

            if (_runOnThreadPool)
            {
                ThreadPool.UnsafeQueueUserWorkItem(due, preferLocal: false);
            }
            else
            {
                due.Execute();
            }
        }
    }

    private void Remove(Entry entry)
    {
        lock (_gate)
        {
            if (entry.Index >= 0)
            {
                RemoveAt(entry.Index);
            }
        }

        // The timer stays armed for the removed item's time: it then finds nothing due and re-arms for the next.
    }

    #region + Min-heap on Due (under _gate) +

    private void Push(Entry entry)
    {
        if (_count == _heap.Length)
        {
            Array.Resize(ref _heap, _heap.Length * 2);
        }

        entry.Index = _count;
        _heap[_count++] = entry;
        SiftUp(entry.Index);
    }

    private void RemoveAt(int index)
    {
        var removed = _heap[index];
        removed.Index = -1;
        int last = --_count;
        if (index != last)
        {
            var moved = _heap[last];
            _heap[index] = moved;
            moved.Index = index;
            _heap[last] = null!;
            if (index > 0 && moved.Due < _heap[(index - 1) / 2].Due)
            {
                SiftUp(index);
            }
            else
            {
                SiftDown(index);
            }
        }
        else
        {
            _heap[last] = null!;
        }

        if (_count == 0 && _heap.Length > 16)
        {
            // Give back a heap that ten thousand sessions grew once they are gone.
            _heap = new Entry[16];
        }
    }

    private void SiftUp(int index)
    {
        var entry = _heap[index];
        while (index > 0)
        {
            int parent = (index - 1) / 2;
            var p = _heap[parent];
            if (p.Due <= entry.Due)
            {
                break;
            }

            _heap[index] = p;
            p.Index = index;
            index = parent;
        }

        _heap[index] = entry;
        entry.Index = index;
    }

    private void SiftDown(int index)
    {
        var entry = _heap[index];
        while (true)
        {
            int child = (2 * index) + 1;
            if (child >= _count)
            {
                break;
            }

            if (child + 1 < _count && _heap[child + 1].Due < _heap[child].Due)
            {
                child++;
            }

            var c = _heap[child];
            if (entry.Due <= c.Due)
            {
                break;
            }

            _heap[index] = c;
            c.Index = index;
            index = child;
        }

        _heap[index] = entry;
        entry.Index = index;
    }

    #endregion

    /// <summary>A scheduled item, and the disposable that cancels it.</summary>
    private abstract class Entry : IDisposable, IThreadPoolWorkItem
    {
        private static readonly IDisposable s_disposed = Disposable.Empty;

        private readonly SharedTimerScheduler _owner;

        // What the action returned (recursive work to cancel with this item); s_disposed once disposed.
        private IDisposable? _result;

        protected Entry(SharedTimerScheduler owner) => _owner = owner;

        /// <summary>The timestamp it is due at.</summary>
        public long Due { get; set; }

        /// <summary>Its place in the heap; -1 when it is not in it. Guarded by the owner's gate.</summary>
        public int Index { get; set; } = -1;

        protected SharedTimerScheduler Owner => _owner;

        public void Dispose()
        {
            var previous = Interlocked.Exchange(ref _result, s_disposed);
            if (previous is null)
            {
                _owner.Remove(this);
            }
            else if (!ReferenceEquals(previous, s_disposed))
            {
                previous.Dispose();
            }
        }

        public void Execute()
        {
            if (Volatile.Read(ref _result) is not null)
            {
                return; // cancelled before it ran
            }

            var result = Invoke();
            if (Interlocked.CompareExchange(ref _result, result, null) is not null)
            {
                // Cancelled while it ran: what it scheduled in turn is cancelled too.
                result.Dispose();
            }
        }

        protected abstract IDisposable Invoke();
    }

    private sealed class Entry<TState> : Entry
    {
        private readonly TState _state;
        private readonly Func<IScheduler, TState, IDisposable> _action;

        public Entry(SharedTimerScheduler owner, TState state, Func<IScheduler, TState, IDisposable> action)
            : base(owner)
        {
            _state = state;
            _action = action;
        }

        protected override IDisposable Invoke() => _action(Owner, _state) ?? Disposable.Empty;
    }

    /// <summary>A stopwatch on the provider's monotonic timestamps (virtual in tests).</summary>
    private sealed class TimeProviderStopwatch : IStopwatch
    {
        private readonly TimeProvider _time;
        private readonly long _start;

        public TimeProviderStopwatch(TimeProvider time)
        {
            _time = time;
            _start = time.GetTimestamp();
        }

        public TimeSpan Elapsed => _time.GetElapsedTime(_start);
    }
}
