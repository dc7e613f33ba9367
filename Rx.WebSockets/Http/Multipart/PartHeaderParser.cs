using System.Buffers;
using System.Text;

namespace Rx.WebSockets.Http.Multipart;

/// <summary>
/// Reads the header section of one body part (RFC 2046 §5.1.1 "MIME-part-headers") with the HTTP field rules of
/// RFC 9112 §5: <c>field-name ":" OWS field-value OWS CRLF</c>, ending at an empty line.
/// </summary>
/// <remarks>
/// Kept inside the multipart folder on purpose (sans-I/O, BCL only); the request-head parser has its own copy of the
/// same rules and the two may be unified later.
/// </remarks>
internal static class PartHeaderParser
{
    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';
    private const byte ByteColon = (byte)':';
    private const byte ByteSpace = (byte)' ';
    private const byte ByteTab = (byte)'\t';
    private const byte ByteDelete = 0x7F;

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
        // RFC 9112 §5.2: "A server that receives an obs-fold in a request message ... MUST either reject the message
        // ... or replace each received obs-fold with one or more SP octets"; we reject.
        if (line[0] == ByteSpace || line[0] == ByteTab)
        {
            MultipartThrowHelper.ThrowMalformed("A part header uses obsolete line folding (a line starting with whitespace).");
        }

        int colon = line.IndexOf(ByteColon);
        if (colon < 0)
        {
            MultipartThrowHelper.ThrowMalformed("A part header line has no ':'.");
        }

        var name = line[..colon];
        if (name.IsEmpty)
        {
            MultipartThrowHelper.ThrowMalformed("A part header has an empty field name.");
        }

        int bad = name.IndexOfAnyExcept(HeaderValueSyntax.TokenBytes);
        if (bad >= 0)
        {
            // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon ... A server MUST reject".
            MultipartThrowHelper.ThrowMalformed(name[bad] is ByteSpace or ByteTab
                ? "A part header has whitespace between the field name and the colon."
                : $"A part header field name contains the byte 0x{name[bad]:X2}, which is not a token character.");
        }

        // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS
        var value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (byte b in value)
        {
            // RFC 9110 §5.5: field-vchar = VCHAR / obs-text, with SP / HTAB inside; other controls are invalid.
            if ((b < ByteSpace && b != ByteTab) || b == ByteDelete)
            {
                MultipartThrowHelper.ThrowMalformed($"A part header value contains the control byte 0x{b:X2}.");
            }
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
