using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Pipelines;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Body;
using Rx.WebSockets.Server.Internal;

namespace Rx.WebSockets.Server;

/// <summary>
/// The response to one request of an <see cref="HttpServer"/>: status, headers and a body written through
/// <see cref="Body"/> (a <see cref="PipeWriter"/>) or <see cref="BodyStream"/>.
/// </summary>
/// <remarks>
/// <para>
/// Framing is the server's: body bytes are buffered until the first flush. A handler that writes its whole body and
/// returns without flushing gets a <c>Content-Length</c> response; once it flushes (or calls
/// <see cref="StartAsync"/>) before the end, the head is sent with <c>Transfer-Encoding: chunked</c> to an HTTP/1.1
/// client, or with no length and <c>Connection: close</c> to an HTTP/1.0 client (RFC 9112 §6.3: the body then ends
/// with the connection). A <c>Content-Length</c> set in <see cref="Headers"/> is used as is, and the body must match it.
/// </para>
/// <para>
/// The server adds <c>Date</c> (RFC 9110 §6.6.1) and <c>Connection</c> where needed. A response to <c>HEAD</c> carries
/// the headers the same <c>GET</c> would (including the <c>Content-Length</c> of what the handler wrote) and no body
/// (RFC 9110 §9.3.2); so do 1xx, 204 and 304 responses (RFC 9112 §6.3 rule 1).
/// </para>
/// <para>
/// Thread-safety: use the response from one thread at a time (the handler's). <see cref="Headers"/>,
/// <see cref="StatusCode"/> and <see cref="ReasonPhrase"/> must be set before the response starts.
/// </para>
/// </remarks>
public sealed class HttpResponse
{
    // RFC 9110 §15.2.1; sent ahead of the final response when a handler reads a body the client announced with
    // "Expect: 100-continue".
    private static readonly byte[] s_continue = "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray();

    // The pieces of a head written directly (WriteHeadDirect); status lines are cached as they are first used.
    private static readonly byte[]?[] s_statusLines = new byte[]?[600];
    private static readonly byte[] s_contentLengthName = "Content-Length: "u8.ToArray();
    private static readonly byte[] s_chunkedLine = "Transfer-Encoding: chunked\r\n"u8.ToArray();
    private static readonly byte[] s_closeLine = "Connection: close\r\n"u8.ToArray();
    private static readonly byte[] s_keepAliveLine = "Connection: keep-alive\r\n"u8.ToArray();
    private static readonly byte[] s_colonSpace = ": "u8.ToArray();
    private static readonly byte[] s_crlf = "\r\n"u8.ToArray();

    private readonly HttpExchange _exchange;
    private readonly OutgoingResponse _outgoing;
    // What the handler wrote since its last flush; a flush moves it to _outgoing.
    private ResponseBuffer _unflushed; // a mutable struct: used only through this field, never copied
    private readonly ResponseBodyWriter _body;
    // The write lock (one of the handler's writes, the 100 Continue, completion at a time) as a counter: holders plus
    // waiters. Taking it uncontended is one interlocked increment; the semaphore that queues waiters is created only
    // when one has to wait.
    private int _lockCount;
    private SemaphoreSlim? _lockWaiters;
    private Stream? _bodyStream;
    private int _statusCode = HttpStatus.OK;
    private string? _reasonPhrase;
    private State _state;
    private Framing _framing;
    private bool _discardBody;
    private long _declaredLength;
    private long _bodyLength;

    internal HttpResponse(HttpExchange exchange, OutgoingResponse outgoing)
    {
        _exchange = exchange;
        _outgoing = outgoing;
        _body = new ResponseBodyWriter(this);
    }

    private enum State
    {
        NotStarted,
        Started,
        Completed,
    }

    /// <summary>What <see cref="PlanHeadLocked"/> decided: which writer, and the fields the server adds.</summary>
    /// <summary>
    /// An async lock kept in two fields of its owner: a count of holders plus waiters, and a semaphore that queues the
    /// waiters, created only when one has to wait (a benaphore). Taking it uncontended is one interlocked increment and
    /// allocates nothing.
    /// </summary>
    /// <remarks>
    /// A token cancelled before the call fails it; a waiter is not taken out of the queue once in it (it gets the lock
    /// when the holder lets go, and the caller then checks its token): only a caller that breaks the response's
    /// one-thread-at-a-time rule waits here at all. Thread-safety: any thread.
    /// </remarks>
    internal static class CountingLock
    {
        /// <summary>Takes the lock, waiting for it if it is held.</summary>
        public static ValueTask EnterAsync(ref int count, ref SemaphoreSlim? waiters, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellationToken);
            }

            // The first to count in holds the lock; each later one waits for a release by the holder before it.
            return Interlocked.Increment(ref count) == 1 ? default : new ValueTask(GetWaiters(ref waiters).WaitAsync(CancellationToken.None));
        }

        /// <summary>Lets go of the lock, handing it to one waiter if any counted in.</summary>
        public static void Exit(ref int count, ref SemaphoreSlim? waiters)
        {
            if (Interlocked.Decrement(ref count) > 0)
            {
                GetWaiters(ref waiters).Release();
            }
        }

        private static SemaphoreSlim GetWaiters(ref SemaphoreSlim? waiters)
        {
            var existing = Volatile.Read(ref waiters);
            if (existing is null)
            {
                var created = new SemaphoreSlim(0);
                existing = Interlocked.CompareExchange(ref waiters, created, null) ?? created;
            }

            return existing;
        }
    }

    private readonly record struct HeadPlan(bool Direct, bool HasDate, long? AddedContentLength, bool Close, bool KeepAlive);

    private enum Framing
    {
        None,
        ContentLength,
        Chunked,
        CloseDelimited,
    }

    /// <summary>The status code; 200 unless set. Settable until the response starts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 200 and 599 (1xx responses are the server's).</exception>
    /// <exception cref="InvalidOperationException">The response has started.</exception>
    public int StatusCode
    {
        get => _statusCode;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 200);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 599);
            ThrowIfStarted();
            _statusCode = value;
        }
    }

    /// <summary>The reason phrase; null for the standard one of <see cref="StatusCode"/>. Settable until the response starts.</summary>
    /// <exception cref="InvalidOperationException">The response has started.</exception>
    public string? ReasonPhrase
    {
        get => _reasonPhrase;
        set
        {
            ThrowIfStarted();
            _reasonPhrase = value;
        }
    }

    /// <summary>The header fields the handler sends; changes after the response started have no effect.</summary>
    public HttpHeaders Headers { get; } = new();

    /// <summary>Whether the head has been handed to the connection (after a flush, <see cref="StartAsync"/> or completion).</summary>
    public bool HasStarted => _state != State.NotStarted;

    /// <summary>
    /// The body. Bytes are buffered until <see cref="PipeWriter.FlushAsync"/>; a flush starts the response and waits
    /// while the connection's send buffer is full (backpressure). Completing it ends the response.
    /// </summary>
    public PipeWriter Body => _body;

    /// <summary>The body as a <see cref="Stream"/> (each write flushes); disposing it ends the response.</summary>
    public Stream BodyStream => _bodyStream ??= _body.AsStream();

    /// <summary>Sends the head now, before the body is known: the body is then chunked (HTTP/1.1) unless <c>Content-Length</c> is set.</summary>
    /// <param name="cancellationToken">Cancels waiting for buffer space.</param>
    /// <returns>A task that completes when the head is buffered for sending.</returns>
    /// <exception cref="InvalidOperationException">A header cannot be written (see <see cref="HttpResponseHead.Write"/>).</exception>
    public Task StartAsync(CancellationToken cancellationToken = default) => FlushCoreAsync(cancellationToken).AsTask();

    /// <summary>Ends the response now: writes what is buffered and the end of the body. Later writes fail.</summary>
    /// <returns>A task that completes when the response is buffered for sending.</returns>
    /// <exception cref="InvalidOperationException">Fewer bytes were written than a declared <c>Content-Length</c>; the connection is aborted.</exception>
    public Task CompleteAsync() => CompleteCoreAsync(handlerError: null);

    /// <summary>Writes <paramref name="data"/> to the body and flushes it.</summary>
    /// <param name="data">The bytes.</param>
    /// <param name="cancellationToken">Cancels waiting for buffer space.</param>
    /// <returns>A task that completes when the bytes are buffered for sending.</returns>
    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        await _body.WriteAsync(data, cancellationToken).ConfigureAwait(false);

    /// <summary>Writes <paramref name="text"/> as UTF-8 to the body without flushing, so that a handler that returns next sends a <c>Content-Length</c>.</summary>
    /// <param name="text">The text.</param>
    public void Write(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, text.AsSpan(), (IBufferWriter<byte>)_body);
    }

    /// <summary>Sends <c>100 Continue</c> ahead of the response, if it has not started (RFC 9110 §10.1.1).</summary>
    internal async ValueTask<bool> SendContinueAsync()
    {
        await EnterWriteLockAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_state != State.NotStarted)
            {
                return false;
            }

            await _outgoing.Writer.WriteAsync(s_continue).ConfigureAwait(false);
            return true;
        }
        finally
        {
            ExitWriteLock();
        }
    }

    /// <summary>
    /// Writes a complete response produced elsewhere (the handshake's 101 or its rejection) in place of this one.
    /// </summary>
    /// <param name="write">Writes the head and body.</param>
    /// <param name="upgrades">Whether it is a 101: the connection leaves HTTP once it is sent.</param>
    /// <param name="closes">Whether it closes the connection.</param>
    internal async Task WriteFinalAsync(Action<IBufferWriter<byte>> write, bool upgrades, bool closes)
    {
        await EnterWriteLockAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_state != State.NotStarted)
            {
                throw new InvalidOperationException("The response has started; the request can no longer be upgraded.");
            }

            write(_outgoing.Writer);
            _state = State.Completed;
            _outgoing.Upgrades = upgrades;
            _outgoing.ClosesConnection = closes;
            await _outgoing.Writer.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            ExitWriteLock();
        }
    }

    /// <summary>Ends the response after the handler returned (or threw <paramref name="handlerError"/>).</summary>
    internal async Task CompleteCoreAsync(Exception? handlerError)
    {
        await EnterWriteLockAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_state == State.Completed)
            {
                return;
            }

            if (handlerError is not null)
            {
                FailLocked(handlerError);
                return;
            }

            if (_state == State.NotStarted)
            {
                // Nothing was flushed, so everything written is still buffered: the whole body is known and goes out
                // with its length (RFC 9112 §6.2).
                try
                {
                    var plan = PlanHeadLocked(Headers, knownLength: _unflushed.Length);
                    bool lengthMatches = _framing != Framing.ContentLength || _discardBody || _declaredLength == _unflushed.Length;
                    if (!plan.Close && lengthMatches && _outgoing.TryBeginDirectWrite(out var output))
                    {
                        // Its turn has come and nothing else is writing: the response goes straight to the connection.
                        EmitHeadLocked(Headers, plan, output);
                        MoveUnflushedLocked(output);
                        _state = State.Completed;
                        _outgoing.EndDirectWrite();
                        return;
                    }

                    EmitHeadLocked(Headers, plan, _outgoing.Writer);
                }
                catch (InvalidOperationException e)
                {
                    // A header the handler set cannot be written (not a token, CR/LF in a value, a bad Content-Length).
                    // Nothing reached the wire, so the client gets a 500 like for any other handler bug.
                    FailLocked(e);
                    return;
                }
            }

            MoveUnflushedLocked(_outgoing.Writer);
            if (_framing == Framing.Chunked && !_discardBody)
            {
                ChunkedEncoder.WriteLastChunk(_outgoing.Writer);
            }
            else if (_framing == Framing.ContentLength && _bodyLength != _declaredLength && !_discardBody)
            {
                // RFC 9112 §6.3: a shorter body than announced would make the client wait for bytes that never come,
                // or read the next response as body; aborting is the only honest end.
                var error = new InvalidOperationException(
                    $"Response Content-Length mismatch: {_bodyLength} of {_declaredLength} bytes written.");
                _state = State.Completed;
                await _outgoing.Writer.CompleteAsync(error).ConfigureAwait(false);
                throw error;
            }

            // Completing commits what was written without waiting for buffer space: the write loop takes it from here.
            _state = State.Completed;
            await _outgoing.Writer.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            // Returns the body's pooled arrays; the handler can no longer write (the state is Completed).
            _unflushed.Clear();
            ExitWriteLock();
        }
    }

    internal async ValueTask<FlushResult> FlushCoreAsync(CancellationToken cancellationToken)
    {
        await EnterWriteLockAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The token may have been cancelled while this flush waited for the lock: it must then change nothing.
            cancellationToken.ThrowIfCancellationRequested();
            if (_state == State.Completed)
            {
                throw new InvalidOperationException("The response has completed.");
            }

            if (_state == State.NotStarted)
            {
                WriteHeadLocked(Headers, knownLength: null);
            }

            MoveUnflushedLocked(_outgoing.Writer);
            var flushing = _outgoing.Writer.FlushAsync(cancellationToken);
            if (!flushing.IsCompleted)
            {
                // The response's buffer is full: whoever writes the connection must drain it, even if the handler
                // blocks its thread on this flush.
                _outgoing.WakeWriter();
            }

            return await flushing.ConfigureAwait(false);
        }
        finally
        {
            ExitWriteLock();
        }
    }

    internal Memory<byte> GetMemory(int sizeHint)
    {
        ThrowIfCompleted();
        return _unflushed.GetMemory(sizeHint);
    }

    internal Span<byte> GetSpan(int sizeHint)
    {
        ThrowIfCompleted();
        return _unflushed.GetSpan(sizeHint);
    }

    internal void Advance(int bytes)
    {
        ThrowIfCompleted();
        _unflushed.Advance(bytes);
    }

    internal long UnflushedBytes => _state == State.Completed ? 0 : _unflushed.Length;

    internal void CancelPendingFlush()
    {
        if (_state != State.Completed)
        {
            _outgoing.Writer.CancelPendingFlush();
        }
    }

    private ValueTask EnterWriteLockAsync(CancellationToken cancellationToken) =>
        CountingLock.EnterAsync(ref _lockCount, ref _lockWaiters, cancellationToken);

    private void ExitWriteLock() => CountingLock.Exit(ref _lockCount, ref _lockWaiters);

    private void FailLocked(Exception handlerError)
    {
        bool started = _state != State.NotStarted;
        _state = State.Completed;
        if (!started)
        {
            // Nothing reached the wire: answer in place of the handler. A refused body keeps its status and fixed
            // text; anything else is a 500 without the exception text, which may hold secrets.
            var rejected = handlerError as HttpRequestRejectedException;
            if (rejected is not null)
            {
                _exchange.MarkConnectionUnusable();
            }

            _statusCode = rejected?.StatusCode ?? HttpStatus.InternalServerError;
            _reasonPhrase = null;
            var body = System.Text.Encoding.UTF8.GetBytes(rejected?.Message ?? "Internal Server Error");
            var headers = new HttpHeaders().Add("Content-Type", "text/plain; charset=utf-8");
            WriteHeadLocked(headers, knownLength: body.Length);
            if (!_discardBody)
            {
                _outgoing.Writer.Write(body);
            }

            _outgoing.Writer.Complete();
            return;
        }

        // The head is out: the only way to tell the client the response is broken is to cut the connection.
        _outgoing.Writer.Complete(new IOException("The request handler failed after the response started.", handlerError));
    }

    private void WriteHeadLocked(HttpHeaders handlerHeaders, long? knownLength) =>
        EmitHeadLocked(handlerHeaders, PlanHeadLocked(handlerHeaders, knownLength), _outgoing.Writer);

    /// <summary>Decides the framing and the connection handling of the head; writes nothing.</summary>
    private HeadPlan PlanHeadLocked(HttpHeaders handlerHeaders, long? knownLength)
    {
        var request = _exchange.Request;
        bool isHead = request.Method == HttpMethods.Head;
        // RFC 9112 §6.3 rule 1: responses to HEAD, and 1xx, 204 and 304 responses, end with their head.
        bool bodyAllowed = _statusCode is not (HttpStatus.NoContent or HttpStatus.NotModified);

        // One pass over the handler's fields finds those the server adds or owns.
        bool hasDate = false;
        bool hasTransferEncoding = false;
        bool hasConnection = false;
        string? declared = null;
        for (int i = 0; i < handlerHeaders.Count; i++)
        {
            string name = handlerHeaders[i].Key;
            hasDate |= string.Equals(name, "Date", StringComparison.OrdinalIgnoreCase);
            hasTransferEncoding |= string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase);
            hasConnection |= string.Equals(name, "Connection", StringComparison.OrdinalIgnoreCase);
            if (declared is null && string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                declared = handlerHeaders[i].Value;
            }
        }

        long? addedContentLength = null;
        if (!bodyAllowed)
        {
            _framing = Framing.None;
        }
        else if (declared is not null)
        {
            if (!long.TryParse(declared, NumberStyles.None, CultureInfo.InvariantCulture, out _declaredLength))
            {
                throw new InvalidOperationException($"The response's Content-Length '{declared}' is not a number.");
            }

            _framing = Framing.ContentLength;
        }
        else if (knownLength is { } length)
        {
            _framing = Framing.ContentLength;
            _declaredLength = length;
            addedContentLength = length;
        }
        else if (request.Version == HttpVersion.Http11)
        {
            _framing = Framing.Chunked;
        }
        else
        {
            // RFC 9112 §6.1: chunked is not sent to an HTTP/1.0 recipient; the body ends when the connection does.
            _framing = Framing.CloseDelimited;
        }

        bool close = _framing == Framing.CloseDelimited
            || _exchange.MustCloseAfterResponse
            || (hasConnection && handlerHeaders.ContainsToken("Connection", "close"));

        // RFC 9112 Appendix C.2.2: an HTTP/1.0 client keeps the connection only if the response says keep-alive.
        bool keepAlive = !close && request.Version == HttpVersion.Http10 && !hasConnection;
        _discardBody = isHead || !bodyAllowed;

        // The usual response has nothing of the handler's to merge or drop, so its head is written as it is built.
        bool direct = !hasDate && !hasTransferEncoding && !hasConnection && _reasonPhrase is null;
        return new HeadPlan(direct, hasDate, addedContentLength, close, keepAlive);
    }

    /// <summary>Writes the head planned by <see cref="PlanHeadLocked"/> to <paramref name="output"/>; the response starts.</summary>
    private void EmitHeadLocked(HttpHeaders handlerHeaders, HeadPlan plan, IBufferWriter<byte> output)
    {
        if (plan.Direct)
        {
            WriteHeadDirect(handlerHeaders, plan.AddedContentLength, plan.Close, plan.KeepAlive, output);
        }
        else
        {
            WriteHeadMerged(handlerHeaders, plan.HasDate, plan.AddedContentLength, plan.Close, plan.KeepAlive, output);
        }

        if (plan.Close)
        {
            _outgoing.ClosesConnection = true;
        }

        _state = State.Started;
    }

    /// <summary>
    /// Writes the head when the handler set none of Date, Transfer-Encoding and Connection and no reason phrase: the
    /// same bytes <see cref="WriteHeadMerged"/> would write, without building a header list and a head object.
    /// </summary>
    private void WriteHeadDirect(HttpHeaders handlerHeaders, long? addedContentLength, bool close, bool keepAlive, IBufferWriter<byte> output)
    {
        byte[] statusLine = GetStatusLine(_statusCode);
        byte[] dateLine = _exchange.DateFieldLine;

        // Validate everything before writing anything (as HttpResponseHead.Write): a refused head leaves no bytes.
        int length = statusLine.Length + dateLine.Length;
        for (int i = 0; i < handlerHeaders.Count; i++)
        {
            var (name, value) = handlerHeaders[i];
            if (!HttpSyntax.IsToken(name))
            {
                throw new InvalidOperationException("A header field name is not a token (RFC 9110 §5.1).");
            }

            // RFC 9110 §5.5: "Field values containing CR, LF, or NUL characters are invalid and dangerous".
            if (!HttpSyntax.IsFieldValue(value))
            {
                throw new InvalidOperationException($"The value of header field '{name}' contains CR, LF, NUL or another character not allowed in a field value.");
            }

            length += name.Length + 2 + value.Length + 2;
        }

        Span<byte> digits = stackalloc byte[20];
        int digitCount = 0;
        if (addedContentLength is { } contentLength)
        {
            contentLength.TryFormat(digits, out digitCount, default, CultureInfo.InvariantCulture);
            length += s_contentLengthName.Length + digitCount + 2;
        }
        else if (_framing == Framing.Chunked)
        {
            length += s_chunkedLine.Length;
        }

        length += (close ? s_closeLine.Length : keepAlive ? s_keepAliveLine.Length : 0) + 2;

        var span = output.GetSpan(length);
        int written = Append(span, statusLine);
        written += Append(span[written..], dateLine);
        for (int i = 0; i < handlerHeaders.Count; i++)
        {
            var (name, value) = handlerHeaders[i];
            written += Encoding.Latin1.GetBytes(name, span[written..]);
            written += Append(span[written..], s_colonSpace);
            written += Encoding.Latin1.GetBytes(value, span[written..]);
            written += Append(span[written..], s_crlf);
        }

        if (addedContentLength is not null)
        {
            written += Append(span[written..], s_contentLengthName);
            written += Append(span[written..], digits[..digitCount]);
            written += Append(span[written..], s_crlf);
        }
        else if (_framing == Framing.Chunked)
        {
            written += Append(span[written..], s_chunkedLine);
        }

        if (close)
        {
            written += Append(span[written..], s_closeLine);
        }
        else if (keepAlive)
        {
            written += Append(span[written..], s_keepAliveLine);
        }

        written += Append(span[written..], s_crlf);
        Debug.Assert(written == length, $"Measured {length} bytes but wrote {written}.");
        output.Advance(written);
    }

    /// <summary>Writes the head through a merged header list: the handler's fields plus the server's, in their order.</summary>
    private void WriteHeadMerged(HttpHeaders handlerHeaders, bool hasDate, long? addedContentLength, bool close, bool keepAlive, IBufferWriter<byte> output)
    {
        var headers = new HttpHeaders();
        if (!hasDate)
        {
            headers.Add("Date", _exchange.Date);
        }

        foreach (var (name, value) in handlerHeaders)
        {
            if (string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                // The server owns the transfer coding; a handler that asks for chunked gets it anyway.
                continue;
            }

            headers.Add(name, value);
        }

        if (addedContentLength is { } length)
        {
            headers.Add("Content-Length", length.ToString(CultureInfo.InvariantCulture));
        }
        else if (_framing == Framing.Chunked)
        {
            headers.Add("Transfer-Encoding", "chunked");
        }

        if (close)
        {
            if (!headers.ContainsToken("Connection", "close"))
            {
                string? connection = headers.Get("Connection");
                headers.Set("Connection", connection is null ? "close" : connection + ", close");
            }
        }
        else if (keepAlive)
        {
            headers.Add("Connection", "keep-alive");
        }

        new HttpResponseHead(_statusCode, headers, _reasonPhrase).Write(output);
    }

    private static byte[] GetStatusLine(int statusCode)
    {
        // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF. Built once per status.
        return s_statusLines[statusCode] ??= Encoding.Latin1.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"HTTP/1.1 {statusCode} {HttpStatus.GetReasonPhrase(statusCode)}\r\n"));
    }

    private static int Append(Span<byte> destination, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination);
        return bytes.Length;
    }

    private void MoveUnflushedLocked(IBufferWriter<byte> output)
    {
        long length = _unflushed.Length;
        if (length == 0)
        {
            return;
        }

        try
        {
            if (_framing == Framing.ContentLength && !_discardBody && _bodyLength + length > _declaredLength)
            {
                throw new InvalidOperationException(
                    $"Response Content-Length mismatch: too many bytes written ({_bodyLength + length} > {_declaredLength}).");
            }

            _bodyLength += length;
            if (_discardBody)
            {
                return;
            }

            for (int i = 0; i < _unflushed.SegmentCount; i++)
            {
                if (_framing == Framing.Chunked)
                {
                    ChunkedEncoder.WriteChunk(_unflushed.GetSegment(i), output);
                }
                else
                {
                    output.Write(_unflushed.GetSegment(i));
                }
            }
        }
        finally
        {
            _unflushed.Clear();
        }
    }

    private void ThrowIfStarted()
    {
        if (_state != State.NotStarted)
        {
            throw new InvalidOperationException("The response has started; status and headers can no longer change.");
        }
    }

    private void ThrowIfCompleted()
    {
        if (_state == State.Completed)
        {
            throw new InvalidOperationException("The response has completed.");
        }
    }

    /// <summary>The <see cref="PipeWriter"/> of <see cref="Body"/>.</summary>
    private sealed class ResponseBodyWriter : PipeWriter
    {
        private readonly HttpResponse _response;

        public ResponseBodyWriter(HttpResponse response) => _response = response;

        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => _response.UnflushedBytes;

        public override void Advance(int bytes) => _response.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _response.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _response.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
            _response.FlushCoreAsync(cancellationToken);

        public override void CancelPendingFlush() => _response.CancelPendingFlush();

        public override void Complete(Exception? exception = null) =>
            _response.CompleteCoreAsync(exception).GetAwaiter().GetResult();

        public override async ValueTask CompleteAsync(Exception? exception = null) =>
            await _response.CompleteCoreAsync(exception).ConfigureAwait(false);
    }
}
