namespace Rx.WebSockets.Http.Multipart;

/// <summary>
/// Security limits of <see cref="MultipartParser"/>. Every limit is inclusive: exactly the limit is accepted, one
/// more throws a <see cref="MultipartException"/> of kind <see cref="MultipartErrorKind.LimitExceeded"/>.
/// </summary>
/// <remarks>
/// The parser never buffers a part body or the preamble/epilogue (they are handed out as slices of the input), so
/// only the header section of one part is ever held in memory at once; these caps bound that and the work one
/// request can cause. Ktor's CIO parser has an 8193-byte preamble cap and a per-part size cap
/// (<c>formFieldLimit</c>, 50 MiB on the server) but no header-count or part-count caps; we add those.
/// </remarks>
public sealed record MultipartLimits
{
    /// <summary>The default of <see cref="MaxPartHeaderBytes"/>: 16 KiB.</summary>
    public const int DefaultMaxPartHeaderBytes = 16 * 1024;

    /// <summary>The default of <see cref="MaxHeaderCount"/>: 32.</summary>
    public const int DefaultMaxHeaderCount = 32;

    /// <summary>The default of <see cref="MaxPartCount"/>: 1000.</summary>
    public const int DefaultMaxPartCount = 1000;

    /// <summary>The default of <see cref="MaxPartBodySize"/>: unbounded (<see cref="long.MaxValue"/>).</summary>
    public const long DefaultMaxPartBodySize = long.MaxValue;

    /// <summary>The default of <see cref="MaxPreambleBytes"/>: 8 KiB.</summary>
    public const int DefaultMaxPreambleBytes = 8 * 1024;

    private readonly int _maxPartHeaderBytes = DefaultMaxPartHeaderBytes;
    private readonly int _maxHeaderCount = DefaultMaxHeaderCount;
    private readonly int _maxPartCount = DefaultMaxPartCount;
    private readonly long _maxPartBodySize = DefaultMaxPartBodySize;
    private readonly int _maxPreambleBytes = DefaultMaxPreambleBytes;

    /// <summary>The default limits.</summary>
    public static MultipartLimits Default { get; } = new();

    /// <summary>
    /// The most bytes between a delimiter and the start of the part's body: transport padding, the CRLF ending the
    /// delimiter line, the header fields and the empty line. This is the only section the parser must hold whole,
    /// so it is the memory bound per part. Default 16 KiB (browsers send a few hundred bytes).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 2.</exception>
    public int MaxPartHeaderBytes
    {
        get => _maxPartHeaderBytes;
        init => _maxPartHeaderBytes = CheckAtLeast(value, 2);
    }

    /// <summary>The most header fields in one part. Default 32 (RFC 7578 §4.8 parts need two or three).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxHeaderCount
    {
        get => _maxHeaderCount;
        init => _maxHeaderCount = CheckAtLeast(value, 0);
    }

    /// <summary>The most parts in one body. Default 1000, so that a body of tiny parts cannot make the server do per-part work without bound.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxPartCount
    {
        get => _maxPartCount;
        init => _maxPartCount = CheckAtLeast(value, 1);
    }

    /// <summary>
    /// The largest body of one part. Default unbounded: bodies are streamed, never buffered by the parser, and the
    /// request body size is capped elsewhere; a server that reads form fields into strings sets this.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long MaxPartBodySize
    {
        get => _maxPartBodySize;
        init => _maxPartBodySize = value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxPartBodySize), value, "MaxPartBodySize must not be negative.");
    }

    /// <summary>
    /// The most bytes before the first delimiter (the preamble, which RFC 2046 §5.1.1 says to ignore). Default 8 KiB,
    /// like Ktor's 8193-byte rule: a body that never shows its boundary is rejected early.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxPreambleBytes
    {
        get => _maxPreambleBytes;
        init => _maxPreambleBytes = CheckAtLeast(value, 0);
    }

    private static int CheckAtLeast(int value, int minimum, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        if (value < minimum)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least {minimum}.");
        }

        return value;
    }
}
