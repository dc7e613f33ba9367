using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Http.Ranges;

namespace Rx.WebSockets.Server;

/// <summary>
/// Writes a <c>multipart/byteranges</c> body (RFC 9110 §14.6) to a <see cref="PipeWriter"/>, streaming each range's
/// bytes (Ktor's <c>writeMultipleRanges</c>), on top of <see cref="MultipartByteRangesWriter"/>.
/// </summary>
/// <remarks>
/// The body is exactly <see cref="MultipartByteRangesWriter.ComputeLength"/> bytes long, so a handler can set
/// <c>Content-Length</c> first and <c>Content-Type</c> from <see cref="MultipartByteRangesWriter.GetContentType"/>.
/// The output is flushed as data is copied (backpressure) and is not completed.
/// </remarks>
public static class MultipleRanges
{
    private const int CopyBufferSize = 16 * 1024;

    /// <summary>Writes the ranges of a seekable <paramref name="content"/> as a multipart/byteranges body.</summary>
    /// <param name="output">Where to write, e.g. <see cref="HttpResponse.Body"/>.</param>
    /// <param name="content">The representation; must be seekable. Its length is written in each <c>Content-Range</c>.</param>
    /// <param name="ranges">The ranges, written in this order (resolved, e.g. by <see cref="RangeHeaderParser"/>).</param>
    /// <param name="boundary">The boundary (see <see cref="MultipartByteRangesWriter.CreateBoundary"/>).</param>
    /// <param name="contentType">The representation's media type, repeated in each part.</param>
    /// <param name="cancellationToken">Cancels reading and waiting for buffer space.</param>
    /// <returns>A task that completes when the body has been written and flushed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="content"/> is not seekable, or the boundary or type is not valid header text.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A range ends at or after the content's end.</exception>
    public static Task WriteAsync(PipeWriter output, Stream content, IReadOnlyList<ByteRange> ranges, string boundary, string contentType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanSeek)
        {
            throw new ArgumentException("The content stream must be seekable; use the overload that opens each range.", nameof(content));
        }

        return WriteAsync(
            output,
            range =>
            {
                content.Position = range.First;
                return content;
            },
            ranges,
            content.Length,
            boundary,
            contentType,
            cancellationToken);
    }

    /// <summary>Writes a multipart/byteranges body, asking <paramref name="openRange"/> for a stream positioned at each range's first byte.</summary>
    /// <param name="output">Where to write, e.g. <see cref="HttpResponse.Body"/>.</param>
    /// <param name="openRange">Returns a stream whose next bytes are the range's; exactly the range's length is read from it (it is not disposed).</param>
    /// <param name="ranges">The ranges, written in this order.</param>
    /// <param name="fullLength">The representation's length, or null when unknown (written as <c>*</c>).</param>
    /// <param name="boundary">The boundary.</param>
    /// <param name="contentType">The representation's media type, repeated in each part.</param>
    /// <param name="cancellationToken">Cancels reading and waiting for buffer space.</param>
    /// <returns>A task that completes when the body has been written and flushed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The boundary or content type is not valid header text.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A range ends at or after <paramref name="fullLength"/>.</exception>
    /// <exception cref="InvalidOperationException">A range's stream ended before the range did: the announced length would be a lie.</exception>
    /// <exception cref="IOException">The output's reader completed (the connection is gone).</exception>
    public static async Task WriteAsync(
        PipeWriter output,
        Func<ByteRange, Stream> openRange,
        IReadOnlyList<ByteRange> ranges,
        long? fullLength,
        string boundary,
        string contentType,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(openRange);
        ArgumentNullException.ThrowIfNull(ranges);
        // Validates everything (boundary, type, every range) before the first byte is written.
        MultipartByteRangesWriter.ComputeLength(ranges, fullLength, boundary, contentType);
        foreach (var range in ranges)
        {
            MultipartByteRangesWriter.WritePartHeader(range, fullLength, boundary, contentType, output);
            var source = openRange(range);
            long left = range.Length;
            while (left > 0)
            {
                var memory = output.GetMemory((int)Math.Min(CopyBufferSize, left));
                memory = memory[..(int)Math.Min(memory.Length, left)];
                int read = await source.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new InvalidOperationException($"The content of range {range} ended {left} bytes early.");
                }

                output.Advance(read);
                left -= read;
                await FlushAsync(output, cancellationToken).ConfigureAwait(false);
            }

            MultipartByteRangesWriter.WritePartTrailer(output);
        }

        MultipartByteRangesWriter.WriteClosing(boundary, output);
        await FlushAsync(output, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask FlushAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        var flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flush.IsCompleted)
        {
            throw new IOException("The output was completed while the ranges were being written.");
        }
    }
}
