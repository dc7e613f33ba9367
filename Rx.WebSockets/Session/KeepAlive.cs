using System.Reactive.Concurrency;

namespace Rx.WebSockets.Session;

/// <summary>
/// The keep-alive operators of a WebSocket session (Ktor's <c>pinger</c> and <c>ponger</c>) as Rx operators: each is
/// a pure function of an observable of control frames, with every timer on an <see cref="IScheduler"/>.
/// </summary>
/// <remarks>
/// <para>
/// The default session wires them as RFC 6455 §5.5.2–5.5.3 ask: the peer's pings go through <see cref="Ponger"/> and
/// the pongs it produces are written ahead of queued data frames; the peer's pongs go through <see cref="Pinger(IObservable{PongFrame}, TimeSpan, TimeSpan?, IScheduler)"/>
/// and its pings are written the same way; a <see cref="PingTimeoutException"/> closes the session with 1011
/// "Ping timeout". Applications that take a raw session can wire them themselves.
/// </para>
/// <para>
/// Buffer pools: unlike Ktor, these operators take no pool. Frames own their payload (so observers may keep them),
/// which forbids returning a pooled buffer while a frame may still be referenced; a pong shares its ping's payload
/// memory (no copy) and a ping's payload is an 8-byte counter, so there is nothing left to pool.
/// </para>
/// </remarks>
public static class KeepAlive
{
    #region + Pinger +

    /// <summary>
    /// Sends a Ping every <paramref name="interval"/> and checks that the Pong with exactly its payload arrives within
    /// <paramref name="timeout"/>.
    /// </summary>
    /// <param name="pongs">The pongs received from the peer.</param>
    /// <param name="interval">The ping period.</param>
    /// <param name="timeout">How long to wait for the matching pong; <see langword="null"/> waits forever.</param>
    /// <param name="scheduler">The scheduler that runs the period and the timeout.</param>
    /// <returns>The pings to send. It errors with <see cref="PingTimeoutException"/> when a pong is late, errors when
    /// <paramref name="pongs"/> errors, and completes when <paramref name="pongs"/> completes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pongs"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is zero or negative, or <paramref name="timeout"/> is negative.</exception>
    /// <exception cref="PingTimeoutException">(Asynchronous) No pong with the outstanding ping's payload arrived within <paramref name="timeout"/>.</exception>
    /// <remarks>
    /// <para>
    /// Timing: the first ping is sent one <paramref name="interval"/> after subscription and the following ones exactly
    /// every <paramref name="interval"/> (a fixed rate, not Ktor's "period plus round trip"). While a ping is outstanding
    /// no new one is sent: a tick that falls inside the wait is skipped, so a slow peer is never flooded. A timeout of
    /// <see cref="TimeSpan.Zero"/> expires as soon as the scheduler runs due work, so only a pong delivered during the
    /// ping's OnNext can meet it.
    /// </para>
    /// <para>
    /// Payloads: each ping carries an 8-byte big-endian number from a process-wide counter, so no two pings — of this
    /// subscription, of an earlier subscription of the same session (the session resubscribes when its interval changes)
    /// or of another session — share a payload, and a late pong for an earlier ping cannot satisfy a later one. Only the
    /// pong whose payload equals the outstanding ping's counts; unsolicited pongs (RFC 6455 §5.5.3) and stale ones are
    /// ignored.
    /// </para>
    /// </remarks>
    public static IObservable<PingFrame> Pinger(IObservable<PongFrame> pongs, TimeSpan interval, TimeSpan? timeout, IScheduler scheduler)
    {
        CheckPingerArguments(pongs, interval, timeout, scheduler);
        return new PingerOperator(pongs, interval, timeout, scheduler, onRoundTrip: null);
    }

    /// <summary>
    /// Sends a Ping every <paramref name="interval"/>, checks that the Pong with exactly its payload arrives within
    /// <paramref name="timeout"/>, and reports each answered ping's round trip to <paramref name="onRoundTrip"/>.
    /// </summary>
    /// <param name="pongs">The pongs received from the peer.</param>
    /// <param name="interval">The ping period.</param>
    /// <param name="timeout">How long to wait for the matching pong; <see langword="null"/> waits forever.</param>
    /// <param name="scheduler">The scheduler that runs the period and the timeout, and whose clock measures round trips.</param>
    /// <param name="onRoundTrip">Called with the time from a ping being sent to the arrival of the pong that matches it.</param>
    /// <returns>The pings to send (see <see cref="Pinger(IObservable{PongFrame}, TimeSpan, TimeSpan?, IScheduler)"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pongs"/>, <paramref name="scheduler"/> or <paramref name="onRoundTrip"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is zero or negative, or <paramref name="timeout"/> is negative.</exception>
    /// <exception cref="PingTimeoutException">(Asynchronous) No pong with the outstanding ping's payload arrived within <paramref name="timeout"/>.</exception>
    /// <remarks>
    /// <para>
    /// A round trip runs from the moment the ping is handed to the subscriber (before its OnNext) to the moment the
    /// matching pong arrives from <paramref name="pongs"/>, measured with <paramref name="scheduler"/>'s stopwatch
    /// (<see cref="Scheduler.StartStopwatch(IScheduler)"/>): monotonic on the real schedulers, virtual time on a
    /// TestScheduler, so tests see exact values. It therefore includes the time the ping waited in the sender's queue.
    /// </para>
    /// <para>
    /// Only matched pongs are reported, at most one per ping; unsolicited and stale pongs, and pings that time out, report
    /// nothing. <paramref name="onRoundTrip"/> runs synchronously on the thread that delivered the pong (a session's read
    /// loop), outside the operator's lock; an exception it throws propagates to the pongs' source.
    /// </para>
    /// </remarks>
    public static IObservable<PingFrame> Pinger(IObservable<PongFrame> pongs, TimeSpan interval, TimeSpan? timeout, IScheduler scheduler, Action<TimeSpan> onRoundTrip)
    {
        CheckPingerArguments(pongs, interval, timeout, scheduler);
        ArgumentNullException.ThrowIfNull(onRoundTrip);
        return new PingerOperator(pongs, interval, timeout, scheduler, onRoundTrip);
    }

    /// <summary>
    /// Sends a Ping every <paramref name="interval"/> on <see cref="Scheduler.Default"/> and checks that the Pong with
    /// exactly its payload arrives within <paramref name="timeout"/>.
    /// </summary>
    /// <param name="pongs">The pongs received from the peer.</param>
    /// <param name="interval">The ping period.</param>
    /// <param name="timeout">How long to wait for the matching pong; <see langword="null"/> waits forever.</param>
    /// <returns>The pings to send (see <see cref="Pinger(IObservable{PongFrame}, TimeSpan, TimeSpan?, IScheduler)"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pongs"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is zero or negative, or <paramref name="timeout"/> is negative.</exception>
    /// <exception cref="PingTimeoutException">(Asynchronous) No matching pong arrived within <paramref name="timeout"/>.</exception>
    public static IObservable<PingFrame> Pinger(IObservable<PongFrame> pongs, TimeSpan interval, TimeSpan? timeout) =>
        Pinger(pongs, interval, timeout, Scheduler.Default);

    /// <summary>
    /// Sends a Ping every <paramref name="intervalMillis"/> milliseconds and checks that the Pong with exactly its payload
    /// arrives within <paramref name="timeoutMillis"/> (Ktor's <c>pinger(outgoing, periodMillis, timeoutMillis)</c>).
    /// </summary>
    /// <param name="pongs">The pongs received from the peer.</param>
    /// <param name="intervalMillis">The ping period in milliseconds.</param>
    /// <param name="timeoutMillis">The pong timeout in milliseconds; <see cref="System.Threading.Timeout.Infinite"/> (-1) waits forever.</param>
    /// <param name="scheduler">The scheduler that runs the period and the timeout.</param>
    /// <returns>The pings to send (see <see cref="Pinger(IObservable{PongFrame}, TimeSpan, TimeSpan?, IScheduler)"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pongs"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="intervalMillis"/> is zero or negative, or <paramref name="timeoutMillis"/> is below -1.</exception>
    /// <exception cref="PingTimeoutException">(Asynchronous) No matching pong arrived within the timeout.</exception>
    public static IObservable<PingFrame> Pinger(IObservable<PongFrame> pongs, long intervalMillis, long timeoutMillis, IScheduler scheduler)
    {
        if (intervalMillis <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(intervalMillis), intervalMillis, "The ping interval must be positive.");
        }

        if (timeoutMillis < System.Threading.Timeout.Infinite)
        {
            throw new ArgumentOutOfRangeException(nameof(timeoutMillis), timeoutMillis, "The ping timeout must be -1 (infinite) or not negative.");
        }

        TimeSpan? timeout = timeoutMillis == System.Threading.Timeout.Infinite ? null : TimeSpan.FromMilliseconds(timeoutMillis);
        return Pinger(pongs, TimeSpan.FromMilliseconds(intervalMillis), timeout, scheduler);
    }

    /// <summary>
    /// Sends a Ping every <paramref name="intervalMillis"/> milliseconds on <see cref="Scheduler.Default"/> and checks that
    /// the Pong with exactly its payload arrives within <paramref name="timeoutMillis"/>.
    /// </summary>
    /// <param name="pongs">The pongs received from the peer.</param>
    /// <param name="intervalMillis">The ping period in milliseconds.</param>
    /// <param name="timeoutMillis">The pong timeout in milliseconds; -1 waits forever.</param>
    /// <returns>The pings to send (see <see cref="Pinger(IObservable{PongFrame}, TimeSpan, TimeSpan?, IScheduler)"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pongs"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="intervalMillis"/> is zero or negative, or <paramref name="timeoutMillis"/> is below -1.</exception>
    /// <exception cref="PingTimeoutException">(Asynchronous) No matching pong arrived within the timeout.</exception>
    public static IObservable<PingFrame> Pinger(IObservable<PongFrame> pongs, long intervalMillis, long timeoutMillis) =>
        Pinger(pongs, intervalMillis, timeoutMillis, Scheduler.Default);

    private static void CheckPingerArguments(IObservable<PongFrame> pongs, TimeSpan interval, TimeSpan? timeout, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(pongs);
        ArgumentNullException.ThrowIfNull(scheduler);
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "The ping interval must be positive.");
        }

        if (timeout is { } t && t < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The ping timeout must not be negative.");
        }
    }

    #endregion

    #region + Ponger +

    /// <summary>
    /// Answers every Ping with a Pong carrying the same payload (RFC 6455 §5.5.3: "A Pong frame sent in response to a Ping
    /// frame must have identical 'Application data' as found in the message body of the Ping frame being replied to").
    /// </summary>
    /// <param name="pings">The pings received from the peer.</param>
    /// <returns>One pong per ping, in order, synchronously on the thread that delivered the ping; it completes or errors
    /// when <paramref name="pings"/> does.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pings"/> is null.</exception>
    /// <remarks>
    /// The pong shares the ping's payload memory: frames own immutable payloads, so no copy is needed. Nothing here is
    /// time-dependent, so the operator takes no scheduler; sending the pongs ahead of data frames is the session's job.
    /// </remarks>
    public static IObservable<PongFrame> Ponger(IObservable<PingFrame> pings)
    {
        ArgumentNullException.ThrowIfNull(pings);
        return new PongerOperator(pings);
    }

    #endregion
}
