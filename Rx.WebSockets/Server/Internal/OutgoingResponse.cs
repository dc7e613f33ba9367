using System.Buffers;
using System.IO.Pipelines;
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
/// Thread-safety: one producer and the write loop.
/// </remarks>
internal sealed class OutgoingResponse
{
    private readonly Pipe _wire;
    private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _closesConnection;
    private volatile bool _upgrades;

    public OutgoingResponse(long bufferSize)
    {
        _wire = new Pipe(new PipeOptions(
            pauseWriterThreshold: bufferSize,
            resumeWriterThreshold: bufferSize / 2,
            readerScheduler: PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.ThreadPool,
            useSynchronizationContext: false));
    }

    /// <summary>Where the producer writes the response's bytes.</summary>
    public PipeWriter Writer => _wire.Writer;

    /// <summary>What the write loop copies to the socket.</summary>
    public PipeReader Reader => _wire.Reader;

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
    public Task Written => _written.Task;

    /// <summary>Creates a complete response made of a status, <c>Connection: close</c> and a short text body.</summary>
    /// <param name="statusCode">The status.</param>
    /// <param name="text">The body: a fixed text that never quotes the request.</param>
    /// <param name="date">The <c>Date</c> header value.</param>
    /// <param name="bufferSize">The pipe's pause threshold.</param>
    /// <returns>The response, already complete.</returns>
    public static OutgoingResponse CreateClosingError(int statusCode, string text, string date, long bufferSize)
    {
        var response = new OutgoingResponse(bufferSize) { ClosesConnection = true };
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
        _written.TrySetResult();
    }
}
