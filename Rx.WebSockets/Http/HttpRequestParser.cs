using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Threading;

namespace Rx.WebSockets.Http;

/// <summary>
/// Parses HTTP/1.1 request heads (RFC 9112 §2–§5) and chunked trailer sections (§7.1.2) from a
/// <see cref="SequenceReader{T}"/>, sans-I/O: it owns no buffer and never waits.
/// </summary>
/// <remarks>
/// <para>
/// Strictness, where RFC 9112 leaves a choice: lines must end with CRLF — a bare LF is refused although §2.2 allows
/// a recipient to accept it, because a front end that splits lines differently from us is exactly what request
/// smuggling exploits; the request-line parts are separated by exactly one SP (the §3 grammar; the "MAY parse on
/// whitespace-delimited word boundaries" leniency is not taken); obs-fold is refused (§5.2); field values are kept
/// as Latin-1 strings, so obs-text bytes survive unchanged (RFC 9110 §5.5 treats them as opaque); an
/// <c>HTTP/1.x</c> version with x ≥ 2 is handled as HTTP/1.1 (RFC 9110 §2.5), any other major version gets 505.
/// At most <see cref="MaxLeadingEmptyLines"/> empty lines before the request line are skipped (§2.2).
/// </para>
/// <para>
/// Allocation: a head costs the strings it carries (target, field values, unknown method and field names), the
/// <see cref="HttpHeaders"/> and the <see cref="HttpRequestHead"/>; known methods and common field names are interned
/// constants (a common field name received in another case, such as <c>host</c>, is reported in its usual case; names
/// compare case-insensitively anyway). The strings of recent targets without a query and of recent valid
/// <c>Host</c> values are kept in small fixed tables and reused when the same bytes come again, so a client that
/// repeats its requests costs no string for them (and a reused <c>Host</c> is not validated again). A head that lies
/// in one segment is measured and parsed straight from it; one split across segments is copied once into a pooled
/// buffer.
/// </para>
/// <para>
/// Incomplete input: a head is consumed only as a whole, so each call rescans what is buffered from its start. The
/// scans are vectorised and bounded by the limits (request line plus header section), and the caller should call
/// again only when new bytes arrived (<c>AdvanceTo(consumed, examined)</c> with examined at the buffer's end).
/// </para>
/// <para>Thread-safety: the parser holds only its limits, so one instance may serve many connections at once.</para>
/// </remarks>
public sealed class HttpRequestParser
{
    /// <summary>How many empty lines (CRLF) before a request line are skipped; one more is refused with 400.</summary>
    /// <remarks>
    /// RFC 9112 §2.2: "a server that is expecting to receive and parse a request-line SHOULD ignore at least one empty
    /// line (CRLF) received prior to the request-line". Old clients sent an extra CRLF after a POST body; nobody sends
    /// more than a couple, and a bound keeps a stream of empty lines from being read for free.
    /// </remarks>
    public const int MaxLeadingEmptyLines = 4;

    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';
    private const byte ByteSpace = (byte)' ';
    private const byte ByteSlash = (byte)'/';
    private const byte ByteAsterisk = (byte)'*';
    private const byte ByteDot = (byte)'.';
    private const byte ByteZero = (byte)'0';
    private const int VersionLength = 8; // "HTTP/1.1"

    private const string HostField = "Host";

    private static readonly string[] s_knownFieldNames =
    [
        HostField, "Connection", "Content-Length", "Transfer-Encoding", "Content-Type", "Upgrade", "Expect", "TE",
        "Trailer", "Accept", "Accept-Encoding", "Accept-Language", "User-Agent", "Cookie", "Authorization",
        "Cache-Control", "Pragma", "Origin", "Referer", "Range", "If-Range", "If-None-Match", "If-Modified-Since",
        "Keep-Alive", "Content-Encoding", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions",
        "Sec-WebSocket-Protocol", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
    ];

    private readonly HttpLimits _limits;

    // Strings of recent request targets and Host values, reused when the same bytes come again (a client asks for the
    // same few paths of the same host over and over); a Host value is kept only once it passed validation.
    private readonly RecentStrings _targets = new();
    private readonly RecentStrings _hosts = new();

    /// <summary>Creates a parser.</summary>
    /// <param name="limits">The limits to enforce.</param>
    /// <exception cref="ArgumentNullException"><paramref name="limits"/> is null.</exception>
    public HttpRequestParser(HttpLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _limits = limits;
    }

    /// <summary>The limits this parser enforces.</summary>
    public HttpLimits Limits => _limits;

    /// <summary>Parses one request head: optional empty lines, the request line, the header section and its final empty line.</summary>
    /// <param name="reader">The input; on success it is advanced past the head, so that it points at the body or the next request.</param>
    /// <param name="head">The head; null when more data is needed.</param>
    /// <returns>
    /// <see langword="true"/> when a complete head was parsed and consumed; <see langword="false"/> when more data is
    /// needed, in which case <paramref name="reader"/> is not advanced.
    /// </returns>
    /// <exception cref="HttpRequestRejectedException">
    /// The head is invalid (400, 505), or its request line or header section already exceeds
    /// <see cref="Limits"/> (414, 431) — thrown as soon as the buffered bytes prove it, without waiting for the line
    /// end or the end of the head. 417 for an <c>Expect</c> other than <c>100-continue</c>.
    /// </exception>
    public bool TryParseRequestHead(ref SequenceReader<byte> reader, [NotNullWhen(true)] out HttpRequestHead? head)
    {
        head = null;
        if (TryMeasureHead(reader.UnreadSpan, out int fastLineLength, out int fastHeadLength))
        {
            // The whole head is in the current segment and measured valid: parse it from there.
            head = ParseHead(reader.UnreadSpan[..fastHeadLength], fastLineLength);
            reader.Advance(fastHeadLength);
            return true;
        }

        var probe = reader;
        if (!TrySkipLeadingEmptyLines(ref probe))
        {
            return false;
        }

        long skipped = probe.Consumed - reader.Consumed;
        if (!TryMeasureRequestLine(probe, out int lineLength))
        {
            return false;
        }

        var section = probe;
        section.Advance(lineLength);
        if (!TryMeasureFieldSection(
                section,
                _limits.MaxRequestHeadersTotalSize,
                _limits.MaxRequestHeaderCount,
                RequestRejectionReason.HeadersTooLarge,
                RequestRejectionReason.TooManyHeaders,
                out int sectionLength))
        {
            return false;
        }

        // Both parts are within their limits now, so the copy below is bounded by them.
        int headLength = lineLength + sectionLength;
        var bytes = probe.UnreadSequence.Slice(0, headLength);
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> span;
            if (bytes.IsSingleSegment)
            {
                span = bytes.FirstSpan;
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent(headLength);
                bytes.CopyTo(rented);
                span = rented.AsSpan(0, headLength);
            }

            head = ParseHead(span, lineLength);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        reader.Advance(skipped + headLength);
        return true;
    }

    /// <summary>
    /// Parses the trailer section of a chunked body (RFC 9112 §7.1.2: <c>*( field-line CRLF ) CRLF</c>), with the
    /// same field rules as the header section and the limits <see cref="HttpLimits.MaxTrailerSize"/> and
    /// <see cref="HttpLimits.MaxRequestHeaderCount"/>.
    /// </summary>
    /// <param name="reader">The input, positioned just after the last chunk's line; on success advanced past the final CRLF.</param>
    /// <param name="trailers">Receives the trailer fields (kept apart from the header section, RFC 9110 §6.5.1).</param>
    /// <returns>
    /// <see langword="true"/> when the whole section was parsed and consumed; <see langword="false"/> when more data
    /// is needed, in which case nothing is consumed and <paramref name="trailers"/> is unchanged.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="trailers"/> is null.</exception>
    /// <exception cref="HttpRequestRejectedException">
    /// A field line is invalid (400) or the section exceeds the limits (431); fields before the faulty line may already
    /// have been added to <paramref name="trailers"/>.
    /// </exception>
    public bool TryParseTrailers(ref SequenceReader<byte> reader, HttpHeaders trailers)
    {
        ArgumentNullException.ThrowIfNull(trailers);
        if (!TryMeasureFieldSection(
                reader,
                _limits.MaxTrailerSize,
                _limits.MaxRequestHeaderCount,
                RequestRejectionReason.TrailersTooLarge,
                RequestRejectionReason.TrailersTooLarge,
                out int length))
        {
            return false;
        }

        var bytes = reader.UnreadSequence.Slice(0, length);
        if (bytes.IsSingleSegment)
        {
            ParseFieldLines(bytes.FirstSpan, trailers, hosts: null);
        }
        else
        {
            byte[] rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                bytes.CopyTo(rented);
                ParseFieldLines(rented.AsSpan(0, length), trailers, hosts: null);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        reader.Advance(length);
        return true;
    }

    /// <summary>
    /// The usual case on one span: no empty line before the request line, and a complete head within the limits whose
    /// lines all end with CRLF. False for anything else (more data needed, or a head the general path must refuse with
    /// its exact reason), which the general path then handles.
    /// </summary>
    private bool TryMeasureHead(ReadOnlySpan<byte> span, out int lineLength, out int headLength)
    {
        lineLength = 0;
        headLength = 0;
        if (span.IsEmpty || span[0] is ByteCR or ByteLF)
        {
            return false;
        }

        // As TryMeasureRequestLine: the LF of a line of at most max bytes lies within max + 2 bytes.
        var bounded = span[..(int)Math.Min(span.Length, (long)_limits.MaxRequestLineLength + 2)];
        int lf = bounded.IndexOf(ByteLF);
        if (lf < 1 || span[lf - 1] != ByteCR)
        {
            return false;
        }

        lineLength = lf + 1;
        var section = span[lineLength..];
        section = section[..Math.Min(section.Length, _limits.MaxRequestHeadersTotalSize)];
        int offset = 0;
        int count = 0;
        while (true)
        {
            lf = section[offset..].IndexOf(ByteLF);
            if (lf < 1 || section[offset + lf - 1] != ByteCR)
            {
                return false;
            }

            if (lf == 1)
            {
                headLength = lineLength + offset + 2;
                return true;
            }

            if (++count > _limits.MaxRequestHeaderCount)
            {
                return false;
            }

            offset += lf + 1;
        }
    }

    private static bool TrySkipLeadingEmptyLines(ref SequenceReader<byte> probe)
    {
        int empty = 0;
        while (probe.TryPeek(out byte first))
        {
            if (first == ByteLF)
            {
                // RFC 9112 §2.2: a recipient MAY recognise a single LF as a line terminator; we do not (class remarks).
                RequestRejection.Throw(RequestRejectionReason.InvalidLineEnding);
            }

            if (first != ByteCR)
            {
                return true;
            }

            if (!probe.TryPeek(1, out byte second))
            {
                return false;
            }

            if (second != ByteLF)
            {
                RequestRejection.Throw(RequestRejectionReason.InvalidLineEnding);
            }

            // RFC 9112 §2.2: "SHOULD ignore at least one empty line (CRLF) received prior to the request-line".
            if (++empty > MaxLeadingEmptyLines)
            {
                RequestRejection.Throw(RequestRejectionReason.TooManyLeadingEmptyLines);
            }

            probe.Advance(2);
        }

        return false;
    }

    /// <summary>Finds the request line's end within the limit; <paramref name="length"/> includes the CRLF.</summary>
    private bool TryMeasureRequestLine(SequenceReader<byte> probe, out int length)
    {
        length = 0;
        long max = _limits.MaxRequestLineLength;

        // A line of max bytes has its LF at offset max + 1; searching further is wasted work on a hostile stream.
        var bounded = new SequenceReader<byte>(probe.UnreadSequence.Slice(0, Math.Min(probe.Remaining, max + 2)));
        if (!bounded.TryReadTo(out ReadOnlySequence<byte> line, ByteLF))
        {
            // No LF within max + 2 bytes: the line is already longer than the limit, whatever follows.
            if (probe.Remaining >= max + 2)
            {
                RequestRejection.Throw(RequestRejectionReason.RequestLineTooLong);
            }

            return false;
        }

        if (!EndsWithCR(line))
        {
            // A bare LF ends nothing for us, so a line that is already past the limit is refused as too long.
            RequestRejection.Throw(line.Length > max
                ? RequestRejectionReason.RequestLineTooLong
                : RequestRejectionReason.InvalidLineEnding);
        }

        length = (int)bounded.Consumed;
        return true;
    }

    /// <summary>
    /// Finds the end of a field section (<c>*( field-line CRLF ) CRLF</c>) and enforces its byte and line limits on
    /// what is buffered, complete or not; <paramref name="length"/> includes the final empty line.
    /// </summary>
    private static bool TryMeasureFieldSection(
        SequenceReader<byte> probe,
        int maxBytes,
        int maxCount,
        RequestRejectionReason tooLarge,
        RequestRejectionReason tooMany,
        out int length)
    {
        length = 0;
        var bounded = new SequenceReader<byte>(probe.UnreadSequence.Slice(0, Math.Min(probe.Remaining, maxBytes)));
        int count = 0;
        while (true)
        {
            if (!bounded.TryReadTo(out ReadOnlySequence<byte> line, ByteLF))
            {
                // The section cannot end within maxBytes: refuse now rather than buffer the rest of it.
                if (probe.Remaining > maxBytes)
                {
                    RequestRejection.Throw(tooLarge);
                }

                return false;
            }

            if (!EndsWithCR(line))
            {
                RequestRejection.Throw(RequestRejectionReason.InvalidLineEnding);
            }

            if (line.Length == 1)
            {
                length = (int)bounded.Consumed;
                return true;
            }

            if (++count > maxCount)
            {
                RequestRejection.Throw(tooMany);
            }
        }
    }

    private static bool EndsWithCR(in ReadOnlySequence<byte> line)
    {
        if (line.IsEmpty)
        {
            return false;
        }

        var last = line.IsSingleSegment ? line.FirstSpan : line.Slice(line.Length - 1).FirstSpan;
        return last[^1] == ByteCR;
    }

    private HttpRequestHead ParseHead(ReadOnlySpan<byte> head, int lineLength)
    {
        ParseRequestLine(head[..(lineLength - 2)], out string method, out string target, out HttpVersion version);
        var headers = new HttpHeaders();
        ParseFieldLines(head[lineLength..], headers, _hosts);
        ValidateHeaderSemantics(headers, version, _hosts);
        return new HttpRequestHead(method, target, version, headers);
    }

    private void ParseRequestLine(ReadOnlySpan<byte> line, out string method, out string target, out HttpVersion version)
    {
        if (line.Contains(ByteCR))
        {
            // RFC 9112 §2.2: "A sender MUST NOT generate a bare CR ... a recipient of such a bare CR MUST consider
            // that element to be invalid or replace each bare CR with SP"; we refuse.
            RequestRejection.Throw(RequestRejectionReason.InvalidLineEnding);
        }

        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version. Exactly one SP each: a second SP makes
        // the target empty or leaves a space in the version, and both are refused below.
        int firstSpace = line.IndexOf(ByteSpace);
        if (firstSpace <= 0)
        {
            RequestRejection.Throw(RequestRejectionReason.InvalidRequestLine);
        }

        var methodBytes = line[..firstSpace];
        if (!HttpSyntax.IsToken(methodBytes))
        {
            // RFC 9112 §3.1: method = token.
            RequestRejection.Throw(RequestRejectionReason.InvalidRequestLine);
        }

        var rest = line[(firstSpace + 1)..];
        int secondSpace = rest.IndexOf(ByteSpace);
        if (secondSpace <= 0)
        {
            RequestRejection.Throw(RequestRejectionReason.InvalidRequestLine);
        }

        var targetBytes = rest[..secondSpace];

        // The version is checked before the target so that an HTTP/2 preface ("PRI * HTTP/2.0") gets 505, not 400.
        version = ParseVersion(rest[(secondSpace + 1)..]);
        ValidateTarget(targetBytes, methodBytes);

        method = HttpMethods.TryGetKnownMethod(methodBytes, out var known) ? known : Encoding.ASCII.GetString(methodBytes);
        // A target with a query is not kept: queries vary, and may carry secrets.
        target = targetBytes is [ByteSlash] ? "/"
            : targetBytes.Length <= RecentStrings.MaxLength && !targetBytes.Contains((byte)'?') ? _targets.GetOrAdd(targetBytes)
            : Encoding.ASCII.GetString(targetBytes);
    }

    private static HttpVersion ParseVersion(ReadOnlySpan<byte> version)
    {
        // RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT; HTTP-name = %s"HTTP" (case-sensitive).
        if (version.Length != VersionLength
            || !version.StartsWith("HTTP/"u8)
            || !char.IsAsciiDigit((char)version[5])
            || version[6] != ByteDot
            || !char.IsAsciiDigit((char)version[7]))
        {
            RequestRejection.Throw(RequestRejectionReason.InvalidRequestLine);
        }

        if (version[5] != ByteZero + 1)
        {
            // RFC 9110 §15.6.6: 505 "indicates that the server does not support, or refuses to support, the major
            // version of HTTP that was used in the request message".
            RequestRejection.Throw(RequestRejectionReason.HttpVersionNotSupported);
        }

        // RFC 9110 §2.5: a recipient that receives a higher minor version "SHOULD process the message as if it were in
        // the highest minor version within that major version to which the recipient is conformant", so 1.2–1.9 → 1.1.
        return version[7] == ByteZero ? HttpVersion.Http10 : HttpVersion.Http11;
    }

    private static void ValidateTarget(ReadOnlySpan<byte> target, ReadOnlySpan<byte> method)
    {
        // RFC 9112 §3.2: no form of request-target has whitespace, controls or a fragment; we also keep it ASCII.
        if (!HttpSyntax.IsTargetText(target))
        {
            RequestRejection.Throw(RequestRejectionReason.InvalidRequestTarget);
        }

        if (method.SequenceEqual("CONNECT"u8))
        {
            // RFC 9112 §3.2.3: "The authority-form of request-target is only used for CONNECT requests"; it is
            // uri-host ":" port, and a CONNECT target is always in that form.
            if (!HttpSyntax.IsValidAuthority(target, requirePort: true))
            {
                RequestRejection.Throw(RequestRejectionReason.InvalidRequestTarget);
            }

            return;
        }

        if (target[0] == ByteSlash)
        {
            return; // origin-form (§3.2.1)
        }

        if (target is [ByteAsterisk])
        {
            // RFC 9112 §3.2.4: the asterisk-form "is only used for a server-wide OPTIONS request".
            if (!method.SequenceEqual("OPTIONS"u8))
            {
                RequestRejection.Throw(RequestRejectionReason.InvalidRequestTarget);
            }

            return;
        }

        // RFC 9112 §3.2.2: absolute-form = absolute-URI, which starts with scheme ":".
        if (!HttpSyntax.StartsWithScheme(target))
        {
            RequestRejection.Throw(RequestRejectionReason.InvalidRequestTarget);
        }
    }

    /// <summary>Parses field lines up to and including the empty line that ends the section; the section is known complete.</summary>
    private static void ParseFieldLines(ReadOnlySpan<byte> section, HttpHeaders into, RecentStrings? hosts)
    {
        while (true)
        {
            int lf = section.IndexOf(ByteLF);
            Debug.Assert(lf >= 1 && section[lf - 1] == ByteCR, "the section was measured: every line ends with CRLF");
            var line = section[..(lf - 1)];
            if (line.IsEmpty)
            {
                return;
            }

            ParseFieldLine(line, into, hosts);
            section = section[(lf + 1)..];
        }
    }

    private static void ParseFieldLine(ReadOnlySpan<byte> line, HttpHeaders into, RecentStrings? hosts)
    {
        // RFC 9112 §5.1, §5.2 and RFC 9110 §5.5 refusals, all 400 (HttpSyntax.ParseFieldLine quotes each rule).
        var error = HttpSyntax.ParseFieldLine(line, rejectBareCR: true, out var name, out var value, out _);
        if (error != HttpSyntax.FieldLineError.None)
        {
            RequestRejection.Throw(error switch
            {
                HttpSyntax.FieldLineError.ObsoleteLineFolding => RequestRejectionReason.ObsoleteLineFolding,
                HttpSyntax.FieldLineError.BareCR => RequestRejectionReason.InvalidLineEnding,
                HttpSyntax.FieldLineError.InvalidName => RequestRejectionReason.InvalidHeaderName,
                _ => RequestRejectionReason.InvalidHeaderValue,
            });
        }

        string fieldName = GetFieldName(name);
        string fieldValue = value.IsEmpty ? string.Empty
            : hosts is not null && ReferenceEquals(fieldName, HostField) ? hosts.GetOrCreate(value)
            : Encoding.Latin1.GetString(value);
        into.Add(fieldName, fieldValue);
    }

    private static string GetFieldName(ReadOnlySpan<byte> name)
    {
        // Field names are case-insensitive (RFC 9110 §5.1), so a known name in any case becomes its interned constant.
        foreach (var known in s_knownFieldNames)
        {
            if (known.Length == name.Length && Ascii.EqualsIgnoreCase(name, known))
            {
                return known;
            }
        }

        return Encoding.ASCII.GetString(name);
    }

    private static void ValidateHeaderSemantics(HttpHeaders headers, HttpVersion version, RecentStrings validHosts)
    {
        string? host = null;
        int hosts = 0;
        for (int i = 0; i < headers.Count; i++)
        {
            var (name, value) = headers[i];
            if (string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase))
            {
                hosts++;
                host = value;
            }
            else if (string.Equals(name, "Expect", StringComparison.OrdinalIgnoreCase))
            {
                ValidateExpect(value);
            }
        }

        // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message
        // that lacks a Host header field and to any request message that contains more than one Host header field
        // line or a Host header field with an invalid field value."
        if (hosts > 1)
        {
            RequestRejection.Throw(RequestRejectionReason.MultipleHosts);
        }

        if (host is null)
        {
            if (version == HttpVersion.Http11)
            {
                RequestRejection.Throw(RequestRejectionReason.MissingHost);
            }
        }
        else if (!validHosts.Contains(host))
        {
            if (!HttpSyntax.IsValidHost(host))
            {
                RequestRejection.Throw(RequestRejectionReason.InvalidHost);
            }

            validHosts.Add(host);
        }
    }

    private static void ValidateExpect(string value)
    {
        // RFC 9110 §10.1.1: "A server that receives an Expect field value containing a member other than 100-continue
        // MAY respond with a 417 (Expectation Failed) status code to indicate that the unexpected expectation cannot
        // be met." Honouring an expectation we do not know would be guessing, so we refuse.
        var list = new HttpListReader(value);
        while (list.TryRead(out var member))
        {
            if (!member.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
            {
                RequestRejection.Throw(RequestRejectionReason.UnsupportedExpectation);
            }
        }
    }

    /// <summary>
    /// A small lossy table of recent ASCII strings, indexed by a hash of their bytes: a hit returns the stored string
    /// instead of a new one. Fixed size, so a client sending ever different values only causes misses.
    /// </summary>
    /// <remarks>Thread-safety: any thread; a slot holds one immutable string, replaced by a single reference write.</remarks>
    private sealed class RecentStrings
    {
        public const int MaxLength = 64;
        private const int Slots = 64;
        private readonly string?[] _slots = new string?[Slots];

        /// <summary>The stored string equal to <paramref name="bytes"/>, or a new one, stored.</summary>
        public string GetOrAdd(ReadOnlySpan<byte> bytes)
        {
            ref string? slot = ref _slots[Hash(bytes) & (Slots - 1)];
            var stored = Volatile.Read(ref slot);
            if (stored is not null && Ascii.Equals(bytes, stored))
            {
                return stored;
            }

            string created = Encoding.ASCII.GetString(bytes);
            Volatile.Write(ref slot, created);
            return created;
        }

        /// <summary>The stored string equal to <paramref name="bytes"/>, or a new one, not stored (see <see cref="Add"/>).</summary>
        public string GetOrCreate(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length <= MaxLength)
            {
                var stored = Volatile.Read(ref _slots[Hash(bytes) & (Slots - 1)]);
                if (stored is not null && Ascii.Equals(bytes, stored))
                {
                    return stored;
                }
            }

            return Encoding.Latin1.GetString(bytes);
        }

        /// <summary>Whether <paramref name="value"/> itself (this very string) is stored.</summary>
        public bool Contains(string value) =>
            value.Length <= MaxLength && ReferenceEquals(Volatile.Read(ref _slots[Hash(value) & (Slots - 1)]), value);

        /// <summary>Stores <paramref name="value"/> if it is short and ASCII.</summary>
        public void Add(string value)
        {
            if (value.Length <= MaxLength && Ascii.IsValid(value))
            {
                Volatile.Write(ref _slots[Hash(value) & (Slots - 1)], value);
            }
        }

        // FNV-1a over the bytes, or over the chars of a string of such bytes: both give the same hash.
        private static int Hash(ReadOnlySpan<byte> bytes)
        {
            uint hash = 2166136261;
            foreach (byte b in bytes)
            {
                hash = (hash ^ b) * 16777619;
            }

            return (int)(hash ^ (hash >> 16));
        }

        private static int Hash(ReadOnlySpan<char> chars)
        {
            uint hash = 2166136261;
            foreach (char c in chars)
            {
                hash = (hash ^ (byte)c) * 16777619;
            }

            return (int)(hash ^ (hash >> 16));
        }
    }
}
