using System.Buffers.Binary;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Threading;

namespace Rx.WebSockets.Session;

/// <summary>The implementation of <see cref="KeepAlive.Pinger(IObservable{PongFrame}, TimeSpan, TimeSpan?, IScheduler, Action{TimeSpan})"/>.</summary>
internal sealed class PingerOperator : ObservableBase<PingFrame>
{
    /// <summary>The payload length: one big-endian 64-bit counter value.</summary>
    internal const int PayloadLength = sizeof(long);

    private readonly IObservable<PongFrame> _pongs;
    private readonly TimeSpan _interval;
    private readonly TimeSpan? _timeout;
    private readonly IScheduler _scheduler;
    private readonly Action<TimeSpan>? _onRoundTrip;

    public PingerOperator(IObservable<PongFrame> pongs, TimeSpan interval, TimeSpan? timeout, IScheduler scheduler, Action<TimeSpan>? onRoundTrip)
    {
        _pongs = pongs;
        _interval = interval;
        _timeout = timeout;
        _scheduler = scheduler;
        _onRoundTrip = onRoundTrip;
    }

    protected override IDisposable SubscribeCore(IObserver<PingFrame> observer)
    {
        var sink = new _(Observer.Synchronize(observer), _onRoundTrip);
        sink.Run(_pongs, _interval, _timeout, _scheduler);
        return sink;
    }

    /// <summary>Adapts the pinger to an observer: pings go to OnNext, a timeout to OnError, the pongs' end to its end.</summary>
    /// <remarks>
    /// Thread-safety: the observer is synchronized, so that a pong-source error cannot overlap a ping being delivered;
    /// <see cref="Pinger.TryStop"/> decides the single terminal notification.
    /// </remarks>
    private sealed class _ : IPingerHost, IDisposable
    {
        private readonly IObserver<PingFrame> _observer;
        private readonly Action<TimeSpan>? _onRoundTrip;
        private readonly SingleAssignmentDisposable _pongSubscription = new();
        private Pinger? _pinger;

        public _(IObserver<PingFrame> observer, Action<TimeSpan>? onRoundTrip)
        {
            _observer = observer;
            _onRoundTrip = onRoundTrip;
        }

        public void Run(IObservable<PongFrame> pongs, TimeSpan interval, TimeSpan? timeout, IScheduler scheduler)
        {
            var pinger = new Pinger(this, interval, timeout, scheduler, measureRoundTrips: _onRoundTrip is not null);
            _pinger = pinger;
            _pongSubscription.Disposable = pongs.Subscribe(pinger.OnPong, OnPongsError, OnPongsCompleted);
            pinger.Start();
        }

        public void Dispose()
        {
            _pinger?.Dispose();
            _pongSubscription.Dispose();
        }

        void IPingerHost.OnPing(PingFrame ping) => _observer.OnNext(ping);

        void IPingerHost.OnPingTimeout(PingTimeoutException error)
        {
            _observer.OnError(error);
            _pongSubscription.Dispose();
        }

        void IPingerHost.OnRoundTrip(TimeSpan roundTrip) => _onRoundTrip?.Invoke(roundTrip);

        private void OnPongsError(Exception error)
        {
            if (_pinger!.TryStop())
            {
                _observer.OnError(error);
                _pongSubscription.Dispose();
            }
        }

        private void OnPongsCompleted()
        {
            if (_pinger!.TryStop())
            {
                _observer.OnCompleted();
                _pongSubscription.Dispose();
            }
        }
    }
}

/// <summary>What a <see cref="Pinger"/> reports to its owner (a session, or the <see cref="KeepAlive"/> operator).</summary>
internal interface IPingerHost
{
    /// <summary>A ping to send; called on the scheduler, outside the pinger's lock.</summary>
    void OnPing(PingFrame ping);

    /// <summary>The outstanding ping was not answered in time; called once, on the scheduler, after the pinger stopped.</summary>
    void OnPingTimeout(PingTimeoutException error);

    /// <summary>A matched pong's round trip; called on the pong's thread, outside the pinger's lock.</summary>
    void OnRoundTrip(TimeSpan roundTrip);
}

/// <summary>
/// The pinger's state machine without any Rx plumbing: one object per session holding the outstanding payload, and two
/// items on the <see cref="IScheduler"/> — the next tick and, while a ping is outstanding, its deadline.
/// </summary>
/// <remarks>
/// <para>
/// Timing: ticks are due at exact multiples of the interval from <see cref="Start"/>, measured on the scheduler's
/// stopwatch (virtual time on a TestScheduler), so a late tick does not delay the following ones (a fixed rate, as
/// <c>Observable.Interval</c>); ticks missed altogether (a stalled machine) are skipped, not bunched. A tick while a
/// ping is outstanding sends nothing.
/// </para>
/// <para>
/// Thread-safety: ticks and deadlines run on the scheduler, <see cref="OnPong"/> on the pongs' thread (a session's read
/// loop), <see cref="Dispose"/> anywhere; the lock (on this object, which is never handed to application code) guards
/// the outstanding payload, the timers and the terminal flag. Host callbacks run outside it.
/// </para>
/// </remarks>
internal sealed class Pinger : IDisposable
{
    private static long s_lastPayload;

    private readonly IPingerHost _host;
    private readonly TimeSpan _interval;
    private readonly TimeSpan? _timeout;
    private readonly IScheduler _scheduler;
    private readonly bool _measureRoundTrips;
    private IStopwatch? _clock;
    private long _ticks;
    private IDisposable? _nextTick;
    private IDisposable? _deadline;
    private byte[]? _outstanding;
    private TimeSpan _sentAt;
    private bool _done;

    public Pinger(IPingerHost host, TimeSpan interval, TimeSpan? timeout, IScheduler scheduler, bool measureRoundTrips)
    {
        _host = host;
        _interval = interval;
        _timeout = timeout;
        _scheduler = scheduler;
        _measureRoundTrips = measureRoundTrips;
    }

    /// <summary>Arms the first tick, one interval from now.</summary>
    public void Start()
    {
        lock (this)
        {
            if (_done || _clock is not null)
            {
                return;
            }

            _clock = _scheduler.StartStopwatch();
            _nextTick = _scheduler.Schedule(this, _interval, static (_, self) => self.OnTick());
        }
    }

    /// <summary>Feeds a pong received from the peer.</summary>
    public void OnPong(PongFrame pong)
    {
        TimeSpan roundTrip;
        IDisposable? deadline;
        lock (this)
        {
            if (_outstanding is null || !pong.Payload.Span.SequenceEqual(_outstanding))
            {
                return; // unsolicited or stale: RFC 6455 §5.5.3 "A response to an unsolicited Pong frame is not expected."
            }

            _outstanding = null;
            deadline = _deadline;
            _deadline = null;
            roundTrip = _measureRoundTrips ? _clock!.Elapsed - _sentAt : default;
        }

        deadline?.Dispose();
        if (_measureRoundTrips)
        {
            _host.OnRoundTrip(roundTrip);
        }
    }

    /// <summary>Stops the pinger without telling the host; false when it had already stopped (or timed out).</summary>
    public bool TryStop()
    {
        IDisposable? tick, deadline;
        lock (this)
        {
            if (_done)
            {
                return false;
            }

            _done = true;
            _outstanding = null;
            tick = _nextTick;
            deadline = _deadline;
            _nextTick = _deadline = null;
        }

        tick?.Dispose();
        deadline?.Dispose();
        return true;
    }

    public void Dispose() => TryStop();

    private static byte[] NextPayload()
    {
        var payload = new byte[PingerOperator.PayloadLength];
        BinaryPrimitives.WriteInt64BigEndian(payload, Interlocked.Increment(ref s_lastPayload));
        return payload;
    }

    private IDisposable OnTick()
    {
        byte[]? payload = null;
        lock (this)
        {
            if (_done)
            {
                return Disposable.Empty;
            }

            // A tick inside the wait for the previous pong is skipped: one outstanding ping at a time.
            if (_outstanding is null)
            {
                payload = NextPayload();
                _outstanding = payload;
                // Started before the ping leaves, like the deadline, so a pong delivered synchronously during OnPing finds it.
                _sentAt = _measureRoundTrips ? _clock!.Elapsed : default;

                // The deadline is armed before the ping leaves, so a pong delivered synchronously during OnPing finds it;
                // it is swapped under the lock so that a pong for the previous ping cannot cancel this ping's deadline.
                if (_timeout is { } timeout)
                {
                    _deadline = _scheduler.Schedule((Pinger: this, Payload: payload), timeout, static (_, s) => s.Pinger.OnDeadline(s.Payload));
                }
            }

            // The next tick falls on the next multiple of the interval that is still ahead.
            var elapsed = _clock!.Elapsed;
            _ticks = Math.Max(_ticks + 1, elapsed.Ticks / _interval.Ticks);
            var next = TimeSpan.FromTicks((_ticks + 1) * _interval.Ticks) - elapsed;
            _nextTick = _scheduler.Schedule(this, next, static (_, self) => self.OnTick());
        }

        if (payload is not null)
        {
            _host.OnPing(Frame.Ping(payload));
        }

        return Disposable.Empty;
    }

    private IDisposable OnDeadline(byte[] payload)
    {
        IDisposable? tick;
        lock (this)
        {
            // The pong may have won the race with the timer: only the deadline of the ping still outstanding fires.
            if (_done || !ReferenceEquals(_outstanding, payload))
            {
                return Disposable.Empty;
            }

            _done = true;
            _outstanding = null;
            _deadline = null;
            tick = _nextTick;
            _nextTick = null;
        }

        tick?.Dispose();
        _host.OnPingTimeout(new PingTimeoutException(_timeout ?? TimeSpan.Zero));
        return Disposable.Empty;
    }
}
