using System.Buffers;
using System.Text;

namespace Rx.WebSockets.Http.Multipart;

/// <summary>
/// Reads the header section of one body part (RFC 2046 §5.1.1 "MIME-part-headers") with the HTTP field rules of
/// RFC 9112 §5: <c>field-name ":" OWS field-value OWS CRLF</c>, ending at an empty line.
/// </summary>
/// <remarks>
/// Each line is split and checked by <see cref="HttpSyntax.ParseFieldLine"/>, as the request head's are; only the
/// limits, the messages and the value decoding (UTF-8, else ISO-8859-1) are this parser's own.
/// </remarks>
internal static class PartHeaderParser
{
    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';
    private const byte ByteSpace = (byte)' ';
    private const byte ByteTab = (byte)'\t';

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads field lines up to and including the empty line. Returns <see langword="false"/> and leaves
    /// <paramref name="reader"/> untouched when the section is not complete yet.
    /// </summary>
    /// <param name="reader">The input, positioned at the first field line (or the empty line).</param>
    /// <param name="usedBytes">Bytes after the delimiter already counted against the limit (transport padding, CRLF).</param>
    /// <param name="limits">The limits.</param>
    /// <param name="headers">The fields read.</param>
    /// <exception cref="MultipartException">A line is malformed or a limit is exceeded.</exception>
    public static bool TryRead(ref SequenceReader<byte> reader, long usedBytes, MultipartLimits limits, out HttpHeaders? headers)
    {
        headers = null;
        long maxBytes = limits.MaxPartHeaderBytes - usedBytes;
        var probe = reader;
        var fields = new HttpHeaders();
        while (true)
        {
            if (!probe.TryReadTo(out ReadOnlySequence<byte> line, ByteLF, advancePastDelimiter: true))
            {
                // Waiting is only worth it while a complete section could still fit.
                if (probe.Consumed - reader.Consumed + probe.Remaining > maxBytes)
                {
                    ThrowTooLarge(limits);
                }

                return false;
            }

            if (probe.Consumed - reader.Consumed > maxBytes)
            {
                ThrowTooLarge(limits);
            }

            byte[]? copy = line.IsSingleSegment ? null : line.ToArray();
            ReadOnlySpan<byte> span = copy ?? line.FirstSpan;

            // RFC 9112 §2.2: the line terminator is CRLF; a bare LF is not accepted here (no lenient recipients).
            if (span.IsEmpty || span[^1] != ByteCR)
            {
                MultipartThrowHelper.ThrowMalformed("A part header line ends with a bare LF; CRLF is required.");
            }

            span = span[..^1];
            if (span.IsEmpty)
            {
                headers = fields;
                reader = probe;
                return true;
            }

            if (fields.Count == limits.MaxHeaderCount)
            {
                MultipartThrowHelper.ThrowLimitExceeded(
                    $"A multipart part has more than {limits.MaxHeaderCount} header fields (MultipartLimits.MaxHeaderCount).");
            }

            AddField(span, fields);
        }
    }

    private static void AddField(ReadOnlySpan<byte> line, HttpHeaders fields)
    {
        // The request head's field-line rules (RFC 9112 §5), quoted in HttpSyntax.ParseFieldLine. A CR inside the
        // line is reported as the control or non-token byte it is, so the message can name it.
        var error = HttpSyntax.ParseFieldLine(line, rejectBareCR: false, out var name, out var value, out int bad);
        if (error != HttpSyntax.FieldLineError.None)
        {
            MultipartThrowHelper.ThrowMalformed(error switch
            {
                HttpSyntax.FieldLineError.ObsoleteLineFolding => "A part header uses obsolete line folding (a line starting with whitespace).",
                HttpSyntax.FieldLineError.MissingColon => "A part header line has no ':'.",
                HttpSyntax.FieldLineError.InvalidName when bad < 0 => "A part header has an empty field name.",
                HttpSyntax.FieldLineError.InvalidName when name[bad] is ByteSpace or ByteTab => "A part header has whitespace between the field name and the colon.",
                HttpSyntax.FieldLineError.InvalidName => $"A part header field name contains the byte 0x{name[bad]:X2}, which is not a token character.",
                _ => $"A part header value contains the control byte 0x{value[bad]:X2}.",
            });
        }

        fields.Add(Encoding.ASCII.GetString(name), DecodeValue(value));
    }

    private static string DecodeValue(ReadOnlySpan<byte> value)
    {
        // Browsers put raw UTF-8 file names in form-data parts (RFC 7578 §5.1.1 discusses why); other bytes are taken
        // as ISO-8859-1, which maps every byte to one char and so loses nothing.
        try
        {
            return s_strictUtf8.GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(value);
        }
    }

    private static void ThrowTooLarge(MultipartLimits limits) =>
        MultipartThrowHelper.ThrowLimitExceeded(
            $"A multipart part header section is larger than {limits.MaxPartHeaderBytes} bytes (MultipartLimits.MaxPartHeaderBytes).");
}
