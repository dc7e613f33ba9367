using System.Buffers;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Body;

namespace Rx.WebSockets.Server;

/// <summary>
/// Decodes a chunked body (RFC 9112 §7.1) from a <see cref="PipeReader"/> (Ktor's <c>decodeChunked</c>), on top of
/// the sans-I/O <see cref="ChunkedDecoder"/>.
/// </summary>
/// <remarks>
/// The server decodes request bodies itself (<see cref="HttpExchange.Body"/> yields decoded bytes); this helper is for
/// chunked data from other sources, such as a body relayed by a proxy handler or a file. Unlike Ktor, a stream that
/// ends before the last chunk is an error even at a chunk boundary: such a body was cut short.
/// </remarks>
public static class ChunkedBody
{
    private const int DecodeBufferSize = 4096;

    /// <summary>Decodes one chunked body from <paramref name="input"/> into <paramref name="output"/>.</summary>
    /// <param name="input">The encoded bytes; advanced past the body's end (the final CRLF), bytes after it stay unread.</param>
    /// <param name="output">Receives the decoded bytes; flushed as they arrive, not completed.</param>
    /// <param name="limits">The chunk-size line, body size and trailer limits.</param>
    /// <param name="cancellationToken">Cancels waiting for input or for output buffer space.</param>
    /// <returns>The trailer fields (empty when there were none).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="HttpRequestRejectedException">Malformed framing (400), a body past the limit (413), trailers past the limit (431).</exception>
    /// <exception cref="IOException"><paramref name="input"/> ended before the last chunk, or <paramref name="output"/>'s reader completed first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<HttpHeaders> DecodeAsync(PipeReader input, PipeWriter output, HttpLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(limits);
        var decoder = new ChunkedDecoder(limits);
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            bool done = DecodeAvailable(decoder, input, result, output);
            var flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (done)
            {
                return decoder.Trailers;
            }

            if (result.IsCompleted)
            {
                throw new IOException("The chunked stream ended before its last chunk.");
            }

            if (flush.IsCompleted)
            {
                throw new IOException("The output was completed before the end of the chunked body.");
            }
        }
    }

    /// <summary>Decodes one chunked body from <paramref name="input"/> into <paramref name="output"/>.</summary>
    /// <param name="input">The encoded bytes; advanced past the body's end, bytes after it stay unread.</param>
    /// <param name="output">Receives the decoded bytes; flushed at the end, left open.</param>
    /// <param name="limits">The chunk-size line, body size and trailer limits.</param>
    /// <param name="cancellationToken">Cancels waiting for input or output.</param>
    /// <returns>The trailer fields (empty when there were none).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="HttpRequestRejectedException">Malformed framing (400), a body past the limit (413), trailers past the limit (431).</exception>
    /// <exception cref="IOException"><paramref name="input"/> ended before the last chunk.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<HttpHeaders> DecodeAsync(PipeReader input, Stream output, HttpLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = PipeWriter.Create(output, new StreamPipeWriterOptions(leaveOpen: true));
        try
        {
            return await DecodeAsync(input, writer, limits, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    // Decodes what the read returned, advancing the input; true when the body ended.
    private static bool DecodeAvailable(ChunkedDecoder decoder, PipeReader input, ReadResult result, PipeWriter output)
    {
        var reader = new SequenceReader<byte>(result.Buffer);
        OperationStatus status;
        try
        {
            do
            {
                var span = output.GetSpan(DecodeBufferSize);
                status = decoder.Decode(ref reader, span, out int written);
                output.Advance(written);
            }
            while (status == OperationStatus.DestinationTooSmall);
        }
        catch
        {
            input.AdvanceTo(reader.Position, result.Buffer.End);
            throw;
        }

        if (status == OperationStatus.Done)
        {
            // Bytes after the body were not examined: a caller reading on must not wait for more data to see them.
            input.AdvanceTo(reader.Position);
            return true;
        }

        input.AdvanceTo(reader.Position, result.Buffer.End);
        return false;
    }
}
