using System.Buffers;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// The wire bytes of one response, queued on its connection in request order: whoever produces the response writes
/// into <see cref="Writer"/>, the connection's write loop copies <see cref="Reader"/> to the socket once every
/// response before it has been written (ordered pipelining, RFC 9112 §9.3.2).
/// </summary>
/// <remarks>
/// The pipe's pause threshold bounds what a response buffers while it waits for its turn: the producer's flushes
/// wait, which is the backpressure on handlers of pipelined requests. Completing <see cref="Writer"/> with an
/// exception tells the write loop to abort the connection (the response is unusable).
/// <para>
/// The pipe is the connection's, rented when the producer or the write loop first needs it. Once the write loop has
/// copied a response that completed normally, it takes the pipe back (<see cref="DetachPipe"/>) for a later response,
/// and this object keeps only its flags. A response that is complete before anything was written to its pipe, and
/// whose turn it is, may skip the pipe: <see cref="TryBeginDirectWrite"/> hands the producer the connection's own
/// output, as Kestrel writes responses.
/// </para>
/// Thread-safety: one producer and the write loop.
/// </remarks>
internal sealed class OutgoingResponse
{
    // Stands for "already written" in _written, so that Written after SetWritten needs no task of its own.
    private static readonly TaskCompletionSource s_written = CreateWritten();

    // Stands for "written, no pipe any more" in _wire.
    private static readonly Pipe s_detached = new();

    private readonly IResponseQueue? _queue;
    private Pipe? _wire;
    private TaskCompletionSource? _written;
    private volatile bool _closesConnection;
    private volatile bool _upgrades;

    /// <summary>Creates a response slot that carries its bytes through <paramref name="wire"/>.</summary>
    /// <param name="wire">A new or reset pipe, with options from <see cref="CreatePipeOptions"/>.</param>
    public OutgoingResponse(Pipe wire) => _wire = wire;

    /// <summary>Creates a response slot of <paramref name="queue"/>, whose pipe is rented from it when first needed.</summary>
    /// <param name="queue">The connection that queues the response.</param>
    public OutgoingResponse(IResponseQueue queue) => _queue = queue;

    /// <summary>Where the producer writes the response's bytes.</summary>
    /// <exception cref="InvalidOperationException">The response has been written and its pipe taken back.</exception>
    public PipeWriter Writer => Wire.Writer;

    /// <summary>What the write loop copies to the socket.</summary>
    /// <exception cref="InvalidOperationException">The response has been written and its pipe taken back.</exception>
    public PipeReader Reader => Wire.Reader;

    private Pipe Wire
    {
        get
        {
            var wire = Volatile.Read(ref _wire);
            if (wire is null)
            {
                // The producer and the write loop may both be first: one rented pipe wins, the other goes back.
                var rented = _queue!.RentPipe();
                wire = Interlocked.CompareExchange(ref _wire, rented, null);
                if (wire is null)
                {
                    return rented;
                }

                _queue.ReturnPipe(rented);
            }

            return wire != s_detached
                ? wire
                : throw new InvalidOperationException("The response has been written; its pipe serves another response.");
        }
    }

    /// <summary>
    /// Asks the connection whether the producer may write this complete response straight to the connection's output
    /// (see <see cref="IResponseQueue.TryBeginDirectWrite"/>); nothing may have been written to the pipe.
    /// </summary>
    /// <param name="output">The connection's output, when the answer is yes.</param>
    /// <returns>Whether the producer writes to <paramref name="output"/> and then calls <see cref="EndDirectWrite"/>.</returns>
    public bool TryBeginDirectWrite([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PipeWriter? output)
    {
        output = null;
        return _queue is not null && Volatile.Read(ref _wire) is null && _queue.TryBeginDirectWrite(this, out output);
    }

    /// <summary>
    /// Tells the connection that the producer waits for this response's pipe to drain (a flush past the pause
    /// threshold), so that the write loop copies it even if the read loop is busy.
    /// </summary>
    public void WakeWriter() => _queue?.WakeWriter();

    /// <summary>Tells the connection that the whole response is in its output: it is written, and leaves the queue.</summary>
    public void EndDirectWrite()
    {
        Volatile.Write(ref _wire, s_detached);
        _queue!.EndDirectWrite(this);
    }

    /// <summary>Whether the connection closes once this response is written (it said <c>Connection: close</c>).</summary>
    public bool ClosesConnection
    {
        get => _closesConnection;
        set => _closesConnection = value;
    }

    /// <summary>Whether this response is a <c>101 Switching Protocols</c>: the connection leaves HTTP once it is written.</summary>
    public bool Upgrades
    {
        get => _upgrades;
        set => _upgrades = value;
    }

    /// <summary>Completes when the write loop has sent the whole response (or dropped it because the connection ended).</summary>
    /// <remarks>Only the upgrade waits for it, so its task is created on demand.</remarks>
    public Task Written
    {
        get
        {
            var written = Volatile.Read(ref _written);
            if (written is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                written = Interlocked.CompareExchange(ref _written, created, null) ?? created;
            }

            return written.Task;
        }
    }

    /// <summary>The options of a response pipe whose pause threshold is <paramref name="bufferSize"/>.</summary>
    /// <param name="bufferSize">The pipe's pause threshold.</param>
    /// <param name="pool">Where the pipe's blocks come from.</param>
    /// <returns>Options to share between the responses of a connection.</returns>
    public static PipeOptions CreatePipeOptions(long bufferSize, MemoryPool<byte> pool) => new(
        pool: pool,
        pauseWriterThreshold: bufferSize,
        resumeWriterThreshold: bufferSize / 2,
        readerScheduler: PipeScheduler.ThreadPool,
        writerScheduler: PipeScheduler.ThreadPool,
        useSynchronizationContext: false);

    /// <summary>Creates a complete response made of a status, <c>Connection: close</c> and a short text body.</summary>
    /// <param name="statusCode">The status.</param>
    /// <param name="text">The body: a fixed text that never quotes the request.</param>
    /// <param name="date">The <c>Date</c> header value.</param>
    /// <param name="wire">The response's pipe.</param>
    /// <returns>The response, already complete.</returns>
    public static OutgoingResponse CreateClosingError(int statusCode, string text, string date, Pipe wire)
    {
        var response = new OutgoingResponse(wire) { ClosesConnection = true };
        var body = System.Text.Encoding.UTF8.GetBytes(text);
        var headers = new HttpHeaders()
            .Add("Date", date)
            .Add("Content-Type", "text/plain; charset=utf-8")
            .Add("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("Connection", "close");
        new HttpResponseHead(statusCode, headers).Write(response.Writer);
        response.Writer.Write(body);
        response.Writer.Complete();
        return response;
    }

    /// <summary>Whether the write loop sent the whole response (false when it was dropped or the connection failed).</summary>
    public bool WasSent { get; private set; }

    /// <summary>Marks the response as sent (<paramref name="sent"/>) or dropped.</summary>
    /// <param name="sent">Whether every byte reached the transport.</param>
    public void SetWritten(bool sent)
    {
        WasSent = sent;
        // The exchange is a full fence: a waiter that sees the task complete also sees WasSent.
        Interlocked.Exchange(ref _written, s_written)?.TrySetResult();
    }

    /// <summary>
    /// Takes the pipe back for another response, reset. Only for a response whose producer completed the writer
    /// without an error (it writes nothing more) and whose reader the write loop completed.
    /// </summary>
    /// <returns>The reset pipe.</returns>
    public Pipe DetachPipe()
    {
        var wire = Wire;
        Volatile.Write(ref _wire, s_detached);
        wire.Reset();
        return wire;
    }

    private static TaskCompletionSource CreateWritten()
    {
        var written = new TaskCompletionSource();
        written.SetResult();
        return written;
    }
}

/// <summary>The connection's side of <see cref="OutgoingResponse"/>: pipes, and writing a response without one.</summary>
internal interface IResponseQueue
{
    /// <summary>A reset pipe for a response.</summary>
    /// <returns>The pipe.</returns>
    Pipe RentPipe();

    /// <summary>Takes back a pipe that was rented and not used.</summary>
    /// <param name="pipe">The pipe, reset.</param>
    void ReturnPipe(Pipe pipe);

    /// <summary>
    /// Whether <paramref name="response"/> may be written straight to the output now: every response before it is
    /// written, the caller is the one allowed to write the output, and the connection is not closing.
    /// </summary>
    /// <param name="response">The complete response, not yet written anywhere.</param>
    /// <param name="output">The connection's output, when the answer is yes.</param>
    /// <returns>Whether the caller writes the response to <paramref name="output"/>, then calls <see cref="EndDirectWrite"/>.</returns>
    bool TryBeginDirectWrite(OutgoingResponse response, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PipeWriter? output);

    /// <summary>Makes sure a writer copies the queued responses: a producer waits for its pipe to drain.</summary>
    void WakeWriter();

    /// <summary>Marks <paramref name="response"/>, written by its producer to the output, as written.</summary>
    /// <param name="response">The response.</param>
    void EndDirectWrite(OutgoingResponse response);
}
