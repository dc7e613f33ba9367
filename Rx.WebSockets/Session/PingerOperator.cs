using System.Buffers.Binary;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Threading;

namespace Rx.WebSockets.Session;

/// <summary>The implementation of <see cref="KeepAlive.Pinger(IObservable{PongFrame}, TimeSpan, TimeSpan?, IScheduler, Action{TimeSpan})"/>.</summary>
internal sealed class PingerOperator : ObservableBase<PingFrame>
{
    /// <summary>The payload length: one big-endian 64-bit counter value.</summary>
    internal const int PayloadLength = sizeof(long);

    private static long s_lastPayload;

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
        var sink = new _(Observer.Synchronize(observer), _timeout, _scheduler, _onRoundTrip);
        sink.Run(_pongs, _interval);
        return sink;
    }

    private static byte[] NextPayload()
    {
        var payload = new byte[PayloadLength];
        BinaryPrimitives.WriteInt64BigEndian(payload, Interlocked.Increment(ref s_lastPayload));
        return payload;
    }

    /// <remarks>
    /// Thread-safety: ticks and deadlines run on the scheduler, pongs on the thread of their source (a session's read
    /// loop); <c>_gate</c> guards the outstanding payload and the terminal flag, and the observer is synchronized so that
    /// a pong-source error cannot overlap a ping being delivered. The round-trip callback runs outside the gate, on the
    /// pong's thread.
    /// </remarks>
    private sealed class _ : IDisposable
    {
        private readonly object _gate = new();
        private readonly IObserver<PingFrame> _observer;
        private readonly TimeSpan? _timeout;
        private readonly IScheduler _scheduler;
        private readonly Action<TimeSpan>? _onRoundTrip;
        private readonly SerialDisposable _deadline = new();
        private readonly CompositeDisposable _subscriptions = new();
        private byte[]? _outstanding;
        private IStopwatch? _sentAt;
        private bool _done;

        public _(IObserver<PingFrame> observer, TimeSpan? timeout, IScheduler scheduler, Action<TimeSpan>? onRoundTrip)
        {
            _observer = observer;
            _timeout = timeout;
            _scheduler = scheduler;
            _onRoundTrip = onRoundTrip;
        }

        public void Run(IObservable<PongFrame> pongs, TimeSpan interval)
        {
            _subscriptions.Add(_deadline);
            _subscriptions.Add(pongs.Subscribe(OnPong, OnPongsError, OnPongsCompleted));
            _subscriptions.Add(Observable.Interval(interval, _scheduler).Subscribe(_ => OnTick()));
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _done = true;
                _outstanding = null;
            }

            _subscriptions.Dispose();
        }

        private void OnTick()
        {
            byte[] payload;
            lock (_gate)
            {
                // A tick inside the wait for the previous pong is skipped: one outstanding ping at a time.
                if (_done || _outstanding is not null)
                {
                    return;
                }

                payload = NextPayload();
                _outstanding = payload;
                // The scheduler's stopwatch: monotonic on real schedulers, virtual time on a TestScheduler. Started before
                // the ping leaves, like the deadline, so a pong delivered synchronously during OnNext finds it.
                _sentAt = _onRoundTrip is null ? null : _scheduler.StartStopwatch();

                // The deadline is armed before the ping leaves, so a pong delivered synchronously during OnNext finds it;
                // it is swapped under the gate so that a pong for the previous ping cannot cancel this ping's deadline.
                if (_timeout is { } timeout)
                {
                    _deadline.Disposable = Observable.Timer(timeout, _scheduler).Subscribe(_ => OnDeadline(payload));
                }
            }

            _observer.OnNext(Frame.Ping(payload));
        }

        private void OnPong(PongFrame pong)
        {
            TimeSpan? roundTrip;
            lock (_gate)
            {
                if (_outstanding is null || !pong.Payload.Span.SequenceEqual(_outstanding))
                {
                    return; // unsolicited or stale: RFC 6455 §5.5.3 "A response to an unsolicited Pong frame is not expected."
                }

                _outstanding = null;
                _deadline.Disposable = Disposable.Empty;
                roundTrip = _sentAt?.Elapsed;
                _sentAt = null;
            }

            if (roundTrip is { } elapsed)
            {
                _onRoundTrip!(elapsed);
            }
        }

        private void OnDeadline(byte[] payload)
        {
            lock (_gate)
            {
                // The pong may have won the race with the timer: only the deadline of the ping still outstanding fires.
                if (_done || !ReferenceEquals(_outstanding, payload))
                {
                    return;
                }

                _done = true;
            }

            _observer.OnError(new PingTimeoutException(_timeout ?? TimeSpan.Zero));
            _subscriptions.Dispose();
        }

        private void OnPongsError(Exception error)
        {
            if (TryTerminate())
            {
                _observer.OnError(error);
                _subscriptions.Dispose();
            }
        }

        private void OnPongsCompleted()
        {
            if (TryTerminate())
            {
                _observer.OnCompleted();
                _subscriptions.Dispose();
            }
        }

        private bool TryTerminate()
        {
            lock (_gate)
            {
                if (_done)
                {
                    return false;
                }

                _done = true;
                _outstanding = null;
                return true;
            }
        }
    }
}
