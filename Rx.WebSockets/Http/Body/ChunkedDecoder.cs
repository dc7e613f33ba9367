using System.Buffers;
using System.Diagnostics;

namespace Rx.WebSockets.Http.Body;

/// <summary>
/// Decodes a chunked request body (RFC 9112 §7.1), sans-I/O, as an explicit mode machine
/// (Prefix → Extension → Data → Suffix → … → Trailer → Complete, Kestrel's shape).
/// </summary>
/// <remarks>
/// <para>
/// Strictness: a chunk size is 1*HEXDIG up to 2^62 with no sign, prefix or surrounding space; whitespace (BWS) is
/// allowed only before <c>;</c>, <c>=</c> and inside extensions as the grammar says; every line ends with CRLF (a bare
/// LF or CR is refused); the whole chunk-size line including extensions is at most
/// <see cref="HttpLimits.MaxChunkPrefixLength"/> bytes. Extensions are validated and skipped; their quoted strings
/// may hold <c>;</c>, <c>=</c> and escaped quotes but — unlike Ktor, which lets a quoted CR LF continue the line —
/// not CR or LF: <c>qdtext</c> excludes them (RFC 9110 §5.6.4), and a line end that one parser sees and another does
/// not is a smuggling vector. Trailers are parsed with the header-field rules into <see cref="Trailers"/>.
/// </para>
/// <para>
/// End of input: <see cref="Decode"/> cannot see the connection close. When the input ends while it returns
/// <see cref="OperationStatus.NeedMoreData"/>, the body is truncated: the caller must answer 400 (Ktor instead ends
/// the body without error when the input closes at a chunk boundary; we do not).
/// </para>
/// <para>
/// Thread-safety: not thread-safe; one decoder serves one body and is driven by one read loop. After it throws it is
/// unusable.
/// </para>
/// </remarks>
public sealed class ChunkedDecoder
{
    /// <summary>The largest chunk size accepted: 2^62. A larger one is refused with 400 as malformed.</summary>
    public const long MaxChunkSize = 1L << 62;

    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';
    private const byte ByteSpace = (byte)' ';
    private const byte ByteTab = (byte)'\t';
    private const byte ByteSemicolon = (byte)';';
    private const byte ByteEquals = (byte)'=';
    private const byte ByteQuote = (byte)'"';
    private const byte ByteBackslash = (byte)'\\';

    private readonly HttpLimits _limits;
    private readonly HttpRequestParser _trailerParser;
    private Mode _mode;
    private long _chunkSize;
    private long _chunkRemaining;
    private int _prefixConsumed;

    /// <summary>Creates a decoder for one body.</summary>
    /// <param name="limits">The limits: chunk-size line length, body size, trailer size and count.</param>
    /// <exception cref="ArgumentNullException"><paramref name="limits"/> is null.</exception>
    public ChunkedDecoder(HttpLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _limits = limits;
        _trailerParser = new HttpRequestParser(limits);
    }

    private enum Mode
    {
        Prefix,
        Extension,
        Data,
        Suffix,
        Trailer,
        Complete,
    }

    private enum ExtensionState
    {
        NameStart,
        Name,
        AfterName,
        ValueStart,
        TokenValue,
        QuotedValue,
        QuotedPair,
        AfterValue,
    }

    /// <summary>The trailer fields, filled when the trailer section has been parsed (empty before, and when the body had none).</summary>
    public HttpHeaders Trailers { get; } = new();

    /// <summary>Whether the last chunk and the trailer section have been consumed.</summary>
    public bool IsComplete => _mode == Mode.Complete;

    /// <summary>The number of decoded body bytes produced so far.</summary>
    public long BodyLength { get; private set; }

    /// <summary>
    /// Copies decoded body bytes from <paramref name="input"/> into <paramref name="output"/>, as much as both allow,
    /// consuming only what has been fully processed: chunk data as it is copied, and each chunk-size line, extension
    /// list, data CRLF and trailer section as a whole once it is complete.
    /// </summary>
    /// <param name="input">The encoded body; advanced past what was processed. Bytes after the body (a pipelined request) are not consumed.</param>
    /// <param name="output">Receives decoded bytes from its start.</param>
    /// <param name="written">How many bytes were written to <paramref name="output"/>.</param>
    /// <returns>
    /// <see cref="OperationStatus.Done"/> when the last chunk and the trailers were consumed (also on later calls);
    /// <see cref="OperationStatus.DestinationTooSmall"/> when <paramref name="output"/> is full while chunk data is
    /// waiting in <paramref name="input"/>; <see cref="OperationStatus.NeedMoreData"/> when <paramref name="input"/>
    /// is exhausted before the end of the body (if the connection has ended, that is a truncated body: answer 400).
    /// </returns>
    /// <exception cref="HttpRequestRejectedException">
    /// Malformed chunked framing (400), a body past <see cref="HttpLimits.MaxRequestBodySize"/> (413) or a trailer
    /// section past its limits (431).
    /// </exception>
    public OperationStatus Decode(ref SequenceReader<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        while (true)
        {
            switch (_mode)
            {
                case Mode.Prefix:
                    if (!TryReadChunkSize(ref input))
                    {
                        return OperationStatus.NeedMoreData;
                    }

                    break;

                case Mode.Extension:
                    if (!TrySkipExtensions(ref input))
                    {
                        return OperationStatus.NeedMoreData;
                    }

                    break;

                case Mode.Data:
                    if (input.End)
                    {
                        return OperationStatus.NeedMoreData;
                    }

                    if (written == output.Length)
                    {
                        return OperationStatus.DestinationTooSmall;
                    }

                    written += CopyData(ref input, output[written..]);
                    break;

                case Mode.Suffix:
                    if (!TryReadCrlf(ref input, RequestRejectionReason.MissingChunkTerminator))
                    {
                        return OperationStatus.NeedMoreData;
                    }

                    _mode = Mode.Prefix;
                    break;

                case Mode.Trailer:
                    // RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ), then the CRLF that ends the body.
                    if (!_trailerParser.TryParseTrailers(ref input, Trailers))
                    {
                        return OperationStatus.NeedMoreData;
                    }

                    _mode = Mode.Complete;
                    break;

                default:
                    Debug.Assert(_mode == Mode.Complete, $"unexpected mode {_mode}");
                    return OperationStatus.Done;
            }
        }
    }

    /// <summary>Prefix mode: chunk-size, then BWS before ";" or the CRLF. Consumes the size (and the CRLF when there is no extension).</summary>
    private bool TryReadChunkSize(ref SequenceReader<byte> input)
    {
        var probe = input;
        int max = _limits.MaxChunkPrefixLength;
        int length = 0;
        long size = 0;
        int digits = 0;
        byte b;
        while (true)
        {
            if (!probe.TryRead(out b))
            {
                CheckPrefixLength(length, max);
                return false;
            }

            int value = HttpSyntax.HexValue(b);
            if (value < 0)
            {
                break;
            }

            // RFC 9112 §7.1: "Recipients MUST anticipate potentially large hexadecimal numerals and prevent parsing
            // errors due to integer conversion overflows or precision loss due to integer representation."
            if (size > (MaxChunkSize - value) >> 4)
            {
                RequestRejection.Throw(RequestRejectionReason.InvalidChunkSize);
            }

            size = (size << 4) | (uint)value;
            digits++;
            CheckPrefixLength(++length, max);
        }

        if (digits == 0)
        {
            // chunk-size = 1*HEXDIG: an empty size, a sign, "0x" or leading whitespace all land here.
            RequestRejection.Throw(RequestRejectionReason.InvalidChunkSize);
        }

        // RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ).
        while (b is ByteSpace or ByteTab)
        {
            CheckPrefixLength(++length, max);
            if (!probe.TryRead(out b))
            {
                return false;
            }

            if (b is not (ByteSpace or ByteTab or ByteSemicolon))
            {
                // Whitespace is only allowed before an extension's ";".
                RequestRejection.Throw(RequestRejectionReason.InvalidChunkExtension);
            }
        }

        if (b == ByteSemicolon)
        {
            // The ";" stays unread: Extension mode starts at it.
            StartChunk(size);
            input.Advance(length);
            _prefixConsumed = length;
            _mode = Mode.Extension;
            return true;
        }

        if (b != ByteCR)
        {
            RequestRejection.Throw(RequestRejectionReason.InvalidChunkSize);
        }

        if (!probe.TryRead(out b))
        {
            return false;
        }

        if (b != ByteLF)
        {
            RequestRejection.Throw(RequestRejectionReason.InvalidLineEnding);
        }

        StartChunk(size);
        input.Advance(length + 2);
        EnterChunk();
        return true;
    }

    /// <summary>Extension mode: validates and skips the extensions and the CRLF, consuming them together once the CRLF is buffered.</summary>
    private bool TrySkipExtensions(ref SequenceReader<byte> input)
    {
        var probe = input;
        int max = _limits.MaxChunkPrefixLength;
        int length = _prefixConsumed;
        bool ok = probe.TryRead(out byte b);
        Debug.Assert(ok && b == ByteSemicolon, "Extension mode starts at a ';'");
        CheckPrefixLength(++length, max);

        var state = ExtensionState.NameStart;
        bool spaceAfterValue = false;
        while (true)
        {
            if (!probe.TryRead(out b))
            {
                return false;
            }

            if (b == ByteCR)
            {
                bool canEnd = state is ExtensionState.Name or ExtensionState.TokenValue
                    || (state == ExtensionState.AfterValue && !spaceAfterValue);
                if (!canEnd)
                {
                    RequestRejection.Throw(RequestRejectionReason.InvalidChunkExtension);
                }

                if (!probe.TryRead(out b))
                {
                    return false;
                }

                if (b != ByteLF)
                {
                    RequestRejection.Throw(RequestRejectionReason.InvalidLineEnding);
                }

                input.Advance(length - _prefixConsumed + 2);
                _prefixConsumed = 0;
                EnterChunk();
                return true;
            }

            CheckPrefixLength(++length, max);
            state = NextExtensionState(state, b, ref spaceAfterValue);
        }
    }

    private static ExtensionState NextExtensionState(ExtensionState state, byte b, ref bool spaceAfterValue)
    {
        bool space = b is ByteSpace or ByteTab;
        switch (state)
        {
            case ExtensionState.NameStart:
                if (space)
                {
                    return state;
                }

                if (HttpSyntax.IsTokenByte(b))
                {
                    return ExtensionState.Name;
                }

                break;

            case ExtensionState.Name or ExtensionState.AfterName:
                if (state == ExtensionState.Name && HttpSyntax.IsTokenByte(b))
                {
                    return state;
                }

                if (space)
                {
                    return ExtensionState.AfterName;
                }

                if (b == ByteEquals)
                {
                    return ExtensionState.ValueStart;
                }

                if (b == ByteSemicolon)
                {
                    return ExtensionState.NameStart;
                }

                break;

            case ExtensionState.ValueStart:
                if (space)
                {
                    return state;
                }

                if (b == ByteQuote)
                {
                    return ExtensionState.QuotedValue;
                }

                if (HttpSyntax.IsTokenByte(b))
                {
                    return ExtensionState.TokenValue;
                }

                break;

            case ExtensionState.TokenValue or ExtensionState.AfterValue:
                if (state == ExtensionState.TokenValue && HttpSyntax.IsTokenByte(b))
                {
                    return state;
                }

                if (space)
                {
                    spaceAfterValue = true;
                    return ExtensionState.AfterValue;
                }

                if (b == ByteSemicolon)
                {
                    spaceAfterValue = false;
                    return ExtensionState.NameStart;
                }

                break;

            case ExtensionState.QuotedValue:
                // RFC 9110 §5.6.4: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text.
                if (b == ByteQuote)
                {
                    spaceAfterValue = false;
                    return ExtensionState.AfterValue;
                }

                if (b == ByteBackslash)
                {
                    return ExtensionState.QuotedPair;
                }

                if (HttpSyntax.IsQuotedText(b))
                {
                    return state;
                }

                break;

            case ExtensionState.QuotedPair:
                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
                if (HttpSyntax.IsQuotedText(b))
                {
                    return ExtensionState.QuotedValue;
                }

                break;
        }

        RequestRejection.Throw(RequestRejectionReason.InvalidChunkExtension);
        return state;
    }

    private void StartChunk(long size)
    {
        // Refuse as soon as the announced size would take the body past the limit, before reading its data.
        if (size > _limits.MaxRequestBodySize - BodyLength)
        {
            RequestRejection.Throw(RequestRejectionReason.RequestBodyTooLarge);
        }

        _chunkSize = size;
        _chunkRemaining = size;
    }

    private void EnterChunk() =>
        // RFC 9112 §7.1: last-chunk = 1*("0") [ chunk-ext ] CRLF, followed by the trailer section.
        _mode = _chunkSize == 0 ? Mode.Trailer : Mode.Data;

    private int CopyData(ref SequenceReader<byte> input, Span<byte> output)
    {
        int count = (int)Math.Min(Math.Min(_chunkRemaining, input.Remaining), output.Length);
        bool copied = input.TryCopyTo(output[..count]);
        Debug.Assert(copied, "count is within what is buffered");
        input.Advance(count);
        _chunkRemaining -= count;
        BodyLength += count;
        if (_chunkRemaining == 0)
        {
            _mode = Mode.Suffix;
        }

        return count;
    }

    private static bool TryReadCrlf(ref SequenceReader<byte> input, RequestRejectionReason reason)
    {
        // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF.
        if (!input.TryPeek(out byte cr))
        {
            return false;
        }

        if (cr != ByteCR)
        {
            RequestRejection.Throw(reason);
        }

        if (!input.TryPeek(1, out byte lf))
        {
            return false;
        }

        if (lf != ByteLF)
        {
            RequestRejection.Throw(reason);
        }

        input.Advance(2);
        return true;
    }

    private static void CheckPrefixLength(int length, int max)
    {
        if (length > max)
        {
            RequestRejection.Throw(RequestRejectionReason.ChunkPrefixTooLong);
        }
    }
}
