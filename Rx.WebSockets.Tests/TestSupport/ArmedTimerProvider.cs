using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace Rx.WebSockets.Tests.TestSupport;

/// <summary>
/// A <see cref="FakeTimeProvider"/> wrapper that reports every timer arming, so that a test can wait until the server
/// has armed a timeout (a server arms it on its own threads) before it advances the clock. Without it, advancing
/// "too early" would move the clock before the deadline exists and the timeout would never fire.
/// </summary>
public sealed class ArmedTimerProvider : TimeProvider
{
    private readonly FakeTimeProvider _fake;
    private readonly object _gate = new();
    private readonly List<DateTimeOffset> _armed = new();
    private readonly List<(DateTimeOffset FireAt, TaskCompletionSource Signal)> _waiters = new();

    /// <summary>Wraps <paramref name="fake"/>.</summary>
    public ArmedTimerProvider(FakeTimeProvider fake) => _fake = fake;

    /// <summary>The wrapped clock, to advance.</summary>
    public FakeTimeProvider Fake => _fake;

    /// <inheritdoc/>
    public override long TimestampFrequency => _fake.TimestampFrequency;

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => _fake.LocalTimeZone;

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

    /// <inheritdoc/>
    public override long GetTimestamp() => _fake.GetTimestamp();

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ReportingTimer(this, _fake.CreateTimer(callback, state, dueTime, period));
        OnArmed(dueTime);
        return timer;
    }

    /// <summary>
    /// Completes once a timer has been armed (created or changed) to fire at <paramref name="fireAt"/> on the fake
    /// clock, including armings that happened before the call.
    /// </summary>
    public Task WaitForArmedAsync(DateTimeOffset fireAt)
    {
        lock (_gate)
        {
            if (_armed.Contains(fireAt))
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((fireAt, signal));
            return signal.Task;
        }
    }

    private void OnArmed(TimeSpan due)
    {
        if (due == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        var fireAt = _fake.GetUtcNow() + due;
        List<TaskCompletionSource>? fire = null;
        lock (_gate)
        {
            _armed.Add(fireAt);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].FireAt == fireAt)
                {
                    (fire ??= new()).Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        fire?.ForEach(s => s.TrySetResult());
    }

    private sealed class ReportingTimer : ITimer
    {
        private readonly ArmedTimerProvider _owner;
        private readonly ITimer _inner;

        public ReportingTimer(ArmedTimerProvider owner, ITimer inner)
        {
            _owner = owner;
            _inner = inner;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            bool changed = _inner.Change(dueTime, period);
            _owner.OnArmed(dueTime);
            return changed;
        }

        public void Dispose() => _inner.Dispose();

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }
}
