using System.Buffers;
using System.Collections.Generic;
using System.Text;
using Rx.WebSockets.Http.Multipart;

namespace Rx.WebSockets.Http.Ranges;

/// <summary>
/// Writes a <c>multipart/byteranges</c> body (RFC 9110 §14.6) byte-for-byte as Ktor's <c>writeMultipleRanges</c>
/// does: for each range <c>--boundary CRLF Content-Type: ct CRLF Content-Range: bytes first-last/length CRLF CRLF
/// bytes CRLF</c>, then <c>--boundary-- CRLF</c>; no preamble, no epilogue.
/// </summary>
/// <remarks>
/// A streaming server calls <see cref="WritePartHeader"/>, copies the range's bytes, <see cref="WritePartTrailer"/>
/// for each range and <see cref="WriteClosing"/> at the end, announcing <see cref="ComputeLength"/> as the
/// <c>Content-Length</c>. Header text is written as ISO-8859-1. Thread-safety: stateless.
/// </remarks>
public static class MultipartByteRangesWriter
{
    /// <summary>The prefix of boundaries made by <see cref="CreateBoundary"/>, as Ktor's PartialContent plugin.</summary>
    public const string BoundaryPrefix = "rxws-boundary-";

    /// <summary>How many random bytes <see cref="CreateBoundary"/> takes (they become 32 hex digits).</summary>
    public const int BoundaryRandomBytes = 16;

    private const string ContentTypePrefix = "multipart/byteranges; boundary=";

    // "--" CRLF "Content-Type: " CRLF "Content-Range: " CRLF CRLF = 2 + 2 + 14 + 2 + 15 + 2 + 2
    private const int PartHeaderOverhead = 39;

    // The CRLF after a part's bytes.
    private const int PartTrailerLength = 2;

    // "--" boundary "--" CRLF
    private const int ClosingOverhead = 6;

    /// <summary>Makes a boundary: <see cref="BoundaryPrefix"/> followed by the 16 bytes as 32 lowercase hex digits.</summary>
    /// <param name="random">Exactly 16 bytes; a server takes them from <c>RandomNumberGenerator</c> (this layer has no randomness of its own, so tests can pass fixed bytes).</param>
    /// <returns>The boundary, e.g. <c>rxws-boundary-000102030405060708090a0b0c0d0e0f</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="random"/> is not 16 bytes long.</exception>
    public static string CreateBoundary(ReadOnlySpan<byte> random)
    {
        if (random.Length != BoundaryRandomBytes)
        {
            throw new ArgumentException($"Exactly {BoundaryRandomBytes} bytes are needed, got {random.Length}.", nameof(random));
        }

        return BoundaryPrefix + Convert.ToHexStringLower(random);
    }

    /// <summary>The response's <c>Content-Type</c> value: <c>multipart/byteranges; boundary=...</c>.</summary>
    /// <param name="boundary">The boundary.</param>
    /// <returns>The field value.</returns>
    /// <exception cref="ArgumentException"><paramref name="boundary"/> is not a valid RFC 2046 boundary.</exception>
    public static string GetContentType(string boundary)
    {
        CheckBoundary(boundary);

        // A boundary with characters outside token (e.g. a space or ':') must be quoted in a parameter (RFC 9110 §5.6.6).
        return HttpSyntax.IsToken(boundary)
            ? ContentTypePrefix + boundary
            : ContentTypePrefix + "\"" + boundary + "\"";
    }

    /// <summary>The exact number of bytes <see cref="Write(IReadOnlyList{ByteRange}, ReadOnlySpan{byte}, string, string, IBufferWriter{byte})"/> produces for these ranges.</summary>
    /// <param name="ranges">The ranges, in the order they will be written.</param>
    /// <param name="fullLength">The representation's length, or null when unknown (written as <c>*</c>).</param>
    /// <param name="boundary">The boundary.</param>
    /// <param name="contentType">The representation's media type, repeated in each part.</param>
    /// <returns>
    /// The body length: per part <c>39 + len(boundary) + len(contentType) + len(contentRange) + range length + 2</c>,
    /// plus <c>len(boundary) + 6</c> for the closing line (Ktor's <c>calculateMultipleRangesBodyLength</c>).
    /// </returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The boundary or content type is not valid header text.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A range ends at or after <paramref name="fullLength"/>.</exception>
    /// <exception cref="OverflowException">The length does not fit a long.</exception>
    public static long ComputeLength(IReadOnlyList<ByteRange> ranges, long? fullLength, string boundary, string contentType)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        CheckBoundary(boundary);
        CheckContentType(contentType);
        long length = boundary.Length + ClosingOverhead;
        foreach (var range in ranges)
        {
            CheckRange(range, fullLength);
            long part = PartHeaderOverhead + boundary.Length + contentType.Length + range.ToContentRange(fullLength).Length;
            length = checked(length + part + range.Length + PartTrailerLength);
        }

        return length;
    }

    /// <summary>Writes a part's delimiter and headers, up to and including the empty line before its bytes.</summary>
    /// <param name="range">The range this part carries.</param>
    /// <param name="fullLength">The representation's length, or null when unknown.</param>
    /// <param name="boundary">The boundary.</param>
    /// <param name="contentType">The representation's media type.</param>
    /// <param name="output">Where to write.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The boundary or content type is not valid header text.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range ends at or after <paramref name="fullLength"/>.</exception>
    public static void WritePartHeader(ByteRange range, long? fullLength, string boundary, string contentType, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        CheckBoundary(boundary);
        CheckContentType(contentType);
        CheckRange(range, fullLength);
        WriteLatin1($"--{boundary}\r\nContent-Type: {contentType}\r\nContent-Range: {range.ToContentRange(fullLength)}\r\n\r\n", output);
    }

    /// <summary>Writes the CRLF that follows a part's bytes.</summary>
    /// <param name="output">Where to write.</param>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is null.</exception>
    public static void WritePartTrailer(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write("\r\n"u8);
    }

    /// <summary>Writes the close delimiter line <c>--boundary--</c> CRLF.</summary>
    /// <param name="boundary">The boundary.</param>
    /// <param name="output">Where to write.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The boundary is not valid.</exception>
    public static void WriteClosing(string boundary, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        CheckBoundary(boundary);
        WriteLatin1($"--{boundary}--\r\n", output);
    }

    /// <summary>Writes the whole body for ranges of an in-memory representation.</summary>
    /// <param name="ranges">The ranges, written in this order.</param>
    /// <param name="content">The whole representation; its length is the <c>Content-Range</c> complete length.</param>
    /// <param name="boundary">The boundary.</param>
    /// <param name="contentType">The representation's media type.</param>
    /// <param name="output">Where to write.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The boundary or content type is not valid header text.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A range ends beyond <paramref name="content"/>.</exception>
    public static void Write(IReadOnlyList<ByteRange> ranges, ReadOnlySpan<byte> content, string boundary, string contentType, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        foreach (var range in ranges)
        {
            WritePartHeader(range, content.Length, boundary, contentType, output);
            output.Write(content.Slice((int)range.First, (int)range.Length));
            WritePartTrailer(output);
        }

        WriteClosing(boundary, output);
    }

    /// <summary>Writes the whole body, asking <paramref name="content"/> for each range's bytes.</summary>
    /// <param name="ranges">The ranges, written in this order.</param>
    /// <param name="content">Returns exactly the bytes of the range it is given.</param>
    /// <param name="fullLength">The representation's length, or null when unknown.</param>
    /// <param name="boundary">The boundary.</param>
    /// <param name="contentType">The representation's media type.</param>
    /// <param name="output">Where to write.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The boundary or content type is not valid header text.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A range ends at or after <paramref name="fullLength"/>.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="content"/> returned a different number of bytes than the range holds.</exception>
    public static void Write(
        IReadOnlyList<ByteRange> ranges,
        Func<ByteRange, ReadOnlyMemory<byte>> content,
        long? fullLength,
        string boundary,
        string contentType,
        IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(content);
        foreach (var range in ranges)
        {
            WritePartHeader(range, fullLength, boundary, contentType, output);
            var bytes = content(range);
            if (bytes.Length != range.Length)
            {
                // A short part would make the announced Content-Length a lie and desynchronise the connection.
                throw new InvalidOperationException($"The content for range {range} has {bytes.Length} bytes, not {range.Length}.");
            }

            output.Write(bytes.Span);
            WritePartTrailer(output);
        }

        WriteClosing(boundary, output);
    }

    private static void WriteLatin1(string text, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(text.Length);
        int written = Encoding.Latin1.GetBytes(text, span);
        output.Advance(written);
    }

    private static void CheckBoundary(string boundary)
    {
        ArgumentNullException.ThrowIfNull(boundary);
        if (!MultipartBoundary.IsValid(boundary))
        {
            throw new ArgumentException("The boundary must be 1-70 RFC 2046 bchars, not ending in a space.", nameof(boundary));
        }
    }

    private static void CheckContentType(string contentType)
    {
        ArgumentNullException.ThrowIfNull(contentType);

        // Header text: no CR/LF (they would inject header lines) and one byte per char, so the length is exact.
        int bad = HttpSyntax.IndexOfNonFieldValue(contentType);
        if (bad >= 0)
        {
            throw new ArgumentException($"The content type contains U+{(int)contentType[bad]:X4}, which is not allowed in a header field.", nameof(contentType));
        }
    }

    private static void CheckRange(ByteRange range, long? fullLength)
    {
        if (fullLength is long length && range.Last >= length)
        {
            throw new ArgumentOutOfRangeException(nameof(range), range, $"The range ends after the representation's {length} bytes.");
        }
    }
}
