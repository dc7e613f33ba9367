using System.Buffers;

namespace Rx.WebSockets.Http.Body;

/// <summary>Writes the chunked transfer coding (RFC 9112 §7.1) for response bodies whose length is not known up front.</summary>
/// <remarks>
/// Sizes are lowercase hex without leading zeros, no extensions are written. An empty chunk is never written by
/// <see cref="WriteChunk"/>: a zero size is the last-chunk marker and would end the body early.
/// </remarks>
public static class ChunkedEncoder
{
    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';
    private const int MaxSizeLineLength = 8 + 2; // int.MaxValue is 7fffffff: 8 hex digits, then CRLF
    private const string LastChunkLine = "0";

    /// <summary>Writes <paramref name="data"/> as one chunk: <c>size-in-hex CRLF data CRLF</c>; nothing when it is empty.</summary>
    /// <param name="data">The chunk data.</param>
    /// <param name="output">The destination.</param>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is null.</exception>
    public static void WriteChunk(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (data.IsEmpty)
        {
            return;
        }

        var head = output.GetSpan(MaxSizeLineLength);
        int length = WriteHex((uint)data.Length, head);
        head[length++] = ByteCR;
        head[length++] = ByteLF;
        output.Advance(length);

        // The data may exceed what one GetSpan returns, so copy it in the pieces the writer hands out.
        while (!data.IsEmpty)
        {
            var span = output.GetSpan();
            int count = Math.Min(span.Length, data.Length);
            data[..count].CopyTo(span);
            output.Advance(count);
            data = data[count..];
        }

        WriteCrlf(output);
    }

    /// <summary>Writes the last chunk <c>0 CRLF</c>, the trailer fields if any, and the final CRLF (RFC 9112 §7.1).</summary>
    /// <param name="output">The destination.</param>
    /// <param name="trailers">Trailer fields to send (RFC 9110 §6.5), or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// A trailer name is not a token, or a value holds a control character other than HTAB or a character above
    /// U+00FF (values are written as Latin-1); checked before anything is written, so no field can split the message.
    /// </exception>
    public static void WriteLastChunk(IBufferWriter<byte> output, HttpHeaders? trailers = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (trailers is not null)
        {
            foreach (var (name, value) in trailers)
            {
                if (!HttpSyntax.IsToken(name))
                {
                    throw new ArgumentException($"Trailer field name '{name}' is not a token (RFC 9110 §5.1).", nameof(trailers));
                }

                if (!HttpSyntax.IsFieldValue(value))
                {
                    throw new ArgumentException($"Trailer field '{name}' has a value with a control or non-Latin-1 character.", nameof(trailers));
                }
            }
        }

        // RFC 9112 §7.1: last-chunk = 1*("0") [ chunk-ext ] CRLF, then trailer-section CRLF — the shape of a head.
        HttpSyntax.WriteHead(output, LastChunkLine, trailers);
    }

    private static int WriteHex(uint value, Span<byte> destination)
    {
        int digits = 1;
        for (uint rest = value >> 4; rest != 0; rest >>= 4)
        {
            digits++;
        }

        for (int i = digits - 1; i >= 0; i--)
        {
            destination[i] = (byte)"0123456789abcdef"[(int)(value & 0xF)];
            value >>= 4;
        }

        return digits;
    }

    private static void WriteCrlf(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(2);
        span[0] = ByteCR;
        span[1] = ByteLF;
        output.Advance(2);
    }
}
