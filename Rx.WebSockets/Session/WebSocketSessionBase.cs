using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Protocol.Extensions;

namespace Rx.WebSockets.Session;

/// <summary>
/// What raw and default sessions share: the read loop (PipeReader → FrameDecoder → Incoming), the write loop
/// (OutgoingQueue → FrameEncoder → PipeWriter), the close state, the close timer and the end of the session.
/// Flavours decide what a received frame means (<see cref="OnFrameAsync"/>) and what an application frame does
/// (<see cref="OnApplicationFrame"/>).
/// </summary>
/// <remarks>
/// <para>
/// Ending: the session has ended when both loops have returned; then every internal subscription is disposed, the
/// pings/pongs subjects complete, and <see cref="CloseReason"/> completes, in that order. The read loop is the only
/// thread that notifies <see cref="Incoming"/>; other threads that end the session (timers, the pinger, application
/// calls) record the terminal notification and cancel the pending read, so the read loop delivers it.
/// </para>
/// <para>
/// Thread-safety: public members may be called from any thread. The decoder and the assembler belong to the read loop,
/// the encoder to the write loop; <see cref="CloseHandshake"/> and <see cref="OutgoingQueue"/> are thread-safe;
/// <c>_gate</c> guards start, stop-reading and end flags. The negotiated extension, if any, is called by the read loop
/// (<see cref="IWebSocketExtension.Decode"/>) and the write loop (<see cref="IWebSocketExtension.Encode"/>) only, and
/// disposed once both have stopped. Work scheduled on the <see cref="IScheduler"/> (the pinger, the
/// close timer) is armed from the thread that decides it; with a non-thread-safe scheduler such as a TestScheduler, drive
/// virtual time only after the events that arm timers have been observed.
/// </para>
/// </remarks>
internal abstract class WebSocketSessionBase : IWebSocketSession, ISessionCore
{
    /// <summary>The fixed messages sent with failure codes: never exception text (python-websockets' rule).</summary>
    internal const string ProtocolErrorMessage = "Protocol error";
    internal const string InvalidPayloadMessage = "Invalid payload";
    internal const string TooBigMessage = "Message too big";
    internal const string PolicyViolationMessage = "Outgoing buffer overflow";
    internal const string InternalErrorMessage = "Internal error";
    internal const string PingTimeoutMessage = "Ping timeout";

    // The write loop flushes at least this often inside a burst, so a long queue does not pile up unflushed in the pipe.
    private const int FlushThreshold = 64 * 1024;

    // Shared by every ended session that never armed a close timer: disposed, so anything assigned to it is cancelled.
    private static readonly SerialDisposable s_endedTimer = CreateDisposedSerial();

    private readonly object _gate = new();
    private readonly IDuplexPipe _transport;
    private readonly FrameDecoder _decoder;
    private readonly FrameEncoder _encoder;
    private readonly IWebSocketExtension? _extension;
    private readonly IReadOnlyList<string> _extensions;

    // Frames to send without compression (WebSocketSessionExtensions.Uncompressed): fresh instances, recognised by
    // reference on the write loop. Weak keys, so a frame that is never written leaves nothing behind; created on
    // first use, so sessions that never mark a frame pay nothing.
    private System.Runtime.CompilerServices.ConditionalWeakTable<Frame, object>? _uncompressed;
    private readonly Subject<Frame> _incoming = new();
    private readonly AsyncSubject<CloseReason> _closed = new();
    private readonly TaskCompletionSource<CloseReason?> _closeReason = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Created when a close timeout is first armed: most of a session's life needs none.
    private SerialDisposable? _closeTimer;
    private readonly CancellationTokenSource _readCancellation = new();
    private readonly Task _writeLoop;

    /// <summary>Completed when the read loop has ended: the peer's Close arrived, the stream ended, or reading was stopped.</summary>
    private readonly TaskCompletionSource _readEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IAsyncFrameConsumer[] _consumers = Array.Empty<IAsyncFrameConsumer>();
    private Task? _readLoop;
    // The write loop's batch, lent to the read loop while it holds the write side (WriteClaimed).
    private List<OutgoingItem>? _writeBatch;
    // Set by the read loop's write when its flush ended the output (error, cancelled, completed); read by the write loop
    // after the queue's wake-up, which orders the two.
    private volatile bool _claimedWriteEnded;
    private Exception? _claimedWriteError;
    private bool _started;
    private bool _readLoopDone;
    // Written under _gate; read without it on every frame by the read loop (a volatile read is all that check needs).
    private volatile bool _stopReading;
    private Exception? _incomingError;
    private bool _incomingTerminated;
    private volatile bool _ended;

    protected WebSocketSessionBase(IDuplexPipe transport, Side side, WebSocketOptions options, IScheduler scheduler, string? subProtocol, IWebSocketExtension? extension)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scheduler);
        if (side is not (Side.Client or Side.Server))
        {
            throw new ArgumentOutOfRangeException(nameof(side), side, "Unknown side.");
        }

        _transport = transport;
        Side = side;
        Options = options.Clone();
        // Scheduler.Default would give every session a System.Threading.Timer per armed item (the pinger's period, its pong
        // deadline, the close timeout): the shared timer keeps all sessions' items in one heap behind one timer. Any other
        // scheduler (a TestScheduler, an application's own) is used as given.
        Scheduler = SharedTimerScheduler.SubstituteForDefault(scheduler);
        SubProtocol = subProtocol;
        _extension = extension;
        _extensions = extension is null ? Array.Empty<string>() : [extension.Agreement.ToString()];
        // RFC 6455 §5.2: RSV bits "MUST be 0 unless an extension is negotiated that defines meanings for non-zero
        // values"; RFC 7692 §6 gives RSV1 a meaning on the first frame of a message, and the extension then checks
        // what the decoder cannot see on compressed bytes (UTF-8, the message size).
        _decoder = new FrameDecoder(side, Options.Limits) { AllowRsv1OnFirstDataFrame = extension?.UsesRsv1 == true };
        // RFC 6455 §5.1: a client MUST mask; a server MUST NOT, unless the application asked for Ktor's masking option.
        _encoder = new FrameEncoder(side, side == Side.Client || Options.Masking, maskKeySource: null);
        Queue = new OutgoingQueue(Options.Limits.MaxOutgoingBufferSize);
        Outgoing = new OutgoingObserver(this);
        _writeLoop = WriteLoopAsync();
    }

    public IObservable<Frame> Incoming => _incoming.AsObservable();

    public IObserver<Frame> Outgoing { get; }

    public Task<CloseReason?> CloseReason => _closeReason.Task;

    public IObservable<CloseReason> Closed => _closed.AsObservable();

    public abstract TimeSpan? PingInterval { get; set; }

    public long PingIntervalMillis
    {
        get => PingInterval is { } v ? (long)v.TotalMilliseconds : 0;
        set => PingInterval = value switch
        {
            0 or -1 => null,
            < -1 => throw new ArgumentOutOfRangeException(nameof(value), value, "0 or -1 disables the pinger; other negative values are invalid."),
            _ => TimeSpan.FromMilliseconds(value),
        };
    }

    public abstract TimeSpan Timeout { get; set; }

    public long TimeoutMillis
    {
        get => (long)Timeout.TotalMilliseconds;
        set => Timeout = TimeSpan.FromMilliseconds(value);
    }

    public long MaxFrameSize => Options.Limits.MaxFrameSize;

    internal long MaxMessageSize => Options.Limits.MaxMessageSize;

    public bool Masking => _encoder.IsMasking;

    public IReadOnlyList<string> Extensions => _extensions;

    public string? SubProtocol { get; }

    public WebSocketState State => _ended ? WebSocketState.Closed
        : Handshake.State == ProtocolState.Open ? WebSocketState.Open : WebSocketState.Closing;

    public Side Side { get; }

    public abstract IObservable<PingFrame> Pings { get; }

    public abstract IObservable<PongFrame> Pongs { get; }

    /// <summary>A session without a pinger measures no round trip: the sequence completes when the session ends.</summary>
    public virtual IObservable<TimeSpan> PingRoundTrips => Closed.IgnoreElements().Select(static _ => TimeSpan.Zero);

    public long UnsentFrameCount => Queue.UnsentFrameCount;

    WebSocketSessionBase ISessionCore.Core => this;

    protected WebSocketOptions Options { get; }

    protected IScheduler Scheduler { get; }

    protected CloseHandshake Handshake { get; } = new();

    protected internal OutgoingQueue Queue { get; }

    public void Start()
    {
        lock (_gate)
        {
            if (_started)
            {
                return;
            }

            _started = true;
        }

        OnStarting();
        _readLoop = ReadLoopAsync();
        _ = FinishAsync(_readLoop);
    }

    /// <summary>
    /// Returns a new frame, equal to <paramref name="message"/> and sharing its payload, that this session's write
    /// loop sends without compression; <paramref name="message"/> itself when no extension is in use.
    /// </summary>
    internal DataFrame MarkUncompressed(DataFrame message)
    {
        if (_extension is null)
        {
            return message;
        }

        var copy = (DataFrame)Frame.Create(message.Opcode, message.IsFinal, message.Rsv1, message.Rsv2, message.Rsv3, message.Payload);
        var marks = Volatile.Read(ref _uncompressed)
            ?? Interlocked.CompareExchange(ref _uncompressed, new System.Runtime.CompilerServices.ConditionalWeakTable<Frame, object>(), null)
            ?? _uncompressed!;
        marks.AddOrUpdate(copy, copy);
        return copy;
    }

    public Task SendAsync(Frame frame, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame is CloseFrame close)
        {
            SendClose(close);
            return _closeReason.Task;
        }

        var status = Queue.Send(frame, Options.OutgoingOverflowPolicy == OutgoingOverflowPolicy.Wait, cancellationToken, out var written);
        if (status == EnqueueStatus.Overflow)
        {
            OnOverflow();
        }

        return written;
    }

    public async ValueTask DisposeAsync()
    {
        // Disposing is leaving: fail with 1001 Going Away (RFC 6455 §7.4.1) without waiting for the peer's Close,
        // then wait for the loops to end so that nothing runs after disposal.
        Fail(new CloseReason(CloseCode.GoingAway), incomingError: null);
        await _closeReason.Task.ConfigureAwait(false);
        _readCancellation.Dispose();
    }

    /// <summary>Registers a consumer that the read loop awaits after each frame (the backpressure of <c>ReadAllAsync</c>).</summary>
    internal IDisposable AddConsumer(IAsyncFrameConsumer consumer)
    {
        lock (_gate)
        {
            if (_incomingTerminated)
            {
                consumer.OnEnd(_incomingError);
                return Disposable.Empty;
            }

            _consumers = [.. _consumers, consumer];
        }

        return Disposable.Create(() =>
        {
            lock (_gate)
            {
                _consumers = Array.FindAll(_consumers, c => c != consumer);
            }
        });
    }

    /// <summary>Called once when reading starts (the default session starts its pinger here).</summary>
    protected virtual void OnStarting()
    {
    }

    /// <summary>Called when the session starts closing or fails (the default session stops its pinger here).</summary>
    protected virtual void OnClosing()
    {
    }

    /// <summary>Handles one decoded frame on the read loop.</summary>
    protected abstract ValueTask OnFrameAsync(Frame frame);

    /// <summary>Handles a frame given to <see cref="Outgoing"/>.</summary>
    protected abstract void OnApplicationFrame(Frame frame);

    /// <summary>Called on the end of the session, before <see cref="CloseReason"/> completes: dispose subscriptions, complete subjects.</summary>
    protected virtual void OnEnded()
    {
    }

    /// <summary>Delivers a frame to Incoming and to the async consumers, on the read loop.</summary>
    protected ValueTask DeliverAsync(Frame frame)
    {
        try
        {
            _incoming.OnNext(frame);
        }
        catch (Exception e)
        {
            // An observer threw: an application bug. The peer is not at fault, but the session cannot go on delivering.
            Fail(new CloseReason(CloseCode.InternalError, InternalErrorMessage), e);
            return default;
        }

        // Without async consumers (the usual case: Incoming only) a frame costs no state machine.
        var consumers = Volatile.Read(ref _consumers);
        return consumers.Length == 0 ? default : DeliverToConsumersAsync(frame, consumers);
    }

    private async ValueTask DeliverToConsumersAsync(Frame frame, IAsyncFrameConsumer[] consumers)
    {
        foreach (var consumer in consumers)
        {
            await consumer.OnFrameAsync(frame, _readCancellation.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Posts an application frame on the data lane; an overflow fails the session with 1008.</summary>
    protected void PostData(Frame frame)
    {
        if (Queue.Post(frame) == EnqueueStatus.Overflow)
        {
            OnOverflow();
        }
    }

    /// <summary>Starts the closing handshake (RFC 6455 §7.1.2) with <paramref name="reason"/>: Close after the queued frames, then wait for the peer's.</summary>
    protected internal bool StartClosing(CloseReason reason)
    {
        if (!Handshake.TryStartClosing(reason, out var frame))
        {
            return false;
        }

        Queue.SealWithClose(frame);
        OnClosing();
        ArmCloseTimer();
        Start(); // the peer's Close must be read
        return true;
    }

    /// <summary>Sends a Close frame the application built (raw: any time; default: starts the handshake).</summary>
    protected virtual void SendClose(CloseFrame close) => StartClosing(close.Reason ?? Rx.WebSockets.CloseReason.Normal);

    /// <summary>
    /// "Fail the WebSocket Connection" (RFC 6455 §7.1.7): a Close ahead of queued frames, no more reading, the transport
    /// closed once it is written. <paramref name="incomingError"/> ends Incoming (null: completes it).
    /// </summary>
    protected internal void Fail(CloseReason reason, Exception? incomingError)
    {
        if (Handshake.TryFail(reason, out var frame))
        {
            Queue.Seal(new ConnectionClosedException(null, reason));
            // A null frame means our Close was already queued or written: nothing may follow it, and the write loop
            // ends after it.
            if (frame is not null)
            {
                Queue.PostControl(frame);
            }

            ArmCloseTimer(); // bounds the time the Close may take to be written to a peer that does not read
        }

        OnClosing();
        StopReading(incomingError);
        Start();
    }

    /// <summary>Stops the read loop; the first caller decides how Incoming ends (null: OnCompleted).</summary>
    protected void StopReading(Exception? incomingError)
    {
        lock (_gate)
        {
            if (_stopReading)
            {
                return;
            }

            _stopReading = true;
            _incomingError = incomingError;
            if (_readLoop is null || _readLoopDone)
            {
                return;
            }
        }

        _readCancellation.Cancel();
        try
        {
            _transport.Input.CancelPendingRead();
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // The read loop completed the reader in the meantime: nothing is pending.
        }
    }

    /// <summary>Arms the close timeout: when it expires the transport is closed whatever state the handshake is in.</summary>
    protected void ArmCloseTimer()
    {
        if (_ended)
        {
            return;
        }

        var timer = Volatile.Read(ref _closeTimer)
            ?? Interlocked.CompareExchange(ref _closeTimer, new SerialDisposable(), null)
            ?? _closeTimer!;
        timer.Disposable = Scheduler.Schedule(Options.CloseTimeout, OnCloseTimeout);
    }

    private void OnOverflow() =>
        Fail(
            new CloseReason(CloseCode.ViolatedPolicy, PolicyViolationMessage),
            new WebSocketException("The outgoing buffer exceeded FrameLimits.MaxOutgoingBufferSize; the session failed with 1008."));

    private void OnCloseTimeout()
    {
        Handshake.OnCloseTimeout();
        var error = ClosedError();
        StopReading(error);
        Queue.Abort(error);
        try
        {
            // A flush blocked on a peer that does not read must give up, or the write loop would never end.
            _transport.Output.CancelPendingFlush();
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // The writer was already completed: nothing is blocked.
        }
    }

    private static SerialDisposable CreateDisposedSerial()
    {
        var disposed = new SerialDisposable();
        disposed.Dispose();
        return disposed;
    }

    private ConnectionClosedException ClosedError(Exception? inner = null) => new(Handshake.Received, Handshake.Sent, inner);

    private async Task ReadLoopAsync()
    {
        // Yield first: Start() may be called under an application's lock or inside OnNext; reading must not run there.
        await Task.Yield();
        var input = _transport.Input;
        try
        {
            while (!IsStopRequested())
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                var consumed = buffer.Start;
                bool stop = false;
                // Issue 6: the answers to the frames of one read (echoes, pongs) go out in one flush written by this loop,
                // instead of waking the write loop on another thread once per read. Only while the write loop is idle.
                bool claimed = Queue.TryClaimWriter();
                try
                {
                    while (!(stop = IsStopRequested()))
                    {
                        var frame = DecodeOne(buffer.Slice(consumed), out var end);
                        if (frame is null)
                        {
                            break;
                        }

                        consumed = end;
                        if (_extension is not null)
                        {
                            // Every frame, in wire order: the extension tracks message boundaries (inflation state).
                            frame = _extension.Decode(frame);
                        }

                        var handled = OnFrameAsync(frame);
                        if (!handled.IsCompletedSuccessfully)
                        {
                            if (claimed)
                            {
                                // A consumer makes us wait (ReadAllAsync): it may itself wait for a send, so the write side
                                // must not stay held meanwhile.
                                claimed = false;
                                WriteClaimed();
                            }

                            await handled.ConfigureAwait(false);
                        }
                    }
                }
                finally
                {
                    try
                    {
                        // examined = End: the pipe wakes us only when bytes beyond what we looked at arrive (Kestrel's rule).
                        input.AdvanceTo(consumed, stop ? consumed : buffer.End);
                    }
                    finally
                    {
                        if (claimed)
                        {
                            WriteClaimed();
                        }
                    }
                }

                if (stop || IsStopRequested())
                {
                    break;
                }

                if (result.IsCompleted)
                {
                    // Bytes left over are a frame cut short by the end of the stream: still "closed without a Close frame".
                    OnEndOfStream();
                    break;
                }
            }
        }
        catch (WebSocketProtocolException e)
        {
            // RFC 6455 §7.1.7: fail with the decoder's code and a short fixed message; the details stay in the exception.
            Fail(new CloseReason(e.CloseCode, MessageFor(e.CloseCode)), e);
        }
        catch (OperationCanceledException) when (IsStopRequested())
        {
            // A consumer's wait was cancelled because the session is ending.
        }
        catch (Exception e)
        {
            // The transport failed (reset, I/O error): the connection is gone without a Close (1006).
            Handshake.OnEndOfStream();
            var error = ClosedError(e);
            StopReading(error);
            Queue.Abort(error);
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            TerminateIncoming();
        }
    }

    private static string MessageFor(CloseCode code) => code.Value switch
    {
        1007 => InvalidPayloadMessage,
        1009 => TooBigMessage,
        _ => ProtocolErrorMessage,
    };

    private Frame? DecodeOne(ReadOnlySequence<byte> buffer, out SequencePosition end)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (_decoder.TryDecode(ref reader, out var frame) == OperationStatus.Done)
        {
            end = reader.Position;
            return frame;
        }

        end = buffer.Start;
        return null;
    }

    private void OnEndOfStream()
    {
        if (Handshake.OnEndOfStream() == CloseDecision.Abnormal)
        {
            var error = ClosedError();
            StopReading(error);
            Queue.Abort(error);
        }
        else
        {
            StopReading(null);
        }
    }

    private bool IsStopRequested() => _stopReading;

    private void TerminateIncoming()
    {
        Exception? error;
        IAsyncFrameConsumer[] consumers;
        lock (_gate)
        {
            if (_incomingTerminated)
            {
                return;
            }

            _incomingTerminated = true;
            _readLoopDone = true;
            _readEnded.TrySetResult();
            _stopReading = true;
            error = _incomingError;
            consumers = _consumers;
            _consumers = Array.Empty<IAsyncFrameConsumer>();
        }

        if (error is null)
        {
            _incoming.OnCompleted();
        }
        else
        {
            _incoming.OnError(error);
        }

        foreach (var consumer in consumers)
        {
            consumer.OnEnd(error);
        }
    }

    private async Task WriteLoopAsync()
    {
        // Yield first so that the constructor returns before the loop runs.
        await Task.Yield();
        var output = _transport.Output;
        // Shared with the read loop's claimed writes (WriteClaimed): the queue lets only one of the two hold it.
        var batch = _writeBatch = new List<OutgoingItem>();
        Exception? transportError = null;
        bool closeWritten = false;
        try
        {
            while (!closeWritten && await Queue.WaitToReadAsync().ConfigureAwait(false))
            {
                if (_claimedWriteEnded)
                {
                    // The read loop's flush failed, was cancelled or found the transport completed: end as after our own.
                    break;
                }

                long unflushed = 0;
                while (unflushed < FlushThreshold && Queue.TryDequeue(out var item))
                {
                    if (!TryEncode(item, output))
                    {
                        continue;
                    }

                    batch.Add(item);
                    unflushed += item.Frame.Payload.Length;
                    if (item.Frame is CloseFrame)
                    {
                        // RFC 6455 §5.5.1: "after sending a Close frame, the endpoint MUST NOT send any further data frames".
                        closeWritten = true;
                        break;
                    }
                }

                var flush = await output.FlushAsync().ConfigureAwait(false);
                // The bytes are committed to the transport even when the flush was cancelled: they count as written.
                Queue.OnWritten(batch);
                batch.Clear();
                if (flush.IsCanceled || flush.IsCompleted)
                {
                    break; // the close timer gave up on a peer that does not read, or the peer stopped reading altogether
                }
            }
        }
        catch (Exception e)
        {
            transportError = e;
        }
        finally
        {
            transportError ??= _claimedWriteError;
            // Everything not written is reported: tasks fault, observer frames are counted.
            var error = transportError is null ? ClosedError() : ClosedError(transportError);
            Queue.Abort(error, batch);
            if (closeWritten && transportError is null)
            {
                // RFC 6455 §7.1.1: the TCP connection is closed "after both sending and receiving a Close message". When we
                // started the close, wait for the peer's Close (the read loop ends on it) or for the close timeout (which
                // stops the read loop): a peer such as python-websockets drops its reply Close once it sees our FIN.
                await _readEnded.Task.ConfigureAwait(false);
            }

            // Completing the writer is the half-close: after its Close the server closes the TCP connection first, and a
            // client that has both sent and received a Close sends nothing more either.
            await output.CompleteAsync().ConfigureAwait(false);
            if (transportError is not null || !closeWritten)
            {
                // Without our Close on the wire there is nothing left to wait for on the read side either; starting the
                // (stopped) read loop lets the session end even if the application never started it.
                Handshake.OnEndOfStream();
                StopReading(error);
                Start();
            }
        }
    }

    /// <summary>Encodes one dequeued frame; a frame the encoder or the extension refuses is reported and skipped.</summary>
    private bool TryEncode(OutgoingItem item, PipeWriter output)
    {
        try
        {
            // Per frame, in the order frames go out, so the extension sees messages in that order.
            var frame = _extension is null ? item.Frame
                : Volatile.Read(ref _uncompressed)?.TryGetValue(item.Frame, out _) == true ? _extension.EncodeUncompressed(item.Frame)
                : _extension.Encode(item.Frame);
            _encoder.Encode(frame, output);
            return true;
        }
        catch (InvalidOperationException e)
        {
            // The application sent fragments out of order; the encoder refused the frame before writing it.
            Queue.OnRejected(item, e);
            return false;
        }
        catch (ArgumentException e)
        {
            // The application set RSV1, which the negotiated extension owns; the frame was not written.
            Queue.OnRejected(item, e);
            return false;
        }
    }

    /// <summary>
    /// On the read loop, holding the write side (<see cref="OutgoingQueue.TryClaimWriter"/>): encodes what the frames of
    /// one read produced, flushes once and gives the write side back. A Close, and what follows it, is left to the
    /// write loop; a flush that must wait (the peer reads slowly) completes without holding up the read loop.
    /// </summary>
    private void WriteClaimed()
    {
        var output = _transport.Output;
        var batch = _writeBatch!;
        ValueTask<FlushResult> flush;
        try
        {
            long unflushed = 0;
            while (unflushed < FlushThreshold && Queue.TryDequeueClaimed(out var item))
            {
                if (TryEncode(item, output))
                {
                    batch.Add(item);
                    unflushed += item.Frame.Payload.Length;
                }
            }

            if (batch.Count == 0)
            {
                Queue.ReleaseWriter(wake: false);
                return;
            }

            flush = output.FlushAsync();
        }
        catch (Exception e)
        {
            // Whatever failed, the write side must go back to the write loop, which ends on the error.
            EndClaimedWrite(e);
            return;
        }

        if (flush.IsCompletedSuccessfully)
        {
            EndClaimedWrite(flush.Result);
        }
        else
        {
            _ = AwaitClaimedFlushAsync(flush);
        }
    }

    private async Task AwaitClaimedFlushAsync(ValueTask<FlushResult> flush)
    {
        FlushResult result;
        try
        {
            result = await flush.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            EndClaimedWrite(e);
            return;
        }

        EndClaimedWrite(result);
    }

    private void EndClaimedWrite(FlushResult result)
    {
        // The bytes are committed to the transport even when the flush was cancelled: they count as written.
        Queue.OnWritten(_writeBatch!);
        _writeBatch!.Clear();
        bool ended = result.IsCanceled || result.IsCompleted;
        if (ended)
        {
            _claimedWriteEnded = true;
        }

        Queue.ReleaseWriter(wake: ended);
    }

    private void EndClaimedWrite(Exception transportError)
    {
        // The batch stays in _writeBatch: the write loop ends on the error and reports those frames as not sent.
        _claimedWriteError = transportError;
        _claimedWriteEnded = true;
        Queue.ReleaseWriter(wake: true);
    }

    private async Task FinishAsync(Task readLoop)
    {
        // One after the other rather than Task.WhenAll, whose promise and task array every session would hold while it
        // lives; both loops report through the handshake and Incoming, so their exceptions need nothing more here.
        try
        {
            await readLoop.ConfigureAwait(false);
        }
        catch (Exception)
        {
        }

        try
        {
            await _writeLoop.ConfigureAwait(false);
        }
        catch (Exception)
        {
        }

        // Both loops have stopped: nothing calls the extension any more (it may hold native zlib state).
        _extension?.Dispose();
        var reason = Handshake.OnTransportClosed();
        _ended = true;
        // A timer armed after this point finds the disposed instance, which cancels what is assigned to it.
        (Interlocked.CompareExchange(ref _closeTimer, s_endedTimer, null) ?? _closeTimer).Dispose();
        OnEnded();
        _closed.OnNext(reason);
        _closed.OnCompleted();
        _closeReason.TrySetResult(reason);
    }

    /// <summary>The observer behind <see cref="Outgoing"/>.</summary>
    /// <remarks>Thread-safety: thread-safe; calls from any thread go to the thread-safe queue and handshake.</remarks>
    private sealed class OutgoingObserver : IObserver<Frame>
    {
        private readonly WebSocketSessionBase _session;

        public OutgoingObserver(WebSocketSessionBase session) => _session = session;

        public void OnNext(Frame value)
        {
            ArgumentNullException.ThrowIfNull(value);
            _session.OnApplicationFrame(value);
        }

        public void OnError(Exception error) =>
            _session.StartClosing(new CloseReason(CloseCode.InternalError, InternalErrorMessage));

        public void OnCompleted() => _session.StartClosing(Rx.WebSockets.CloseReason.Normal);
    }
}

/// <summary>Gives the extension methods access to the session behind a wrapper.</summary>
internal interface ISessionCore
{
    WebSocketSessionBase Core { get; }
}

/// <summary>A consumer the read loop awaits after delivering each frame.</summary>
internal interface IAsyncFrameConsumer
{
    ValueTask OnFrameAsync(Frame frame, CancellationToken cancellationToken);

    void OnEnd(Exception? error);
}
