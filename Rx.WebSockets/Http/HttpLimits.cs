using System.Runtime.CompilerServices;

namespace Rx.WebSockets.Http;

/// <summary>
/// Security limits on HTTP/1.1 requests. Every limit is inclusive: an item of exactly the limit is accepted, one byte
/// (or one item) more is rejected with the status named on the property.
/// </summary>
/// <remarks>
/// The defaults follow Kestrel where Kestrel has the limit (request line, header bytes and count, body size) and Ktor's
/// CIO engine for the chunk-size line. Ktor limits only line length (8 KiB) and nothing else; we deliberately bound
/// every quantity a peer controls, so that one connection cannot make the server buffer or scan without bound.
/// </remarks>
public sealed record HttpLimits
{
    /// <summary>The default of <see cref="MaxRequestLineLength"/>: 8 KiB (Kestrel's <c>MaxRequestLineSize</c>).</summary>
    public const int DefaultMaxRequestLineLength = 8 * 1024;

    /// <summary>The default of <see cref="MaxRequestHeadersTotalSize"/>: 32 KiB (Kestrel's default).</summary>
    public const int DefaultMaxRequestHeadersTotalSize = 32 * 1024;

    /// <summary>The default of <see cref="MaxRequestHeaderCount"/>: 100 (Kestrel's default).</summary>
    public const int DefaultMaxRequestHeaderCount = 100;

    /// <summary>The default of <see cref="MaxRequestBodySize"/>: 30,000,000 bytes (~28.6 MiB, Kestrel's default).</summary>
    public const long DefaultMaxRequestBodySize = 30_000_000;

    /// <summary>The default of <see cref="MaxChunkPrefixLength"/>: 128 bytes (Ktor's CIO limit).</summary>
    public const int DefaultMaxChunkPrefixLength = 128;

    /// <summary>The default of <see cref="MaxTrailerSize"/>: 8 KiB.</summary>
    public const int DefaultMaxTrailerSize = 8 * 1024;

    /// <summary>The default of <see cref="MaxPipelinedRequests"/>: 16.</summary>
    public const int DefaultMaxPipelinedRequests = 16;

    /// <summary>The default of <see cref="MaxDrainSize"/>: 1 MiB.</summary>
    public const long DefaultMaxDrainSize = 1024 * 1024;

    /// <summary>The largest value accepted for the byte limits of the head (request line, header section, trailers): 64 MiB.</summary>
    /// <remarks>A complete head is copied into one pooled buffer before it is parsed, so its size must fit an array.</remarks>
    public const int MaxSupportedHeadSize = 64 * 1024 * 1024;

    private readonly int _maxRequestLineLength = DefaultMaxRequestLineLength;
    private readonly int _maxRequestHeadersTotalSize = DefaultMaxRequestHeadersTotalSize;
    private readonly int _maxRequestHeaderCount = DefaultMaxRequestHeaderCount;
    private readonly long _maxRequestBodySize = DefaultMaxRequestBodySize;
    private readonly int _maxChunkPrefixLength = DefaultMaxChunkPrefixLength;
    private readonly int _maxTrailerSize = DefaultMaxTrailerSize;
    private readonly int _maxPipelinedRequests = DefaultMaxPipelinedRequests;
    private readonly long _maxDrainSize = DefaultMaxDrainSize;

    /// <summary>The default limits.</summary>
    public static HttpLimits Default { get; } = new();

    /// <summary>
    /// The longest request line (RFC 9112 §3), in bytes, not counting its CRLF. A longer line is refused with
    /// 414 (URI Too Long) as soon as that many bytes are buffered without a line end. Default 8 KiB: long enough for
    /// the URLs browsers and proxies send (most cap near 8 KiB), short enough to bound the scan of an endless line.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 1 and <see cref="MaxSupportedHeadSize"/>.</exception>
    public int MaxRequestLineLength
    {
        get => _maxRequestLineLength;
        init => _maxRequestLineLength = CheckRange(value, 1, MaxSupportedHeadSize);
    }

    /// <summary>
    /// The largest header section, in bytes: every field line after the request line with its CRLF, plus the empty
    /// line that ends the section. Past it the request is refused with 431 (Request Header Fields Too Large,
    /// RFC 6585 §5), without waiting for the section's end. Default 32 KiB, like Kestrel: room for large cookies and
    /// tokens, while one connection's unparsed head stays small.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 2 and <see cref="MaxSupportedHeadSize"/>.</exception>
    public int MaxRequestHeadersTotalSize
    {
        get => _maxRequestHeadersTotalSize;
        init => _maxRequestHeadersTotalSize = CheckRange(value, 2, MaxSupportedHeadSize);
    }

    /// <summary>
    /// The most header field lines in one request (and field lines in one chunked trailer section); one more is
    /// refused with 431. Default 100, like Kestrel: browsers send about 20; the cap bounds the per-field overhead
    /// (one string pair each) that the byte limit alone would allow for thousands of tiny fields.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxRequestHeaderCount
    {
        get => _maxRequestHeaderCount;
        init => _maxRequestHeaderCount = CheckRange(value, 1, int.MaxValue);
    }

    /// <summary>
    /// The largest request body, in bytes, after chunked decoding. A <c>Content-Length</c> above it is refused with
    /// 413 (Content Too Large) before any body byte is read; a chunked body is refused as soon as a chunk size would
    /// take it past the limit. Default 30,000,000 bytes, Kestrel's value; uploads larger than that should raise it
    /// deliberately.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long MaxRequestBodySize
    {
        get => _maxRequestBodySize;
        init => _maxRequestBodySize = CheckRange(value, 0, long.MaxValue);
    }

    /// <summary>
    /// The longest chunk-size line of a chunked body (RFC 9112 §7.1), in bytes, including chunk extensions and not
    /// counting its CRLF; a longer line is refused with 400. Default 128 bytes, Ktor's value: a chunk size needs at
    /// most 16 hex digits, and no client relies on long extensions, which are otherwise an unbounded side channel.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 1 and 65,536.</exception>
    public int MaxChunkPrefixLength
    {
        get => _maxChunkPrefixLength;
        init => _maxChunkPrefixLength = CheckRange(value, 1, 64 * 1024);
    }

    /// <summary>
    /// The largest trailer section of a chunked body (RFC 9112 §7.1.2), in bytes, including every field line's CRLF
    /// and the final empty line; past it the request is refused with 431. Default 8 KiB: trailers carry checksums and
    /// signatures, not bulk data, and the whole section is buffered before it is parsed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 2 and <see cref="MaxSupportedHeadSize"/>.</exception>
    public int MaxTrailerSize
    {
        get => _maxTrailerSize;
        init => _maxTrailerSize = CheckRange(value, 2, MaxSupportedHeadSize);
    }

    /// <summary>
    /// The most requests of one connection that may be in flight at once (parsed, but their responses not yet
    /// written) when a client pipelines (RFC 9112 §9.3.2); the server stops reading the connection until responses
    /// drain. Default 16: enough to keep a pipelining client busy, small enough that buffered responses stay bounded.
    /// Enforced by the connection loop, not by the parser.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxPipelinedRequests
    {
        get => _maxPipelinedRequests;
        init => _maxPipelinedRequests = CheckRange(value, 1, int.MaxValue);
    }

    /// <summary>
    /// The most unread request-body bytes the server reads and discards after a handler finished without consuming
    /// its body, to keep the connection usable for the next request; a longer remainder closes the connection
    /// instead. Default 1 MiB: cheaper than a new connection, small enough not to be an amplification vector.
    /// Enforced by the connection loop, not by the parser.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long MaxDrainSize
    {
        get => _maxDrainSize;
        init => _maxDrainSize = CheckRange(value, 0, long.MaxValue);
    }

    private static int CheckRange(int value, int min, int max, [CallerMemberName] string name = "")
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {min} and {max}.");
        }

        return value;
    }

    private static long CheckRange(long value, long min, long max, [CallerMemberName] string name = "")
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {min} and {max}.");
        }

        return value;
    }
}
