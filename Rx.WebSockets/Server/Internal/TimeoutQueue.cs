using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// Many timeouts on one timer (Ktor's <c>WeakTimeoutQueue</c>, Kestrel's heartbeat): a server with thousands of
/// connections arms one <see cref="ITimer"/> instead of one per connection.
/// </summary>
/// <remarks>
/// <para>
/// Timeouts are grouped in lanes, one per duration. Every deadline in a lane is "the moment it was started plus the
/// lane's duration", and the clock is monotonic, so appending at the tail keeps a lane sorted: starting, restarting
/// and stopping a timeout are O(1) list operations, and expiry only looks at lane heads. The server uses a handful
/// of durations (idle, request head, lingering close), so the number of lanes stays small.
/// </para>
/// <para>
/// The timer is armed for the earliest head deadline, rounded up to a multiple of the resolution so that deadlines
/// close together expire in one tick; a timeout therefore fires between its deadline and one resolution later.
/// Stopping the timeout the timer is armed for moves the timer to the next deadline, and the timer is left unarmed
/// while no timeout is running.
/// </para>
/// <para>
/// Thread-safety: every member may be called from any thread; one lock guards the lanes. Callbacks run outside
/// the lock, on the timer's thread (with <c>FakeTimeProvider</c>, on the thread that advances time), and must not
/// throw.
/// </para>
/// </remarks>
internal sealed class TimeoutQueue : IDisposable
{
    private readonly TimeProvider _time;
    private readonly long _resolution;
    private readonly ITimer _timer;
    private readonly object _gate = new();
    private readonly object _armGate = new();
    private readonly List<Lane> _lanes = new();
    private long _armedFor = long.MaxValue;
    private bool _disposed;

    /// <summary>Creates a queue.</summary>
    /// <param name="time">The clock and timer source.</param>
    /// <param name="resolution">How late a timeout may fire, at most; deadlines are grouped to this granularity.</param>
    public TimeoutQueue(TimeProvider time, TimeSpan resolution)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(resolution, TimeSpan.Zero);
        _time = time;
        _resolution = Math.Max(1, ToTimestampUnits(resolution));
        _timer = time.CreateTimer(static s => ((TimeoutQueue)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Creates a stopped timeout; <see cref="TimeoutHandle.Start"/> runs it.</summary>
    /// <param name="timeout">How long after each start the callback runs; <see cref="Timeout.InfiniteTimeSpan"/> never fires.</param>
    /// <param name="callback">What to run when the timeout expires; it receives <paramref name="state"/>.</param>
    /// <param name="state">The callback's argument.</param>
    /// <returns>The handle used to start, restart and stop the timeout.</returns>
    public TimeoutHandle Create(TimeSpan timeout, Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        }

        Lane? lane = null;
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            lock (_gate)
            {
                lane = _lanes.Find(l => l.Duration == timeout);
                if (lane is null)
                {
                    lane = new Lane(timeout, ToTimestampUnits(timeout));
                    _lanes.Add(lane);
                }
            }
        }

        return new TimeoutHandle(this, lane, callback, state);
    }

    /// <summary>Stops the timer; running timeouts never fire afterwards and starting one does nothing.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var lane in _lanes)
            {
                while (lane.Head is { } head)
                {
                    lane.Unlink(head);
                }
            }
        }

        lock (_armGate)
        {
            _timer.Dispose();
        }
    }

    internal void Start(TimeoutHandle handle)
    {
        if (handle.Lane is not { } lane)
        {
            return;
        }

        long deadline = _time.GetTimestamp() + lane.DurationUnits;
        bool rearm = false;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (handle.IsLinked)
            {
                lane.Unlink(handle);
            }

            handle.Deadline = deadline;
            lane.Append(handle);
            long fireAt = RoundUp(deadline);
            if (fireAt < _armedFor)
            {
                _armedFor = fireAt;
                rearm = true;
            }
        }

        if (rearm)
        {
            Arm();
        }
    }

    internal bool Stop(TimeoutHandle handle)
    {
        bool rearm = false;
        lock (_gate)
        {
            if (!handle.IsLinked)
            {
                return false;
            }

            handle.Lane!.Unlink(handle);
            if (RoundUp(handle.Deadline) == _armedFor)
            {
                // The timer was armed for this deadline: move it to the next one (or disarm), so that an idle queue
                // holds no pending timer and the next start arms it afresh.
                long next = NextFireTimeLocked();
                if (next != _armedFor)
                {
                    _armedFor = next;
                    rearm = true;
                }
            }
        }

        if (rearm)
        {
            Arm();
        }

        return true;
    }

    private void OnTimer()
    {
        List<TimeoutHandle>? expired = null;
        long now = _time.GetTimestamp();
        long next;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            foreach (var lane in _lanes)
            {
                while (lane.Head is { } head && head.Deadline <= now)
                {
                    lane.Unlink(head);
                    (expired ??= new List<TimeoutHandle>()).Add(head);
                }
            }

            next = NextFireTimeLocked();
            _armedFor = next;
        }

        if (next != long.MaxValue)
        {
            Arm();
        }

        if (expired is null)
        {
            return;
        }

        foreach (var handle in expired)
        {
            try
            {
                handle.Callback(handle.State);
            }
            catch (Exception e)
            {
                // A throwing callback must not stop the others from firing; callbacks are internal and should not throw.
                Debug.Fail($"Timeout callback threw: {e}");
            }
        }
    }

    // Threads that lower _armedFor each call Arm afterwards, and Arm reads the latest value under _armGate, so the
    // last Change made always reflects the earliest pending deadline even when two threads race.
    private void Arm()
    {
        lock (_armGate)
        {
            long target;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                target = _armedFor;
            }

            if (target == long.MaxValue)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                return;
            }

            long now = _time.GetTimestamp();
            var due = target <= now ? TimeSpan.Zero : _time.GetElapsedTime(now, target);
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private long NextFireTimeLocked()
    {
        long next = long.MaxValue;
        foreach (var lane in _lanes)
        {
            if (lane.Head is { } head)
            {
                next = Math.Min(next, RoundUp(head.Deadline));
            }
        }

        return next;
    }

    private long RoundUp(long timestamp)
    {
        long remainder = timestamp % _resolution;
        return remainder == 0 ? timestamp : timestamp - remainder + _resolution;
    }

    private long ToTimestampUnits(TimeSpan span)
    {
        double units = span.TotalSeconds * _time.TimestampFrequency;
        // Clamp so that "now + duration" cannot overflow for absurdly long timeouts.
        return units >= long.MaxValue / 4 ? long.MaxValue / 4 : (long)Math.Ceiling(units);
    }

    /// <summary>A FIFO of running timeouts that share one duration, hence ordered by deadline.</summary>
    internal sealed class Lane
    {
        public Lane(TimeSpan duration, long durationUnits)
        {
            Duration = duration;
            DurationUnits = durationUnits;
        }

        public TimeSpan Duration { get; }

        public long DurationUnits { get; }

        public TimeoutHandle? Head { get; private set; }

        private TimeoutHandle? Tail { get; set; }

        public void Append(TimeoutHandle handle)
        {
            Debug.Assert(!handle.IsLinked, "a handle is in at most one position of its lane");
            handle.Previous = Tail;
            handle.Next = null;
            if (Tail is null)
            {
                Head = handle;
            }
            else
            {
                Tail.Next = handle;
            }

            Tail = handle;
            handle.IsLinked = true;
        }

        public void Unlink(TimeoutHandle handle)
        {
            Debug.Assert(handle.IsLinked, "only linked handles are unlinked");
            if (handle.Previous is null)
            {
                Head = handle.Next;
            }
            else
            {
                handle.Previous.Next = handle.Next;
            }

            if (handle.Next is null)
            {
                Tail = handle.Previous;
            }
            else
            {
                handle.Next.Previous = handle.Previous;
            }

            handle.Previous = null;
            handle.Next = null;
            handle.IsLinked = false;
        }
    }
}

/// <summary>One reusable timeout of a <see cref="TimeoutQueue"/>: a node of its lane's list.</summary>
/// <remarks>Thread-safety: <see cref="Start"/> and <see cref="Stop"/> may be called from any thread.</remarks>
internal sealed class TimeoutHandle
{
    private readonly TimeoutQueue _queue;

    internal TimeoutHandle(TimeoutQueue queue, TimeoutQueue.Lane? lane, Action<object?> callback, object? state)
    {
        _queue = queue;
        Lane = lane;
        Callback = callback;
        State = state;
    }

    /// <summary>The duration after each start; <see cref="Timeout.InfiniteTimeSpan"/> when the timeout never fires.</summary>
    public TimeSpan Duration => Lane?.Duration ?? Timeout.InfiniteTimeSpan;

    internal TimeoutQueue.Lane? Lane { get; }

    internal Action<object?> Callback { get; }

    internal object? State { get; }

    // The fields below are guarded by the queue's lock.
    internal long Deadline { get; set; }

    internal bool IsLinked { get; set; }

    internal TimeoutHandle? Previous { get; set; }

    internal TimeoutHandle? Next { get; set; }

    /// <summary>Starts the timeout now, or restarts it if it is running: it fires <see cref="Duration"/> from now.</summary>
    public void Start() => _queue.Start(this);

    /// <summary>Stops the timeout.</summary>
    /// <returns>
    /// <see langword="true"/> when it was running and its callback will not run for that start;
    /// <see langword="false"/> when it was not running or has already expired (its callback runs or has run).
    /// </returns>
    public bool Stop() => _queue.Stop(this);
}
