using System.Buffers;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Body;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// A request body as a <see cref="PipeReader"/> over the connection's input: a view limited to
/// <c>Content-Length</c> bytes (no copy), or the decoded bytes of a chunked body (RFC 9112 §7.1).
/// </summary>
/// <remarks>
/// <para>
/// The connection does not parse the next request head until this body has been read to its end, by the handler
/// or by <see cref="DrainAsync"/>, so bytes after the body (a pipelined request) are never handed to the handler
/// and never examined here: the next head is found where the body ends.
/// </para>
/// <para>
/// Errors: a body that ends early (the connection ended) throws <see cref="IOException"/>; malformed chunked
/// framing or a body past <see cref="HttpLimits.MaxRequestBodySize"/> throws <see cref="HttpRequestRejectedException"/>.
/// Either way the connection cannot carry another request and closes after the response.
/// </para>
/// <para>Thread-safety: one reader (the handler), then the connection's drain; never both at once.</para>
/// </remarks>
internal sealed class RequestBodyReader : PipeReader
{
    private const int DecodeBufferSize = 4096;

    private readonly PipeReader _input;
    private readonly RequestBodyFraming _framing;
    private readonly ChunkedDecoder? _decoder;
    private readonly Pipe? _decoded;
    private Func<ValueTask>? _beforeFirstRead;
    private long _remaining;
    private ReadOnlySequence<byte> _lastSlice;
    private Exception? _failure;
    private bool _completedByHandler;
    private bool _examinedAhead;

    /// <summary>Creates the body reader of one request.</summary>
    /// <param name="input">The connection's input, positioned at the first body byte.</param>
    /// <param name="framing">How the body is delimited.</param>
    /// <param name="limits">The limits of chunked decoding.</param>
    /// <param name="beforeFirstRead">Runs once before the first read (sends <c>100 Continue</c>), or null.</param>
    public RequestBodyReader(PipeReader input, RequestBodyFraming framing, HttpLimits limits, Func<ValueTask>? beforeFirstRead)
    {
        _input = input;
        _framing = framing;
        _remaining = framing.Kind == RequestBodyKind.ContentLength ? framing.ContentLength : 0;
        _beforeFirstRead = beforeFirstRead;
        if (framing.Kind == RequestBodyKind.Chunked)
        {
            _decoder = new ChunkedDecoder(limits);
            _decoded = new Pipe(new PipeOptions(
                pauseWriterThreshold: 0,
                readerScheduler: PipeScheduler.Inline,
                writerScheduler: PipeScheduler.Inline,
                useSynchronizationContext: false));
        }
    }

    /// <summary>Whether every body byte has been taken off the connection (the next request head can be parsed).</summary>
    public bool IsConsumed => _decoder?.IsComplete ?? _remaining == 0;

    /// <summary>Whether the body's framing failed or it ended early: the connection cannot carry another request.</summary>
    public bool HasFailed => _failure is not null;

    /// <summary>Whether the first read has not happened yet and would send <c>100 Continue</c>.</summary>
    public bool AwaitsContinue => _beforeFirstRead is not null;

    /// <summary>Bytes of a <c>Content-Length</c> body not yet consumed; null for a chunked body, whose rest is unknown.</summary>
    public long? RemainingLength => _decoder is null ? _remaining : null;

    /// <summary>The chunked body's trailer fields, once it has been read to its end; empty otherwise.</summary>
    public HttpHeaders Trailers => _decoder?.Trailers ?? new HttpHeaders();

    /// <inheritdoc/>
    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        if (_beforeFirstRead is { } hook)
        {
            _beforeFirstRead = null;
            await hook().ConfigureAwait(false);
        }

        if (_decoder is null)
        {
            if (_remaining == 0)
            {
                return new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
            }

            ReadResult result;
            try
            {
                result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw Fail(e);
            }

            return SliceContentLength(result);
        }

        while (true)
        {
            if (_decoded!.Reader.TryRead(out var decoded))
            {
                return decoded;
            }

            ReadResult result;
            try
            {
                result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw Fail(e);
            }

            DecodeChunked(result);
            if (result.IsCanceled && !_decoded.Reader.TryRead(out _))
            {
                _decoded.Reader.CancelPendingRead();
                return await _decoded.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc/>
    public override bool TryRead(out ReadResult result)
    {
        ThrowIfUnusable();
        if (_decoder is null)
        {
            if (_remaining == 0)
            {
                result = new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
                return true;
            }

            if (!_input.TryRead(out var input))
            {
                result = default;
                return false;
            }

            result = SliceContentLength(input);
            return true;
        }

        if (_decoded!.Reader.TryRead(out result))
        {
            return true;
        }

        if (_input.TryRead(out var encoded))
        {
            DecodeChunked(encoded);
            return _decoded.Reader.TryRead(out result);
        }

        return false;
    }

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_decoder is not null)
        {
            _decoded!.Reader.AdvanceTo(consumed, examined);
            return;
        }

        if (_lastSlice.IsEmpty && _remaining == 0)
        {
            return;
        }

        _remaining -= _lastSlice.Slice(_lastSlice.Start, consumed).Length;
        // The slice ends where the body ends, so "examined" never reaches the next request's bytes.
        _input.AdvanceTo(consumed, examined);
        _examinedAhead = !consumed.Equals(examined);
        _lastSlice = default;
    }

    /// <inheritdoc/>
    public override void CancelPendingRead() => _input.CancelPendingRead();

    /// <summary>The handler is done reading; the connection drains what is left. The connection's input stays open.</summary>
    /// <param name="exception">Ignored: a handler's failure is reported by the handler's own task.</param>
    public override void Complete(Exception? exception = null) => _completedByHandler = true;

    /// <summary>
    /// Reads and discards the rest of the body so that the connection can carry the next request (Kestrel's and
    /// Ktor's behaviour), at most <paramref name="limit"/> bytes.
    /// </summary>
    /// <param name="limit">The most bytes to discard.</param>
    /// <returns><see langword="true"/> when the body ended within the limit; otherwise the connection must close.</returns>
    public async Task<bool> DrainAsync(long limit)
    {
        if (_failure is not null)
        {
            return false;
        }

        if (_decoder is null && _remaining > limit)
        {
            return false;
        }

        _completedByHandler = false;
        _beforeFirstRead = null;
        if (_examinedAhead)
        {
            // The handler examined bytes it did not consume, so the input would wait for new bytes before returning
            // them; the client may send none until it has the response. Cancelling the pending read returns them now.
            _examinedAhead = false;
            _input.CancelPendingRead();
        }

        long drained = 0;
        try
        {
            while (!IsConsumed)
            {
                var result = await ReadAsync().ConfigureAwait(false);
                drained += result.Buffer.Length;
                AdvanceTo(result.Buffer.End);
                if (drained > limit && !IsConsumed)
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception e) when (e is IOException or HttpRequestRejectedException or InvalidOperationException)
        {
            // InvalidOperationException: the handler returned while holding an unreleased buffer.
            _failure ??= e;
            return false;
        }
    }

    private ReadResult SliceContentLength(ReadResult result)
    {
        var buffer = result.Buffer;
        bool end = false;
        if (buffer.Length >= _remaining)
        {
            buffer = buffer.Slice(0, _remaining);
            end = true;
        }
        else if (result.IsCompleted)
        {
            _input.AdvanceTo(buffer.Start, buffer.End);
            throw Fail(new IOException(
                $"The connection ended {_remaining - buffer.Length} bytes before the end of the request body announced by Content-Length."));
        }

        _lastSlice = buffer;
        return new ReadResult(buffer, result.IsCanceled, end);
    }

    private void DecodeChunked(ReadResult result)
    {
        var reader = new SequenceReader<byte>(result.Buffer);
        OperationStatus status;
        try
        {
            do
            {
                var span = _decoded!.Writer.GetSpan(DecodeBufferSize);
                status = _decoder!.Decode(ref reader, span, out int written);
                _decoded.Writer.Advance(written);
            }
            while (status == OperationStatus.DestinationTooSmall);
        }
        catch (HttpRequestRejectedException e)
        {
            _input.AdvanceTo(reader.Position, result.Buffer.End);
            throw Fail(e);
        }

        if (status == OperationStatus.Done)
        {
            // Only what the decoder consumed was examined: the bytes after the body belong to the next request,
            // whose head must be parsed without waiting for more data.
            _input.AdvanceTo(reader.Position);
            _decoded!.Writer.Complete();
            return;
        }

        _input.AdvanceTo(reader.Position, result.Buffer.End);
        if (result.IsCompleted)
        {
            // ChunkedDecoder: NeedMoreData at the end of the input is a truncated body.
            throw Fail(new IOException("The connection ended before the last chunk of the request body."));
        }

        _decoded!.Writer.FlushAsync().GetAwaiter().GetResult();
    }

    private Exception Fail(Exception e)
    {
        _failure ??= e;
        return e;
    }

    private void ThrowIfUnusable()
    {
        if (_failure is not null)
        {
            // Rethrow the original failure: the body cannot be read any further.
            throw _failure is HttpRequestRejectedException rejected
                ? new HttpRequestRejectedException(rejected.Reason)
                : new IOException(_failure.Message, _failure);
        }

        if (_completedByHandler)
        {
            throw new InvalidOperationException("The request body reader has been completed.");
        }
    }
}
