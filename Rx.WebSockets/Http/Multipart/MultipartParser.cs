using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace Rx.WebSockets.Http.Multipart;

/// <summary>
/// A sans-I/O push parser for a multipart body (RFC 2046 §5.1.1; multipart/form-data per RFC 7578): preamble,
/// delimiter, part headers, part body, ..., close delimiter, epilogue. It reports what it finds as
/// <see cref="MultipartSection"/> events and never buffers a part body.
/// </summary>
/// <remarks>
/// <para>
/// Drive it like the request parser: call <see cref="Read"/> until it returns
/// <see cref="OperationStatus.NeedMoreData"/>, handing each section on; then release what the reader consumed and mark
/// the whole buffer examined (<c>AdvanceTo(reader.Position, buffer.End)</c>), and call again when more bytes arrive.
/// At the end of the input call <see cref="Complete"/>, which throws when the close delimiter was never seen. A
/// section's <see cref="MultipartSection.Data"/> must be used before the buffer is released.
/// </para>
/// <para>
/// Body bytes are reported as soon as they certainly are not the start of a delimiter. When the input ends with a
/// prefix of <c>CRLF "--" boundary</c> (at most boundary length + 4 bytes) that prefix stays unconsumed until the next
/// bytes decide it, so a delimiter split across reads is still found, and a boundary-like string not at the start of
/// a line never splits a part.
/// </para>
/// <para>
/// Differences from Ktor's <c>parseMultipart</c>: the CRLF before the first delimiter belongs to the delimiter
/// (RFC 2046's <c>[preamble CRLF] dash-boundary</c>), so it is not reported as preamble; a part's own
/// <c>Content-Length</c> is ignored (RFC 7578 §4.8: other header fields "MUST be ignored"), the delimiter is always
/// searched for; a delimiter directly followed by another one is reported as a part with no headers and an empty
/// body instead of being skipped; a missing close delimiter is an error rather than a body running to the end; a
/// delimiter followed by anything but transport padding + CRLF or <c>--</c> is an error (RFC 2046 §5.1.1: the
/// boundary "MUST NOT appear ... as the prefix of any line").
/// </para>
/// <para>Thread-safety: not thread-safe; one parser per body, driven by one reader at a time.</para>
/// </remarks>
public sealed class MultipartParser
{
    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';
    private const byte ByteDash = (byte)'-';
    private const byte ByteSpace = (byte)' ';
    private const byte ByteTab = (byte)'\t';

    // RFC 2046 §5.1.1: delimiter := CRLF dash-boundary; dash-boundary := "--" boundary
    private readonly byte[] _delimiter;
    private State _state;

    // Preamble: nothing has been reported yet. Body: no body byte has been reported yet. In both cases the previous
    // CRLF (or the start of the body) stands in for the delimiter's own CRLF.
    private bool _atLineStart = true;
    private long _preambleBytes;
    private long _bodyBytes;
    private int _partCount;

    /// <summary>Creates a parser for one multipart body.</summary>
    /// <param name="boundary">The boundary from the <c>Content-Type</c> (see <see cref="MultipartBoundary"/>), without <c>--</c>.</param>
    /// <param name="limits">The limits; <see cref="MultipartLimits.Default"/> when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="boundary"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="boundary"/> is not a valid RFC 2046 boundary.</exception>
    public MultipartParser(string boundary, MultipartLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(boundary);
        if (!MultipartBoundary.IsValid(boundary))
        {
            throw new ArgumentException("The boundary must be 1-70 RFC 2046 bchars, not ending in a space.", nameof(boundary));
        }

        Boundary = boundary;
        Limits = limits ?? MultipartLimits.Default;
        _delimiter = Encoding.ASCII.GetBytes("\r\n--" + boundary);
    }

    private enum State
    {
        Preamble,
        Body,
        AfterDelimiter,
        EpilogueStart,
        Epilogue,
    }

    private enum Match
    {
        None,
        Partial,
        Full,
    }

    /// <summary>The boundary, without the leading <c>--</c>.</summary>
    public string Boundary { get; }

    /// <summary>The limits in force.</summary>
    public MultipartLimits Limits { get; }

    /// <summary>How many parts have started so far.</summary>
    public int PartCount => _partCount;

    /// <summary>Whether the close delimiter has been read (<see cref="MultipartSectionKind.End"/> was reported).</summary>
    public bool IsCompleted => _state >= State.EpilogueStart;

    /// <summary>Reads the next section from <paramref name="input"/>.</summary>
    /// <param name="input">The bytes received and not yet consumed; advanced past what the section covers.</param>
    /// <param name="section">The section, when the result is <see cref="OperationStatus.Done"/>.</param>
    /// <returns>
    /// <see cref="OperationStatus.Done"/> with a section, or <see cref="OperationStatus.NeedMoreData"/> with
    /// <paramref name="input"/> not advanced at all.
    /// </returns>
    /// <exception cref="MultipartException">The body is malformed or exceeds <see cref="Limits"/>.</exception>
    public OperationStatus Read(ref SequenceReader<byte> input, out MultipartSection section) => _state switch
    {
        State.Preamble => ReadPreamble(ref input, out section),
        State.Body => ReadBody(ref input, out section),
        State.AfterDelimiter => ReadAfterDelimiter(ref input, out section),
        State.EpilogueStart => ReadEpilogueStart(ref input, out section),
        _ => ReadEpilogue(ref input, out section),
    };

    /// <summary>Tells the parser that the input has ended (call it once <see cref="Read"/> needs more data and there is none).</summary>
    /// <exception cref="MultipartException">The close delimiter (<c>--boundary--</c>) was not read.</exception>
    /// <remarks>Transport padding after the close delimiter that was still held back is discarded.</remarks>
    public void Complete()
    {
        if (!IsCompleted)
        {
            // RFC 2046 §5.1.1: multipart-body := [preamble CRLF] dash-boundary ... *encapsulation close-delimiter ...
            MultipartThrowHelper.ThrowMalformed(
                $"The multipart body ended before its closing boundary '--{Boundary}--' (missing closing boundary; {_partCount} part(s) started).");
        }
    }

    private OperationStatus ReadPreamble(ref SequenceReader<byte> input, out MultipartSection section)
    {
        var match = FindDelimiter(input, _atLineStart, out long offset, out int length);
        if (offset > 0)
        {
            if (offset > Limits.MaxPreambleBytes - _preambleBytes)
            {
                MultipartThrowHelper.ThrowLimitExceeded(
                    $"The multipart preamble is longer than {Limits.MaxPreambleBytes} bytes (MultipartLimits.MaxPreambleBytes); is the boundary '{Boundary}' right?");
            }

            _preambleBytes += offset;
            _atLineStart = false;
            section = TakeData(ref input, offset, MultipartSectionKind.PreambleData, -1);
            return OperationStatus.Done;
        }

        section = default;
        if (match != Match.Full)
        {
            return OperationStatus.NeedMoreData;
        }

        // The first delimiter and what follows it are one step, so that needing more data consumes nothing.
        var probe = input;
        probe.Advance(length);
        var status = ReadAfterDelimiter(ref probe, out section);
        if (status == OperationStatus.Done)
        {
            input = probe;
        }

        return status;
    }

    private OperationStatus ReadBody(ref SequenceReader<byte> input, out MultipartSection section)
    {
        var match = FindDelimiter(input, _atLineStart, out long offset, out int length);
        if (offset > 0)
        {
            if (offset > Limits.MaxPartBodySize - _bodyBytes)
            {
                MultipartThrowHelper.ThrowLimitExceeded(
                    $"Multipart part #{_partCount - 1} has a body larger than {Limits.MaxPartBodySize} bytes (MultipartLimits.MaxPartBodySize).");
            }

            _bodyBytes += offset;
            _atLineStart = false;
            section = TakeData(ref input, offset, MultipartSectionKind.PartBodyData, _partCount - 1);
            return OperationStatus.Done;
        }

        section = default;
        if (match != Match.Full)
        {
            return OperationStatus.NeedMoreData;
        }

        // Look at what follows the delimiter before ending the part: a boundary string followed by junk must fail
        // the body, not complete this part successfully.
        var probe = input;
        probe.Advance(length);
        if (!CheckDelimiterEnd(probe))
        {
            return OperationStatus.NeedMoreData;
        }

        input = probe;
        _state = State.AfterDelimiter;
        section = new MultipartSection(MultipartSectionKind.PartEnd, _partCount - 1, default, null);
        return OperationStatus.Done;
    }

    /// <summary>Reads what follows <c>--boundary</c>: either <c>--</c> (close delimiter) or padding, CRLF and a part's header section.</summary>
    private OperationStatus ReadAfterDelimiter(ref SequenceReader<byte> input, out MultipartSection section)
    {
        section = default;
        var probe = input;
        if (!probe.TryPeek(out byte first))
        {
            return OperationStatus.NeedMoreData;
        }

        if (first == ByteDash)
        {
            if (!probe.TryPeek(1, out byte second))
            {
                return OperationStatus.NeedMoreData;
            }

            if (second != ByteDash)
            {
                ThrowJunkAfterDelimiter();
            }

            // RFC 2046 §5.1.1: close-delimiter := delimiter "--"
            probe.Advance(2);
            input = probe;
            _state = State.EpilogueStart;
            section = new MultipartSection(MultipartSectionKind.End, -1, default, null);
            return OperationStatus.Done;
        }

        // RFC 2046 §5.1.1: dash-boundary transport-padding CRLF; transport-padding := *LWSP-char, "Composers MUST NOT
        // generate non-zero length transport padding, but receivers MUST be able to handle padding".
        long used = probe.AdvancePastAny(ByteSpace, ByteTab);
        if (used + 2 > Limits.MaxPartHeaderBytes)
        {
            MultipartThrowHelper.ThrowLimitExceeded(
                $"A multipart part header section is larger than {Limits.MaxPartHeaderBytes} bytes (MultipartLimits.MaxPartHeaderBytes).");
        }

        if (!probe.TryRead(out byte b))
        {
            return OperationStatus.NeedMoreData;
        }

        if (b != ByteCR)
        {
            ThrowJunkAfterDelimiter();
        }

        if (!probe.TryRead(out b))
        {
            return OperationStatus.NeedMoreData;
        }

        if (b != ByteLF)
        {
            ThrowJunkAfterDelimiter();
        }

        used += 2;
        if (_partCount == Limits.MaxPartCount)
        {
            MultipartThrowHelper.ThrowLimitExceeded(
                $"The multipart body has more than {Limits.MaxPartCount} parts (MultipartLimits.MaxPartCount).");
        }

        HttpHeaders? headers;

        // A delimiter right after this one: body-part := MIME-part-headers [CRLF *OCTET] may be empty, and the
        // delimiter line's CRLF stands in for the next delimiter's. Ktor skips such a part; we report it, empty.
        var next = MatchAt(probe, _delimiter.AsSpan(2));
        if (next == Match.Partial)
        {
            return OperationStatus.NeedMoreData;
        }

        if (next == Match.Full)
        {
            headers = new HttpHeaders();
        }
        else if (!PartHeaderParser.TryRead(ref probe, used, Limits, out headers))
        {
            return OperationStatus.NeedMoreData;
        }

        input = probe;
        _state = State.Body;
        _atLineStart = true;
        _bodyBytes = 0;
        section = new MultipartSection(MultipartSectionKind.PartStart, _partCount++, default, headers);
        return OperationStatus.Done;
    }

    private OperationStatus ReadEpilogueStart(ref SequenceReader<byte> input, out MultipartSection section)
    {
        // RFC 2046 §5.1.1: close-delimiter transport-padding [CRLF epilogue]: the padding and CRLF end the close
        // delimiter's line and are not epilogue.
        section = default;
        var probe = input;
        long padding = probe.AdvancePastAny(ByteSpace, ByteTab);
        if (padding <= Limits.MaxPartHeaderBytes)
        {
            if (!probe.TryPeek(out byte b) || (b == ByteCR && !probe.TryPeek(1, out _)))
            {
                return OperationStatus.NeedMoreData;
            }

            if (probe.IsNext("\r\n"u8, advancePast: true))
            {
                if (probe.End)
                {
                    // Consuming the CRLF without reporting anything would break "need more data consumes nothing".
                    return OperationStatus.NeedMoreData;
                }

                input = probe;
            }
        }

        // Without that CRLF (or after absurd padding), the rest is taken as epilogue as it is.
        _state = State.Epilogue;
        return ReadEpilogue(ref input, out section);
    }

    private static OperationStatus ReadEpilogue(ref SequenceReader<byte> input, out MultipartSection section)
    {
        if (input.End)
        {
            section = default;
            return OperationStatus.NeedMoreData;
        }

        section = TakeData(ref input, input.Remaining, MultipartSectionKind.EpilogueData, -1);
        return OperationStatus.Done;
    }

    private static MultipartSection TakeData(ref SequenceReader<byte> input, long length, MultipartSectionKind kind, int partIndex)
    {
        Debug.Assert(length > 0 && length <= input.Remaining, $"data length {length} out of range");
        var data = input.Sequence.Slice(input.Position, length);
        input.Advance(length);
        return new MultipartSection(kind, partIndex, data, null);
    }

    /// <summary>
    /// Finds the earliest offset where a delimiter begins (<see cref="Match.Full"/>) or may begin once more bytes
    /// arrive (<see cref="Match.Partial"/>); <see cref="Match.None"/> with the whole remaining length otherwise.
    /// </summary>
    private Match FindDelimiter(SequenceReader<byte> input, bool atLineStart, out long offset, out int length)
    {
        ReadOnlySpan<byte> delimiter = _delimiter;
        offset = 0;
        if (atLineStart)
        {
            // RFC 2046 §5.1.1: the first dash-boundary has no CRLF of its own; neither needs a delimiter right after a
            // part's header section, whose final CRLF is the one the delimiter starts with.
            var first = MatchAt(input, delimiter[2..]);
            if (first != Match.None)
            {
                length = delimiter.Length - 2;
                return first;
            }
        }

        var probe = input;
        while (probe.TryAdvanceTo(ByteCR, advancePastDelimiter: false))
        {
            var match = MatchAt(probe, delimiter);
            if (match != Match.None)
            {
                offset = probe.Consumed - input.Consumed;
                length = delimiter.Length;
                return match;
            }

            probe.Advance(1);
        }

        offset = input.Remaining;
        length = 0;
        return Match.None;
    }

    private static Match MatchAt(SequenceReader<byte> at, ReadOnlySpan<byte> pattern)
    {
        if (at.Remaining >= pattern.Length)
        {
            return at.IsNext(pattern) ? Match.Full : Match.None;
        }

        // Fewer bytes than the pattern: if they all agree with it, only the next bytes can tell.
        Span<byte> tail = stackalloc byte[pattern.Length];
        tail = tail[..(int)at.Remaining];
        at.TryCopyTo(tail);
        return tail.SequenceEqual(pattern[..tail.Length]) ? Match.Partial : Match.None;
    }

    /// <summary>
    /// Whether the bytes after a delimiter allow it (<c>--</c>, transport padding, or CRLF); false when more bytes
    /// are needed to tell.
    /// </summary>
    private static bool CheckDelimiterEnd(SequenceReader<byte> after)
    {
        if (!after.TryPeek(out byte first))
        {
            return false;
        }

        if (first is ByteSpace or ByteTab)
        {
            return true;
        }

        if (first is not (ByteDash or ByteCR))
        {
            ThrowJunkAfterDelimiter();
        }

        if (!after.TryPeek(1, out byte second))
        {
            return false;
        }

        if ((first == ByteDash && second != ByteDash) || (first == ByteCR && second != ByteLF))
        {
            ThrowJunkAfterDelimiter();
        }

        return true;
    }

    private static void ThrowJunkAfterDelimiter() =>
        // RFC 2046 §5.1.1: "The boundary delimiter MUST occur at the beginning of a line ... [it] MUST NOT appear
        // inside any of the encapsulated parts, on a line by itself or as the prefix of any line."
        MultipartThrowHelper.ThrowMalformed(
            "A multipart boundary delimiter is followed by something other than '--' or (optional padding and) CRLF; the boundary must not begin a line inside a part.");
}
