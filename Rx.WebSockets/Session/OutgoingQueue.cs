using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Rx.WebSockets.Session;

/// <summary>How <see cref="OutgoingQueue"/> answered an offer of a frame.</summary>
internal enum EnqueueStatus
{
    /// <summary>The frame is queued; it will be written or reported as unsent.</summary>
    Accepted,

    /// <summary>The frame waits for room (<see cref="OutgoingOverflowPolicy.Wait"/>); its task completes once written.</summary>
    Waiting,

    /// <summary>The frame would exceed the byte limit; it was not queued and counts as unsent. The session must fail with 1008.</summary>
    Overflow,

    /// <summary>The queue no longer accepts frames (the session is closing); the frame counts as unsent.</summary>
    Closed,
}

/// <summary>A frame accepted for sending, with the task that reports its fate.</summary>
/// <remarks>
/// A struct: every frame an echo or a broadcast sends passes through the queue, and a per-frame object here would be the
/// one allocation the session adds to the frame itself (issue 3). Copies are cheap and immutable.
/// </remarks>
internal readonly struct OutgoingItem
{
    public OutgoingItem(Frame frame, bool fromApplication, bool trackCompletion, bool onDataLane = false)
    {
        Frame = frame;
        FromApplication = fromApplication;
        OnDataLane = onDataLane;
        Completion = trackCompletion ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
    }

    private OutgoingItem(OutgoingItem item, bool onDataLane)
    {
        Frame = item.Frame;
        FromApplication = item.FromApplication;
        Completion = item.Completion;
        OnDataLane = onDataLane;
    }

    public Frame Frame { get; }

    /// <summary>The bytes this frame holds against the limit: its payload length (control-lane frames hold none).</summary>
    public long Size => Frame.Payload.Length;

    /// <summary>Whether the application sent it (through Outgoing or SendAsync); only those count as unsent.</summary>
    public bool FromApplication { get; }

    /// <summary>Completed when written, faulted when dropped; null for frames nobody awaits.</summary>
    public TaskCompletionSource? Completion { get; }

    /// <summary>Whether the frame went on the data lane, where its <see cref="Size"/> counts against the limit.</summary>
    public bool OnDataLane { get; }

    /// <summary>The same item, queued on the data lane.</summary>
    public OutgoingItem ToDataLane() => new(this, onDataLane: true);
}

/// <summary>
/// The outgoing buffer of a session: two lanes, bounded in bytes. The control lane (pongs, pings, failing Close frames)
/// is written before the data lane, so a keep-alive answer never waits behind megabytes of queued messages; the data lane
/// keeps the application's frames, and graceful Close frames, in order.
/// </summary>
/// <remarks>
/// <para>
/// Limit: the payload bytes queued on the data lane may not exceed <c>maxBytes</c>
/// (<see cref="FrameLimits.MaxOutgoingBufferSize"/>); a frame always fits an empty lane, so one frame larger than the limit
/// can still be sent. The control lane is bounded by construction: a new pong replaces an unsent one (RFC 6455 §5.5.3
/// allows answering only the most recent ping), the pinger has one ping outstanding, and one Close is ever sent.
/// </para>
/// <para>
/// Nothing vanishes: every frame offered is written, or its task faults with the session's
/// <see cref="ConnectionClosedException"/>, or — for frames the application gave to an observer — it is added to
/// <see cref="UnsentFrameCount"/>.
/// </para>
/// <para>
/// Thread-safety: every member is thread-safe. Any number of producers may offer frames concurrently; one consumer (the
/// write loop) calls <see cref="WaitToReadAsync"/>, <see cref="TryDequeue"/> and <see cref="OnWritten"/>, and awaits each
/// wait before it starts the next; <see cref="Seal"/> and <see cref="Abort"/> may be called from any thread. All state is
/// guarded by one lock, and task continuations run asynchronously so that none runs under it.
/// </para>
/// <para>
/// Allocations: none per frame on the paths an echo takes (<see cref="Post"/>, <see cref="TryDequeue"/>,
/// <see cref="OnWritten"/>) and none per wait: the consumer's wait is one reusable value-task source, not a new task each
/// time the write loop runs dry. <see cref="Send"/> allocates the task it returns, and a send that waits for room a node.
/// </para>
/// </remarks>
internal sealed class OutgoingQueue : IValueTaskSource<bool>
{
    private readonly object _gate = new();
    private readonly long _maxBytes;
    private readonly Queue<OutgoingItem> _control = new();
    private readonly Queue<OutgoingItem> _data = new();
    private readonly LinkedList<WaitingItem> _waiting = new();
    private OutgoingItem? _pendingPong;
    private long _queuedBytes;
    private long _inFlightBytes;
    private bool _sealed;
    private Exception? _abortedWith;
    // The consumer's wait: reset and handed out by WaitToReadAsync, completed by Signal or Abort, all under _gate.
    private ManualResetValueTaskSourceCore<bool> _readerWait = new() { RunContinuationsAsynchronously = true };
    private bool _readerWaiting;
    // The read loop holds the write side (see TryClaimWriter): wake-ups of the parked write loop wait until it lets go.
    private bool _claimed;
    // The holder has started writing (TryDequeueClaimed): from then on the claim is only given back, never taken away.
    private bool _claimWriting;
    private long _unsentFrameCount;

    public OutgoingQueue(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        _maxBytes = maxBytes;
    }

    /// <summary>Frames the application gave to an observer that were never written.</summary>
    public long UnsentFrameCount => Interlocked.Read(ref _unsentFrameCount);

    /// <summary>Payload bytes accepted on the data lane and not yet reported written (queued or being written).</summary>
    public long BufferedBytes
    {
        get
        {
            lock (_gate)
            {
                return _queuedBytes + _inFlightBytes;
            }
        }
    }

    /// <summary>Frames queued on the control lane: at most a pong, a ping and a Close, however fast the peer pings.</summary>
    public int ControlCount
    {
        get
        {
            lock (_gate)
            {
                return _control.Count;
            }
        }
    }

    /// <summary>Whether new data-lane frames are refused (a Close is queued or the queue was aborted).</summary>
    public bool IsSealed
    {
        get
        {
            lock (_gate)
            {
                return _sealed;
            }
        }
    }

    /// <summary>Offers an application frame from an observer: never blocks, never waits.</summary>
    public EnqueueStatus Post(Frame frame)
    {
        var item = new OutgoingItem(frame, fromApplication: true, trackCompletion: false);
        lock (_gate)
        {
            if (_sealed)
            {
                CountUnsent(item);
                return EnqueueStatus.Closed;
            }

            // Frames waiting for room are ahead of this one: letting it in would reorder the application's frames.
            if (_waiting.Count > 0 || !HasRoom(item.Size))
            {
                CountUnsent(item);
                return EnqueueStatus.Overflow;
            }

            EnqueueData(item);
        }

        return EnqueueStatus.Accepted;
    }

    /// <summary>
    /// Offers an application frame whose fate is reported by <paramref name="written"/>. With <paramref name="wait"/> the frame
    /// waits for room instead of overflowing; <paramref name="cancellationToken"/> only cancels that wait.
    /// </summary>
    public EnqueueStatus Send(Frame frame, bool wait, CancellationToken cancellationToken, out Task written)
    {
        var item = new OutgoingItem(frame, fromApplication: true, trackCompletion: true);
        written = item.Completion!.Task;
        lock (_gate)
        {
            // Someone may block on this task — even an observer of Incoming, on the read loop that holds the write side
            // and would only write after it returns. The write loop takes over so that the frame goes out regardless.
            RevokeClaim();
            if (_sealed)
            {
                item.Completion.TrySetException(_abortedWith ?? new ConnectionClosedException(null, null));
                return EnqueueStatus.Closed;
            }

            if (_waiting.Count == 0 && HasRoom(item.Size))
            {
                EnqueueData(item);
                return EnqueueStatus.Accepted;
            }

            if (!wait)
            {
                item.Completion.TrySetException(new WebSocketException(
                    "The outgoing buffer is full (FrameLimits.MaxOutgoingBufferSize); the session fails with 1008."));
                return EnqueueStatus.Overflow;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                item.Completion.TrySetCanceled(cancellationToken);
                return EnqueueStatus.Waiting;
            }

            var node = _waiting.AddLast(new WaitingItem(item));
            if (cancellationToken.CanBeCanceled)
            {
                node.Value.Cancellation = cancellationToken.Register(() => CancelWaiting(node, cancellationToken));
            }

            return EnqueueStatus.Waiting;
        }
    }

    /// <summary>
    /// Queues a graceful Close on the data lane, after every frame already accepted, and seals the lane; frames waiting
    /// for room are dropped, since nothing may follow a Close (RFC 6455 §5.5.1).
    /// </summary>
    /// <returns>False when the lane was already sealed.</returns>
    public bool SealWithClose(CloseFrame close)
    {
        List<OutgoingItem> dropped;
        lock (_gate)
        {
            if (_sealed)
            {
                return false;
            }

            _sealed = true;
            // A Close holds no bytes against the limit: it must be queued even when the lane is full.
            _data.Enqueue(new OutgoingItem(close, fromApplication: false, trackCompletion: false, onDataLane: true));
            dropped = DrainWaiting();
            Signal();
        }

        Drop(dropped, new ConnectionClosedException(null, close.Reason));
        return true;
    }

    /// <summary>Refuses new data-lane frames without queueing anything (a failing Close goes on the control lane).</summary>
    /// <param name="reason">What frames waiting for room fault with.</param>
    public void Seal(Exception reason)
    {
        List<OutgoingItem> dropped;
        lock (_gate)
        {
            _sealed = true;
            dropped = DrainWaiting();
        }

        Drop(dropped, reason);
    }

    /// <summary>Queues a frame of the session's own (pong, ping, failing Close) on the control lane.</summary>
    /// <param name="frame">The frame.</param>
    /// <returns>False when the queue was aborted.</returns>
    public bool PostControl(ControlFrame frame)
    {
        lock (_gate)
        {
            if (_abortedWith is not null)
            {
                return false;
            }

            var item = new OutgoingItem(frame, fromApplication: false, trackCompletion: false);
            if (frame is PongFrame)
            {
                if (_pendingPong is not null)
                {
                    // RFC 6455 §5.5.3: "If an endpoint receives a Ping frame and has not yet sent Pong frame(s) in response to
                    // previous Ping frame(s), the endpoint MAY elect to send a Pong frame for only the most recently processed
                    // Ping frame." Replacing in place keeps the lane at one pong however fast the peer pings.
                    _pendingPong = item;
                    return true;
                }

                _pendingPong = item;
            }

            _control.Enqueue(item);
            Signal();
            return true;
        }
    }

    /// <summary>Waits until a frame can be dequeued; false once the queue is aborted.</summary>
    /// <remarks>One consumer: the returned value task is awaited once, before the next call.</remarks>
    public ValueTask<bool> WaitToReadAsync()
    {
        lock (_gate)
        {
            if (_abortedWith is not null)
            {
                return new ValueTask<bool>(false);
            }

            if (_control.Count > 0 || _data.Count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (!_readerWaiting)
            {
                _readerWait.Reset();
                _readerWaiting = true;
            }

            // A second call before the first wait ended gets the same wait; it may still be awaited only once.
            return new ValueTask<bool>(this, _readerWait.Version);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _readerWait.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _readerWait.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _readerWait.OnCompleted(continuation, state, token, flags);

    /// <summary>Takes the next frame to write: the control lane first.</summary>
    public bool TryDequeue(out OutgoingItem item)
    {
        lock (_gate)
        {
            return TryDequeueLocked(stopAtClose: false, out item);
        }
    }

    private bool TryDequeueLocked(bool stopAtClose, out OutgoingItem item)
    {
        if (_abortedWith is null)
        {
            if (stopAtClose && (_control.TryPeek(out var head) ? head.Frame is CloseFrame : _data.TryPeek(out head) && head.Frame is CloseFrame))
            {
                item = default;
                return false;
            }

            if (_control.TryDequeue(out item))
            {
                if (item.Frame is PongFrame)
                {
                    // The slot may hold a newer pong than the one queued: that is the one to send.
                    item = _pendingPong!.Value;
                    _pendingPong = null;
                }

                return true;
            }

            if (_data.TryDequeue(out item))
            {
                _queuedBytes -= Held(item);
                _inFlightBytes += Held(item);
                return true;
            }
        }

        item = default;
        return false;
    }

    /// <summary>
    /// Lets the read loop take the write side while the write loop is parked in <see cref="WaitToReadAsync"/>: until
    /// <see cref="ReleaseWriter"/>, frames offered do not wake the write loop, and the read loop writes them itself after
    /// the frames of one read (one flush per read, no thread hop). Nothing else changes: limits, lanes and reports are
    /// the same, and only one of the two ever dequeues.
    /// </summary>
    /// <returns>False when the write loop is busy (or not parked yet), the write side is already held, or the queue ended.</returns>
    public bool TryClaimWriter()
    {
        lock (_gate)
        {
            if (!_readerWaiting || _claimed || _abortedWith is not null)
            {
                return false;
            }

            _claimed = true;
            _claimWriting = false;
            return true;
        }
    }

    private void RevokeClaim()
    {
        if (_claimed && !_claimWriting)
        {
            _claimed = false;
            if (_control.Count > 0 || _data.Count > 0)
            {
                Signal();
            }
        }
    }

    /// <summary>
    /// <see cref="TryDequeue"/> for the holder of <see cref="TryClaimWriter"/>: stops before a Close frame, which the
    /// write loop writes because what follows a Close (the half-close, waiting for the peer's) is its job.
    /// </summary>
    /// <returns>False when nothing is left before a Close, or when the claim was taken back by a <see cref="Send"/>.</returns>
    public bool TryDequeueClaimed(out OutgoingItem item)
    {
        lock (_gate)
        {
            if (!_claimed)
            {
                item = default;
                return false;
            }

            _claimWriting = true;
            return TryDequeueLocked(stopAtClose: true, out item);
        }
    }

    /// <summary>
    /// Gives the write side back to the write loop, waking it when frames are left (a Close, frames offered during the
    /// final flush), when the queue was aborted, or when <paramref name="wake"/> asks it to end.
    /// </summary>
    public void ReleaseWriter(bool wake)
    {
        lock (_gate)
        {
            _claimed = false;
            _claimWriting = false;
            if (_readerWaiting && (wake || _abortedWith is not null || _control.Count > 0 || _data.Count > 0))
            {
                _readerWaiting = false;
                _readerWait.SetResult(_abortedWith is null); // the continuation runs asynchronously, not under the lock
            }
        }
    }

    /// <summary>Reports frames written and flushed: their tasks complete and their bytes make room for waiting senders.</summary>
    public void OnWritten(List<OutgoingItem> items)
    {
        lock (_gate)
        {
            // After Abort the byte counts were reset: frames reported written late hold nothing any more.
            if (_abortedWith is null)
            {
                foreach (var item in items)
                {
                    _inFlightBytes -= Held(item);
                }
            }

            AdmitWaiting();
        }

        foreach (var item in items)
        {
            item.Completion?.TrySetResult();
        }
    }

    /// <summary>Reports a dequeued frame that could not be written (the encoder refused it).</summary>
    public void OnRejected(OutgoingItem item, Exception error)
    {
        lock (_gate)
        {
            _inFlightBytes -= Held(item);
            AdmitWaiting();
        }

        CountUnsent(item);
        item.Completion?.TrySetException(error);
    }

    /// <summary>
    /// Ends the queue: every frame still queued, waiting or in flight but unreported is dropped — tasks fault with
    /// <paramref name="reason"/>, observer frames count as unsent — and the write loop's wait returns false.
    /// </summary>
    /// <param name="reason">The exception that pending and later sends fault with.</param>
    /// <param name="inFlight">Frames the write loop dequeued but did not report written.</param>
    public void Abort(Exception reason, IReadOnlyCollection<OutgoingItem>? inFlight = null)
    {
        var dropped = new List<OutgoingItem>();
        lock (_gate)
        {
            if (_abortedWith is not null)
            {
                return;
            }

            _abortedWith = reason;
            _sealed = true;
            dropped.AddRange(_control);
            dropped.AddRange(_data);
            dropped.AddRange(DrainWaiting());
            if (inFlight is not null)
            {
                dropped.AddRange(inFlight);
            }

            _control.Clear();
            _data.Clear();
            _pendingPong = null;
            _queuedBytes = 0;
            _inFlightBytes = 0;
            if (_readerWaiting && !_claimed)
            {
                _readerWaiting = false;
                _readerWait.SetResult(false); // the continuation runs asynchronously, not under the lock
            }
        }

        Drop(dropped, reason);
    }

    private void Drop(List<OutgoingItem> items, Exception? reason)
    {
        foreach (var item in items)
        {
            CountUnsent(item);
            item.Completion?.TrySetException(reason ?? new ConnectionClosedException(null, null));
        }
    }

    private bool HasRoom(long size) => _queuedBytes + _inFlightBytes == 0 || _queuedBytes + _inFlightBytes + size <= _maxBytes;

    private static long Held(OutgoingItem item) => item.OnDataLane && item.FromApplication ? item.Size : 0;

    private void EnqueueData(OutgoingItem item)
    {
        item = item.ToDataLane();
        _data.Enqueue(item);
        _queuedBytes += Held(item);
        Signal();
    }

    private void Signal()
    {
        if (_readerWaiting && !_claimed)
        {
            _readerWaiting = false;
            _readerWait.SetResult(true); // the continuation runs asynchronously, not under the lock
        }
    }

    private void AdmitWaiting()
    {
        while (_waiting.First is { } node && !_sealed && HasRoom(node.Value.Item.Size))
        {
            _waiting.RemoveFirst();
            // Unregister, not Dispose: Dispose waits for a running callback, and CancelWaiting waits for this lock.
            node.Value.Cancellation.Unregister();
            EnqueueData(node.Value.Item);
        }
    }

    private List<OutgoingItem> DrainWaiting()
    {
        var items = new List<OutgoingItem>(_waiting.Count);
        foreach (var waiting in _waiting)
        {
            waiting.Cancellation.Unregister();
            items.Add(waiting.Item);
        }

        _waiting.Clear();
        return items;
    }

    private void CancelWaiting(LinkedListNode<WaitingItem> node, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (node.List is null)
            {
                return; // admitted or dropped already
            }

            _waiting.Remove(node);
            AdmitWaiting(); // the cancelled frame may have been blocking smaller ones behind it
        }

        node.Value.Item.Completion!.TrySetCanceled(cancellationToken);
    }

    private void CountUnsent(OutgoingItem item)
    {
        // Frames from SendAsync report through their task; only fire-and-forget observer frames need the counter.
        if (item.FromApplication && item.Completion is null)
        {
            Interlocked.Increment(ref _unsentFrameCount);
        }
    }

    /// <summary>A send waiting for room (<see cref="OutgoingOverflowPolicy.Wait"/>), with the registration that cancels the wait.</summary>
    private sealed class WaitingItem
    {
        public WaitingItem(OutgoingItem item) => Item = item;

        public OutgoingItem Item { get; }

        public CancellationTokenRegistration Cancellation { get; set; }
    }
}
