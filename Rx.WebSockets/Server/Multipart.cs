using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Multipart;

namespace Rx.WebSockets.Server;

/// <summary>One event of a multipart body read by <see cref="Multipart"/> (Ktor's <c>MultipartEvent</c>).</summary>
public abstract class MultipartEvent
{
    private protected MultipartEvent()
    {
    }
}

/// <summary>The bytes before the first delimiter (RFC 2046 §5.1.1 says to ignore them); reported only when not empty.</summary>
public sealed class MultipartPreamble : MultipartEvent
{
    internal MultipartPreamble(ReadOnlyMemory<byte> body) => Body = body;

    /// <summary>The preamble, at most <see cref="MultipartLimits.MaxPreambleBytes"/> bytes.</summary>
    public ReadOnlyMemory<byte> Body { get; }
}

/// <summary>One part: its header fields and its body, streamed.</summary>
/// <remarks>
/// Read <see cref="Body"/> before asking for the next event: moving on discards the rest of the body, and reading it
/// afterwards fails with <see cref="InvalidOperationException"/> (Ktor's "reading the next part releases the previous one").
/// </remarks>
public sealed class MultipartPart : MultipartEvent
{
    internal MultipartPart(int index, HttpHeaders headers, PipeReader body)
    {
        Index = index;
        Headers = headers;
        Body = body;
    }

    /// <summary>The zero-based index of the part in the body.</summary>
    public int Index { get; }

    /// <summary>The part's header fields (possibly empty), e.g. <c>Content-Disposition</c> and <c>Content-Type</c>.</summary>
    public HttpHeaders Headers { get; }

    /// <summary>The part's body; completes at the delimiter that ends it.</summary>
    public PipeReader Body { get; }
}

/// <summary>The bytes after the close delimiter (RFC 2046 §5.1.1 says to ignore them); reported only when not empty.</summary>
public sealed class MultipartEpilogue : MultipartEvent
{
    internal MultipartEpilogue(ReadOnlyMemory<byte> body) => Body = body;

    /// <summary>The epilogue, at most <see cref="MultipartLimits.MaxPreambleBytes"/> bytes (the rest is discarded).</summary>
    public ReadOnlyMemory<byte> Body { get; }
}

/// <summary>
/// Reads a multipart body (RFC 2046 §5.1, multipart/form-data per RFC 7578) from a <see cref="PipeReader"/> as an
/// async sequence of events (Ktor's <c>parseMultipart</c>), on top of the sans-I/O <see cref="MultipartParser"/>.
/// </summary>
/// <remarks>
/// <para>
/// Part bodies are streamed, never buffered whole: the input is read only as fast as the consumer reads the current
/// part's <see cref="MultipartPart.Body"/> or asks for the next event. Events and part bodies must be used one at a
/// time, from one consumer.
/// </para>
/// <para>
/// Errors: a malformed body, a missing close delimiter or a limit exceeded throws <see cref="MultipartException"/>
/// from the enumerator or from the part body being read. Differences from Ktor are those of <see cref="MultipartParser"/>.
/// </para>
/// </remarks>
public static class Multipart
{
    /// <summary>Reads a multipart body whose boundary is in the request's <c>Content-Type</c>.</summary>
    /// <param name="input">The body, e.g. <see cref="HttpExchange.Body"/>; read to its end.</param>
    /// <param name="headers">The request headers.</param>
    /// <param name="limits">The limits; <see cref="MultipartLimits.Default"/> when null.</param>
    /// <param name="cancellationToken">Cancels waiting for input.</param>
    /// <returns>The events: an optional preamble, the parts in order, an optional epilogue.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="headers"/> is null.</exception>
    /// <exception cref="MultipartException"><c>Content-Type</c> is missing, not multipart, or has no valid boundary (at once).</exception>
    public static IAsyncEnumerable<MultipartEvent> ParseAsync(PipeReader input, HttpHeaders headers, MultipartLimits? limits = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(headers);
        return ParseAsync(new MultipartParser(MultipartBoundary.FromRequestHeaders(headers), limits), input, cancellationToken);
    }

    /// <summary>Reads a multipart body with the given <c>Content-Type</c> value.</summary>
    /// <param name="input">The body; read to its end.</param>
    /// <param name="contentType">The <c>Content-Type</c> value, e.g. <c>multipart/form-data; boundary=x</c>.</param>
    /// <param name="limits">The limits; <see cref="MultipartLimits.Default"/> when null.</param>
    /// <param name="cancellationToken">Cancels waiting for input.</param>
    /// <returns>The events.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="contentType"/> is null.</exception>
    /// <exception cref="MultipartException">The type is not multipart or has no valid boundary (at once).</exception>
    public static IAsyncEnumerable<MultipartEvent> ParseAsync(PipeReader input, string contentType, MultipartLimits? limits = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(contentType);
        return ParseAsync(new MultipartParser(MultipartBoundary.Parse(contentType), limits), input, cancellationToken);
    }

    /// <summary>Reads a multipart body with a parser made for its boundary (e.g. one taken from elsewhere than a header).</summary>
    /// <param name="parser">A fresh parser for this body.</param>
    /// <param name="input">The body; read to its end.</param>
    /// <param name="cancellationToken">Cancels waiting for input.</param>
    /// <returns>The events.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parser"/> or <paramref name="input"/> is null.</exception>
    public static IAsyncEnumerable<MultipartEvent> ParseAsync(MultipartParser parser, PipeReader input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentNullException.ThrowIfNull(input);
        return ReadEventsAsync(new Driver(parser, input), cancellationToken);
    }

    private static async IAsyncEnumerable<MultipartEvent> ReadEventsAsync(Driver driver, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var preamble = new ArrayBufferWriter<byte>();
        var epilogue = new ArrayBufferWriter<byte>();
        int keep = driver.Parser.Limits.MaxPreambleBytes;
        while (true)
        {
            // Moving on releases the current part: whatever of its body is left is discarded.
            driver.ReleaseCurrentPart();
            var section = await driver.NextAsync(cancellationToken).ConfigureAwait(false);
            switch (section?.Kind)
            {
                case null:
                    if (epilogue.WrittenCount > 0)
                    {
                        yield return new MultipartEpilogue(epilogue.WrittenMemory);
                    }

                    yield break;
                case MultipartSectionKind.PreambleData:
                    Append(preamble, section.Value.Data, keep);
                    break;
                case MultipartSectionKind.EpilogueData:
                    Append(epilogue, section.Value.Data, keep);
                    break;
                case MultipartSectionKind.PartStart:
                    if (preamble.WrittenCount > 0)
                    {
                        yield return new MultipartPreamble(preamble.WrittenMemory);
                        preamble = new ArrayBufferWriter<byte>();
                    }

                    yield return driver.StartPart(section.Value.PartIndex, section.Value.Headers!);
                    break;
                default:
                    // PartBodyData and PartEnd of a released part, and End: nothing to report.
                    break;
            }
        }
    }

    private static void Append(ArrayBufferWriter<byte> target, ReadOnlySequence<byte> data, int keep)
    {
        foreach (var segment in data)
        {
            int room = keep - target.WrittenCount;
            if (room <= 0)
            {
                return;
            }

            target.Write(segment.Span[..Math.Min(room, segment.Length)]);
        }
    }

    /// <summary>A section whose data has been copied out of the input buffer.</summary>
    private readonly record struct CopiedSection(MultipartSectionKind Kind, int PartIndex, ReadOnlySequence<byte> Data, HttpHeaders? Headers);

    /// <summary>Runs the parser over the input for the enumerator and for the current part's body reader.</summary>
    private sealed class Driver
    {
        private readonly PipeReader _input;
        private readonly SemaphoreSlim _gate = new(1, 1);
        private bool _ended;
        private PartBodyReader? _current;

        public Driver(MultipartParser parser, PipeReader input)
        {
            Parser = parser;
            _input = input;
        }

        public MultipartParser Parser { get; }

        public MultipartPart StartPart(int index, HttpHeaders headers)
        {
            _current = new PartBodyReader(this, index);
            return new MultipartPart(index, headers, _current);
        }

        public void ReleaseCurrentPart()
        {
            _current?.Release();
            _current = null;
        }

        /// <summary>The next section (its data copied), or null at the end of the input.</summary>
        public async ValueTask<CopiedSection?> NextAsync(CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                while (!_ended)
                {
                    var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
                    if (TryReadSection(result.Buffer, out var section))
                    {
                        return section;
                    }

                    // Need more data: nothing was consumed, everything was examined.
                    _input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        _ended = true;
                        // MultipartParser: throws when the input ended before the close delimiter.
                        Parser.Complete();
                    }
                }

                return null;
            }
            finally
            {
                _gate.Release();
            }
        }

        private bool TryReadSection(ReadOnlySequence<byte> buffer, out CopiedSection section)
        {
            var reader = new SequenceReader<byte>(buffer);
            if (Parser.Read(ref reader, out var raw) != OperationStatus.Done)
            {
                section = default;
                return false;
            }

            // Data slices the input buffer: hand it on (into the part's pipe, or a copy) before releasing the buffer.
            var data = ReadOnlySequence<byte>.Empty;
            bool current = _current is { } part && part.Index == raw.PartIndex;
            switch (raw.Kind)
            {
                case MultipartSectionKind.PartBodyData when current:
                    _current!.Deliver(raw.Data);
                    break;
                case MultipartSectionKind.PartEnd when current:
                    _current!.End();
                    break;
                case MultipartSectionKind.PreambleData or MultipartSectionKind.EpilogueData:
                    data = new ReadOnlySequence<byte>(raw.Data.ToArray());
                    break;
            }

            _input.AdvanceTo(reader.Position);
            section = new CopiedSection(raw.Kind, raw.PartIndex, data, raw.Headers);
            return true;
        }
    }

    /// <summary>The body of the current part: a pipe filled by the driver as the consumer reads.</summary>
    private sealed class PartBodyReader : PipeReader
    {
        private readonly Driver _driver;
        private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 0, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        private bool _ended;
        private bool _released;

        public PartBodyReader(Driver driver, int index)
        {
            _driver = driver;
            Index = index;
        }

        public int Index { get; }

        public void Deliver(ReadOnlySequence<byte> data)
        {
            foreach (var segment in data)
            {
                _pipe.Writer.Write(segment.Span);
            }

            _pipe.Writer.FlushAsync().GetAwaiter().GetResult();
        }

        public void End()
        {
            _ended = true;
            _pipe.Writer.Complete();
        }

        public void Release()
        {
            if (!_ended)
            {
                _released = true;
                _pipe.Writer.Complete(new InvalidOperationException("The part was released: the next multipart event was requested before its body was read."));
            }
        }

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                if (_pipe.Reader.TryRead(out var result))
                {
                    return result;
                }

                if (_ended || _released)
                {
                    return await _pipe.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }

                // Pull the next section: body data for this part, or its end.
                if (await _driver.NextAsync(cancellationToken).ConfigureAwait(false) is null && !_ended)
                {
                    // The input ended inside the part (the parser threw above when the body was malformed).
                    End();
                }
            }
        }

        public override bool TryRead(out ReadResult result) => _pipe.Reader.TryRead(out result);

        public override void AdvanceTo(SequencePosition consumed) => _pipe.Reader.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _pipe.Reader.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => _pipe.Reader.CancelPendingRead();

        public override void Complete(Exception? exception = null) => _pipe.Reader.Complete(exception);
    }
}
