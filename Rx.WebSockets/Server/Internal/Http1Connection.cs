using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Body;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// One HTTP/1.1 connection: parses request heads, runs the handler of each request, and writes the responses in
/// request order (STYLE §3.6, Ktor's <c>startServerConnectionPipeline</c>).
/// </summary>
/// <remarks>
/// <para>
/// Two loops. The read loop parses a head, decides the body framing, queues the request's response slot and starts
/// its handler, which runs on the loop until its first await. A safe request without a body (GET, HEAD, OPTIONS,
/// TRACE) does not hold the loop up: the next buffered head is parsed at once and its handler runs concurrently
/// (RFC 9112 §9.3.2), up to <see cref="HttpLimits.MaxPipelinedRequests"/> requests in flight. Any other request is a
/// barrier: the handlers before it finish first, and nothing after it is parsed until its handler returned and its
/// body was read to the end (by the handler, or drained here).
/// </para>
/// <para>
/// Responses leave strictly in request order, each completely, so a response produced early waits in its slot (a
/// pipe). One party at a time writes the transport's output: the holder of the writer role. The read loop takes it
/// between handlers: it copies the responses that are ready (and a handler it runs writes a complete response whose
/// turn it is straight to the output, without a pipe), and flushes once, when it is about to wait for input, a slot,
/// or a handler. Then it hands the role to the write loop if responses are still queued; the write loop waits for
/// each in turn and lets go when the queue is empty. A pipelined batch of responses thus leaves in one send, with no
/// thread hop, while a slow handler holds up only the responses behind its own.
/// </para>
/// <para>
/// Timeouts on the shared <see cref="TimeoutQueue"/>: idle (nothing in flight, no byte of a next head) closes
/// silently; a head that started but is not complete within <see cref="HttpServerSettings.RequestHeadTimeout"/> gets
/// 408. A refused head gets its status with <c>Connection: close</c>. Closing sends the remaining responses, then a
/// FIN, then reads and discards what the client still sends for a moment (lingering close, RFC 9112 §9.6) so that
/// the close cannot turn into a reset that destroys the last response.
/// </para>
/// <para>
/// Thread-safety: the read loop, the write loop, the handlers, the timer callbacks, <see cref="RequestStop"/> and
/// <see cref="Abort"/> run concurrently; the small shared state (the queue, the writer role, the slots, the timeout
/// flags) is guarded by one lock, and the output belongs to the writer role's holder.
/// </para>
/// </remarks>
internal sealed class Http1Connection : IServerConnection, IResponseQueue
{
    // Lingering close: how long, and how many bytes, to keep reading after the FIN.
    private static readonly TimeSpan s_lingerTimeout = TimeSpan.FromSeconds(5);
    private const long LingerMaxBytes = 4 * 1024 * 1024;

    private readonly ServerContext _context;
    private readonly SocketTransport _transport;
    private readonly HttpRequestHandler _handler;
    private readonly Queue<OutgoingResponse> _queue = new();
    private readonly SemaphoreSlim _writerWake = new(0);
    private readonly PipeOptions _responseOptions;
    private readonly Stack<Pipe> _sparePipes = new();
    private readonly CancellationTokenSource _stopReading = new();
    private readonly CancellationTokenSource _aborted = new();
    private readonly CancellationTokenSource _lingering = new();
    private readonly TimeoutHandle _idleTimeout;
    private readonly TimeoutHandle _headTimeout;
    private readonly List<Task> _handlers = new();
    private UpgradedTransport? _upgraded;
    private Rx.WebSockets.Session.IWebSocketSession? _session;
    private readonly object _gate = new();
    private int _inFlight;

    // Pipelining depth: requests parsed whose response is not written yet may not exceed the limit.
    private int _freeSlots;
    private TaskCompletionSource? _slotFreed;
    private bool _writerBusy;
    private bool _queueCompleted;

    // Read loop only: it holds the writer role (see WriteReadyResponsesAsync).
    private bool _readLoopWriting;

    // The thread of the read loop while it runs a handler's synchronous part (see TryBeginDirectWrite), else 0.
    private int _inlineThreadId;

    // Writer-role holder only: false once a response closed the connection or left HTTP, or the output failed.
    private bool _outputOpen = true;
    private bool _waitingIdle;
    private bool _partialHead;
    private bool _stopRequested;
    private StopReason _stopReason;

    public Http1Connection(ServerContext context, SocketTransport transport, HttpRequestHandler handler)
    {
        _context = context;
        _transport = transport;
        _handler = handler;
        _responseOptions = OutgoingResponse.CreatePipeOptions(context.Settings.MaxSendBufferSize, context.ResponseBlocks);
        _freeSlots = context.Limits.MaxPipelinedRequests;
        _idleTimeout = context.Timeouts.Create(context.Settings.ConnectionIdleTimeout, static s => ((Http1Connection)s!).OnIdleTimeout(), this);
        _headTimeout = context.Timeouts.Create(context.Settings.RequestHeadTimeout, static s => ((Http1Connection)s!).OnHeadTimeout(), this);
    }

    private enum StopReason
    {
        None,
        IdleTimeout,
        HeadTimeout,
        Stop,
        Closing,
    }

    private enum HeadOutcome
    {
        Parsed,
        EndOfStream,
        Stopped,
        IdleTimeout,
        HeadTimeout,
        Rejected,
    }

    public ServerContext Context => _context;

    public PipeReader Input => _transport.Input;

    public IPEndPoint? LocalEndPoint => _transport.LocalEndPoint;

    public IPEndPoint? RemoteEndPoint => _transport.RemoteEndPoint;

    public CancellationToken Aborted => _aborted.Token;

    public bool IsStopping => Volatile.Read(ref _stopRequested);

    public async Task RunAsync()
    {
        _transport.Start();
        var writing = Task.Run(WriteLoopAsync);
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The loop handles every failure of the peer; reaching this is a bug, and the connection cannot be trusted.
            Debug.Fail($"The HTTP read loop failed: {e}");
            Abort();
        }
        finally
        {
            await HandOffWriterAsync().ConfigureAwait(false);
            lock (_gate)
            {
                _queueCompleted = true;
            }

            _writerWake.Release();
        }

        await writing.ConfigureAwait(false);
        _idleTimeout.Stop();
        _headTimeout.Stop();
        if (Volatile.Read(ref _upgraded) is { } upgraded && !_transport.IsAborted)
        {
            // The session owns the pipes now; the socket closes once it has completed both.
            await upgraded.Completion.ConfigureAwait(false);
            if (upgraded.OutputAbandoned)
            {
                // The session gave up on a peer that does not read: draining the send buffer would wait forever.
                _transport.Abort();
            }

            // Draining depends on the peer reading: the linger timeout bounds it, as for an HTTP close.
            var linger = _context.Timeouts.Create(s_lingerTimeout, static s => ((Http1Connection)s!).OnLingerTimeout(), this);
            linger.Start();
            await _transport.DisposeAsync().ConfigureAwait(false);
            linger.Stop();
        }
        else
        {
            await CloseAsync().ConfigureAwait(false);
        }

        // A handler still running (its response was dropped, or it outlives a response it completed early) sees the
        // connection as gone.
        CancelAborted();
        await Task.WhenAll(_handlers).ConfigureAwait(false);
    }

    public void RequestStop()
    {
        lock (_gate)
        {
            _stopRequested = true;
            if (_stopReason == StopReason.None)
            {
                _stopReason = StopReason.Stop;
            }
        }

        CancelQuietly(_stopReading);
        CancelQuietly(_lingering);
        if (Volatile.Read(ref _session) is { } session)
        {
            // RFC 6455 §7.4.1: 1001 "indicates that an endpoint is "going away", such as a server going down".
            Rx.WebSockets.Session.WebSocketSessionExtensions.Close(session, CloseReason.GoingAway);
        }
    }

    /// <summary>Hands the connection's pipes to the protocol that replaces HTTP; called before the 101 is queued.</summary>
    public UpgradedTransport PrepareUpgrade()
    {
        var upgraded = new UpgradedTransport(_transport);
        Volatile.Write(ref _upgraded, upgraded);
        return upgraded;
    }

    /// <summary>Records the session that took the connection over, to close it on shutdown.</summary>
    public void OnUpgraded(Rx.WebSockets.Session.IWebSocketSession session)
    {
        Volatile.Write(ref _session, session);
        if (IsStopping)
        {
            Rx.WebSockets.Session.WebSocketSessionExtensions.Close(session, CloseReason.GoingAway);
        }
    }

    public void Abort()
    {
        // The reset first: RequestAborted wakes handlers, and a handler that then completes its response must not get a
        // clean half-close (FIN) onto the wire ahead of the reset the peer is owed.
        _transport.Abort();
        CancelAborted();
    }

    private static bool IsSafeMethod(string method) =>
        // RFC 9110 §9.2.1: GET, HEAD, OPTIONS and TRACE are defined to be safe.
        method is HttpMethods.Get or HttpMethods.Head or HttpMethods.Options or HttpMethods.Trace;

    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        catch (AggregateException)
        {
            // A callback registered by a handler threw; the cancellation itself happened.
        }
    }

    private void CancelAborted() => CancelQuietly(_aborted);

    private async Task ReadLoopAsync()
    {
        while (true)
        {
            if (!await AcquireSlotAsync().ConfigureAwait(false))
            {
                return;
            }

            var (outcome, head, rejection) = await ReadHeadAsync().ConfigureAwait(false);
            switch (outcome)
            {
                case HeadOutcome.Parsed:
                    break;
                case HeadOutcome.HeadTimeout:
                    // RFC 9110 §15.5.9: 408 "indicates that the server did not receive a complete request message
                    // within the time that it was prepared to wait"; the server closes the connection after it.
                    Enqueue(OutgoingResponse.CreateClosingError(HttpStatus.RequestTimeout, "Request Timeout", _context.Date.Value, RentPipe()));
                    return;
                case HeadOutcome.Rejected:
                    Enqueue(OutgoingResponse.CreateClosingError(rejection!.StatusCode, rejection.Message, _context.Date.Value, RentPipe()));
                    return;
                default:
                    ReleaseSlot();
                    return;
            }

            RequestBodyFraming framing;
            try
            {
                framing = MessageFraming.Decide(head!, _context.Limits);
            }
            catch (HttpRequestRejectedException e)
            {
                // RFC 9112 §6.3: when the body length cannot be determined reliably the server must answer and close;
                // nothing after this head is parsed, so a smuggled request is never answered.
                Enqueue(OutgoingResponse.CreateClosingError(e.StatusCode, e.Message, _context.Date.Value, RentPipe()));
                return;
            }

            // Without a Connection field there are no options to parse: RFC 9112 §9.3, HTTP/1.1 persists and HTTP/1.0
            // does not, and RFC 9110 §7.8, an upgrade needs the "upgrade" connection option.
            bool hasConnectionField = head!.Headers.Contains("Connection");
            bool persistent = hasConnectionField ? ConnectionOptions.IsPersistent(head) : head.Version == Rx.WebSockets.Http.HttpVersion.Http11;
            bool upgrade = hasConnectionField && ConnectionOptions.IsUpgradeRequest(head);
            var outgoing = new OutgoingResponse(this);
            var exchange = new HttpExchange(this, head, framing, outgoing, persistent);
            bool concurrent = !framing.HasBody && IsSafeMethod(head!.Method) && !upgrade && persistent;
            if (!concurrent)
            {
                // RFC 9112 §9.3.2: only safe requests may be processed in parallel; this one waits for those before it.
                await HandOffWriterAsync().ConfigureAwait(false);
                await Task.WhenAll(_handlers).ConfigureAwait(false);
            }

            _handlers.RemoveAll(static t => t.IsCompleted);
            Enqueue(outgoing);

            // The handler starts on this loop and runs until its first await (Kestrel's loop does the same): a handler
            // that completes synchronously costs no thread hop and no task, and one that awaits leaves this loop free
            // to parse the next pipelined head, so concurrent requests still overlap. This loop does not hold the
            // writer role meanwhile, so a handler that blocks its thread until its response drains (a large body
            // flushed with .Wait(), an upgrade awaited with .Result) cannot wait on this loop.
            if (concurrent)
            {
                ReleaseWriterRole();
            }
            else
            {
                // The handler may stream its response, send 100 Continue or upgrade while this loop waits for it.
                await HandOffWriterAsync().ConfigureAwait(false);
            }

            Volatile.Write(ref _inlineThreadId, Environment.CurrentManagedThreadId);
            var handling = HandleAsync(exchange);
            Volatile.Write(ref _inlineThreadId, 0);
            if (concurrent)
            {
                if (!handling.IsCompletedSuccessfully)
                {
                    _handlers.Add(handling.AsTask());
                }

                await WriteReadyResponsesAsync().ConfigureAwait(false);
                continue;
            }

            if (!handling.IsCompleted)
            {
                // The handler may have written its response straight to the output and still be running (draining
                // the body, say): that response must leave before this loop waits, or the client may wait for it.
                await HandOffWriterAsync().ConfigureAwait(false);
            }

            var task = handling.AsTask();
            _handlers.Add(task);
            await task.ConfigureAwait(false);
            await WriteReadyResponsesAsync().ConfigureAwait(false);
            if (!exchange.CanContinue)
            {
                return;
            }
        }
    }

    /// <summary>Takes a pipelining slot, waiting for a response to be written if none is free; false once reading stops.</summary>
    private async ValueTask<bool> AcquireSlotAsync()
    {
        while (!_stopReading.IsCancellationRequested)
        {
            TaskCompletionSource freed;
            lock (_gate)
            {
                if (_freeSlots > 0)
                {
                    _freeSlots--;
                    return true;
                }

                freed = _slotFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            // Only writing frees a slot; the write loop must do it while this loop waits.
            await HandOffWriterAsync().ConfigureAwait(false);
            try
            {
                await freed.Task.WaitAsync(_stopReading.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return false;
    }

    private void ReleaseSlot()
    {
        TaskCompletionSource? freed;
        lock (_gate)
        {
            _freeSlots++;
            freed = _slotFreed;
            _slotFreed = null;
        }

        freed?.TrySetResult();
    }

    private async ValueTask HandleAsync(HttpExchange exchange)
    {
        Exception? error = null;
        try
        {
            await _handler(exchange).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            error = e;
        }

        exchange.OnHandlerReturned();
        try
        {
            await exchange.Response.CompleteCoreAsync(error).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // The response could not be completed honestly (Content-Length mismatch, a header that cannot be
            // written); its slot carries the failure and the write loop aborts the connection.
            exchange.MarkConnectionUnusable();
            await exchange.Outgoing.Writer.CompleteAsync(e).ConfigureAwait(false);
        }

        if (!exchange.IsBodyConsumed && !exchange.MustCloseAfterResponse)
        {
            if (!await exchange.BodyReader.DrainAsync(_context.Limits.MaxDrainSize).ConfigureAwait(false))
            {
                exchange.MarkConnectionUnusable();
            }
        }
    }

    // Without pipelining this awaits once per request: the pooled builder reuses its state machine box.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(HeadOutcome Outcome, HttpRequestHead? Head, HttpRequestRejectedException? Rejection)> ReadHeadAsync()
    {
        var input = _transport.Input;
        while (true)
        {
            ReadResult result;
            try
            {
                if (!input.TryRead(out result))
                {
                    // Nothing more to parse: the responses written so far leave now, in one flush.
                    await HandOffWriterAsync().ConfigureAwait(false);
                    lock (_gate)
                    {
                        if (_stopRequested)
                        {
                            return (HeadOutcome.Stopped, null, null);
                        }

                        if (!_partialHead)
                        {
                            _waitingIdle = true;
                            if (_inFlight == 0)
                            {
                                _idleTimeout.Start();
                            }
                        }
                    }

                    try
                    {
                        result = await input.ReadAsync(_stopReading.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        lock (_gate)
                        {
                            _waitingIdle = false;
                        }

                        _idleTimeout.Stop();
                    }
                }
            }
            catch (OperationCanceledException)
            {
                lock (_gate)
                {
                    return (_stopReason switch
                    {
                        StopReason.IdleTimeout => HeadOutcome.IdleTimeout,
                        StopReason.HeadTimeout => HeadOutcome.HeadTimeout,
                        _ => HeadOutcome.Stopped,
                    }, null, null);
                }
            }
            catch (IOException)
            {
                // Reset or aborted: nobody is left to answer.
                return (HeadOutcome.EndOfStream, null, null);
            }

            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            try
            {
                if (_context.Parser.TryParseRequestHead(ref reader, out var head))
                {
                    input.AdvanceTo(reader.Position);
                    // Only this loop sets _partialHead, so it can read it without the lock.
                    if (_partialHead)
                    {
                        lock (_gate)
                        {
                            _partialHead = false;
                        }

                        _headTimeout.Stop();
                    }

                    return (HeadOutcome.Parsed, head, null);
                }
            }
            catch (HttpRequestRejectedException e)
            {
                input.AdvanceTo(buffer.End);
                _headTimeout.Stop();
                return (HeadOutcome.Rejected, null, e);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                // The client closed its side; a partial head is abandoned (there is no complete request to answer).
                return (HeadOutcome.EndOfStream, null, null);
            }

            if (!buffer.IsEmpty)
            {
                bool start = false;
                lock (_gate)
                {
                    if (!_partialHead)
                    {
                        _partialHead = true;
                        start = true;
                    }
                }

                if (start)
                {
                    _headTimeout.Start();
                }
            }
        }
    }

    // A pipe per response costs more than the rest of the exchange; the write loop hands back those it has finished.
    public Pipe RentPipe()
    {
        lock (_sparePipes)
        {
            if (_sparePipes.TryPop(out var pipe))
            {
                return pipe;
            }
        }

        return new Pipe(_responseOptions);
    }

    public void ReturnPipe(Pipe pipe)
    {
        lock (_sparePipes)
        {
            if (_sparePipes.Count < _context.Limits.MaxPipelinedRequests)
            {
                _sparePipes.Push(pipe);
            }
        }
    }

    /// <remarks>
    /// Only the read loop writes directly, from a handler it is running synchronously (the handler completed its
    /// response without awaiting): it holds the writer role or takes it, so nothing else writes the output meanwhile,
    /// and the response is at the head of the queue, so the order holds. A response that closes the connection, or
    /// any other case, goes through its pipe.
    /// </remarks>
    public bool TryBeginDirectWrite(OutgoingResponse response, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PipeWriter? output)
    {
        output = null;
        if (Volatile.Read(ref _inlineThreadId) != Environment.CurrentManagedThreadId)
        {
            return false;
        }

        lock (_gate)
        {
            if (!_readLoopWriting)
            {
                if (_writerBusy)
                {
                    return false;
                }

                _writerBusy = true;
                _readLoopWriting = true;
            }

            if (!_queue.TryPeek(out var head) || head != response)
            {
                return false;
            }
        }

        if (!_outputOpen)
        {
            return false;
        }

        output = _transport.Output;
        return true;
    }

    public void EndDirectWrite(OutgoingResponse response)
    {
        Debug.Assert(_readLoopWriting && !response.ClosesConnection && !response.Upgrades, "only the read loop writes directly, and never a closing response");
        FinishResponse(response, sent: true);
    }

    private void Enqueue(OutgoingResponse response)
    {
        lock (_gate)
        {
            _inFlight++;
            _queue.Enqueue(response);
        }
    }

    /// <summary>
    /// Read loop: copies the responses at the head of the queue that are ready to the transport, without waiting and
    /// without flushing. It takes the writer role if nobody holds it and keeps it until <see cref="HandOffWriterAsync"/>,
    /// so the responses of a pipelined batch that complete as they are handled leave in one flush, with no thread hop.
    /// </summary>
    private async ValueTask WriteReadyResponsesAsync()
    {
        if (!_readLoopWriting)
        {
            lock (_gate)
            {
                if (_writerBusy)
                {
                    // The write loop is at it; it takes everything queued before it lets go.
                    return;
                }

                _writerBusy = true;
            }

            _readLoopWriting = true;
        }

        await WriteQueuedAsync(wait: false).ConfigureAwait(false);
    }

    /// <summary>
    /// Read loop, before it waits for anything: flushes what it wrote and gives up the writer role, and wakes the
    /// write loop if responses are queued (a handler still running, or one that streams while this loop waits).
    /// </summary>
    private async ValueTask HandOffWriterAsync()
    {
        if (_readLoopWriting)
        {
            await FlushOutputAsync().ConfigureAwait(false);
            _readLoopWriting = false;
            lock (_gate)
            {
                _writerBusy = false;
            }
        }

        bool wake;
        lock (_gate)
        {
            wake = !_writerBusy && _queue.Count > 0;
        }

        if (wake)
        {
            _writerWake.Release();
        }
    }

    /// <summary>
    /// Read loop: gives up the writer role without flushing, before it runs a handler. What it wrote stays buffered
    /// for the next holder, which flushes before it lets go (the read loop takes the role back right after a handler
    /// that did not block).
    /// </summary>
    private void ReleaseWriterRole()
    {
        if (_readLoopWriting)
        {
            _readLoopWriting = false;
            lock (_gate)
            {
                _writerBusy = false;
            }
        }
    }

    /// <summary>A producer's flush is waiting for its response to drain: the write loop must copy it.</summary>
    public void WakeWriter()
    {
        bool wake;
        lock (_gate)
        {
            wake = !_writerBusy && _queue.Count > 0;
        }

        if (wake)
        {
            _writerWake.Release();
        }
    }

    /// <summary>
    /// Writes what the read loop left queued: each response as it completes, in order. It runs when woken and holds
    /// the writer role until the queue is empty; it ends once the read loop has ended and everything is written.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        while (true)
        {
            await _writerWake.WaitAsync().ConfigureAwait(false);
            lock (_gate)
            {
                if (_writerBusy)
                {
                    // The read loop took the role back; it wakes this loop again when it lets go.
                    continue;
                }

                _writerBusy = true;
            }

            bool done = false;
            while (true)
            {
                await WriteQueuedAsync(wait: true).ConfigureAwait(false);
                await FlushOutputAsync().ConfigureAwait(false);
                lock (_gate)
                {
                    if (_queue.Count > 0)
                    {
                        continue;
                    }

                    _writerBusy = false;
                    done = _queueCompleted;
                }

                break;
            }

            if (done)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Copies queued responses to the transport in order, for the holder of the writer role. With
    /// <paramref name="wait"/> it waits for each response to complete; without, it stops at the first that is not
    /// complete, which stays at the head of the queue with what was copied of it.
    /// </summary>
    private async ValueTask WriteQueuedAsync(bool wait)
    {
        OutgoingResponse? response;
        lock (_gate)
        {
            _queue.TryPeek(out response);
        }

        while (response is not null)
        {
            bool sent = false;
            if (_outputOpen)
            {
                bool? copied = await CopyResponseAsync(response, wait).ConfigureAwait(false);
                if (copied is not { } completed)
                {
                    return;
                }

                sent = completed;
                if (!sent || response.ClosesConnection || response.Upgrades)
                {
                    CloseOutput();
                }
            }
            else
            {
                // The connection is closing: later responses are dropped, and completing their readers releases any
                // handler waiting to flush (Ktor KTOR-9741).
                await response.Reader.CompleteAsync().ConfigureAwait(false);
            }

            response = FinishResponse(response, sent);
        }
    }

    /// <summary>Takes the written (or dropped) head of the queue out, frees its slot, and returns the next head.</summary>
    private OutgoingResponse? FinishResponse(OutgoingResponse response, bool sent)
    {
        response.SetWritten(sent);
        TaskCompletionSource? freed;
        OutgoingResponse? next;
        lock (_gate)
        {
            var head = _queue.Dequeue();
            Debug.Assert(head == response, "responses leave in order");
            _inFlight--;
            if (_inFlight == 0 && _waitingIdle)
            {
                _idleTimeout.Start();
            }

            _freeSlots++;
            freed = _slotFreed;
            _slotFreed = null;
            _queue.TryPeek(out next);
        }

        freed?.TrySetResult();
        return next;
    }

    /// <summary>Flushes the transport's output if anything is buffered; when it can no longer send, the output closes.</summary>
    private async ValueTask FlushOutputAsync()
    {
        if (_outputOpen && !await FlushAsync(_transport.Output).ConfigureAwait(false))
        {
            CloseOutput();
        }
    }

    private void CloseOutput()
    {
        _outputOpen = false;
        StopReading();
    }

    /// <summary>Flushes <paramref name="output"/> if anything is buffered; false when the connection can no longer send.</summary>
    private static async ValueTask<bool> FlushAsync(PipeWriter output)
    {
        if (output.UnflushedBytes == 0)
        {
            return true;
        }

        var flush = await output.FlushAsync().ConfigureAwait(false);
        return !flush.IsCompleted;
    }

    /// <summary>
    /// Copies one response to the transport's output: true once all of it was copied, false when it could not be
    /// (the connection failed or the response broke), null when <paramref name="wait"/> is false and the rest of it is
    /// not there yet. Its bytes are flushed before the copy waits for more of them, when a batch reaches half the send
    /// buffer, and at its end if the connection leaves HTTP after it (close or upgrade: nothing else is written after
    /// it); otherwise whoever writes next, or hands the writer role off, flushes them.
    /// </summary>
    private async ValueTask<bool?> CopyResponseAsync(OutgoingResponse response, bool wait)
    {
        var output = _transport.Output;
        var reader = response.Reader;
        long flushThreshold = Math.Max(1, _context.Settings.MaxSendBufferSize / 2);
        try
        {
            while (true)
            {
                if (!reader.TryRead(out var result))
                {
                    if (!wait)
                    {
                        return null;
                    }

                    if (!await FlushAsync(output).ConfigureAwait(false))
                    {
                        await reader.CompleteAsync().ConfigureAwait(false);
                        return false;
                    }

                    // Aborting the connection must also free this loop from a response whose handler never completes.
                    result = await reader.ReadAsync(_aborted.Token).ConfigureAwait(false);
                }

                foreach (var segment in result.Buffer)
                {
                    output.Write(segment.Span);
                }

                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    await reader.CompleteAsync().ConfigureAwait(false);
                    // Its producer completed it without an error and is done with it: the pipe can serve another response.
                    ReturnPipe(response.DetachPipe());
                    bool last = response.ClosesConnection || response.Upgrades;
                    return !last || await FlushAsync(output).ConfigureAwait(false);
                }

                if (output.UnflushedBytes >= flushThreshold && !await FlushAsync(output).ConfigureAwait(false))
                {
                    await reader.CompleteAsync().ConfigureAwait(false);
                    return false;
                }
            }
        }
        catch (Exception e)
        {
            // The handler broke its response after it started, or the socket failed: a reset is the only honest end.
            await reader.CompleteAsync(e).ConfigureAwait(false);
            Abort();
            return false;
        }
    }

    private void StopReading()
    {
        lock (_gate)
        {
            if (_stopReason == StopReason.None)
            {
                _stopReason = StopReason.Closing;
            }
        }

        CancelQuietly(_stopReading);
    }

    private void OnIdleTimeout()
    {
        lock (_gate)
        {
            if (!_waitingIdle || _inFlight != 0 || _stopReason != StopReason.None)
            {
                return;
            }

            _stopReason = StopReason.IdleTimeout;
        }

        CancelQuietly(_stopReading);
    }

    private void OnHeadTimeout()
    {
        lock (_gate)
        {
            if (!_partialHead || _stopReason != StopReason.None)
            {
                return;
            }

            _stopReason = StopReason.HeadTimeout;
        }

        CancelQuietly(_stopReading);
    }

    private async Task CloseAsync()
    {
        if (_transport.IsAborted)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
            return;
        }

        // RFC 9112 §9.6: "a server ... SHOULD initiate a close of only the write side of its connection (a half close)
        // ... and continue to read from the connection until it receives a corresponding close by the client, or until
        // the server is reasonably certain that its own TCP stack has received the client's acknowledgement".
        await _transport.Output.CompleteAsync().ConfigureAwait(false);
        var linger = _context.Timeouts.Create(s_lingerTimeout, static s => ((Http1Connection)s!).OnLingerTimeout(), this);
        linger.Start();
        try
        {
            long discarded = 0;
            while (discarded <= LingerMaxBytes)
            {
                var result = await _transport.Input.ReadAsync(_lingering.Token).ConfigureAwait(false);
                discarded += result.Buffer.Length;
                _transport.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // Lingering is best effort: the client reset, the linger time is up, or the server is stopping.
        }
        finally
        {
            linger.Stop();
        }

        await _transport.DisposeAsync().ConfigureAwait(false);
    }

    private void OnLingerTimeout()
    {
        CancelQuietly(_lingering);
        // A client that neither reads nor closes must not keep the connection: DisposeAsync would wait for the send
        // buffer to drain forever.
        _transport.Abort();
    }
}
