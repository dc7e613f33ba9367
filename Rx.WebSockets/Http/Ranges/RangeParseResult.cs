using System.Collections.Generic;
using System.Globalization;

namespace Rx.WebSockets.Http.Ranges;

/// <summary>What a server does with a <c>Range</c> header (the outcome of <see cref="RangeHeaderParser.Parse"/>).</summary>
public enum RangeParseStatus
{
    /// <summary>No usable <c>Range</c>: absent, another unit, or invalid; serve the whole representation (200).</summary>
    None,

    /// <summary>At least one range is satisfiable: answer 206 with <see cref="RangeParseResult.Ranges"/>.</summary>
    Satisfiable,

    /// <summary>
    /// Valid, but no range is satisfiable: answer 416 with <c>Content-Range: bytes */length</c>
    /// (<see cref="RangeParseResult.UnsatisfiedContentRange"/>).
    /// </summary>
    NotSatisfiable,
}

/// <summary>The outcome of <see cref="RangeHeaderParser.Parse"/>.</summary>
public readonly struct RangeParseResult
{
    private static readonly IReadOnlyList<ByteRange> s_none = Array.Empty<ByteRange>();

    private readonly IReadOnlyList<ByteRange>? _ranges;

    internal RangeParseResult(RangeParseStatus status, IReadOnlyList<ByteRange>? ranges)
    {
        Status = status;
        _ranges = ranges;
    }

    /// <summary>What to do.</summary>
    public RangeParseStatus Status { get; }

    /// <summary>
    /// For <see cref="RangeParseStatus.Satisfiable"/>: the ranges to send, resolved against the length, coalesced and
    /// in request order (see <see cref="RangeHeaderParser.Parse"/>); empty otherwise.
    /// </summary>
    public IReadOnlyList<ByteRange> Ranges => _ranges ?? s_none;

    /// <summary>The <c>Content-Range</c> value of a 416 response (RFC 9110 §14.4): <c>bytes */length</c>.</summary>
    /// <param name="completeLength">The representation's length.</param>
    /// <returns>The field value.</returns>
    public static string UnsatisfiedContentRange(long completeLength) =>
        string.Create(CultureInfo.InvariantCulture, $"bytes */{completeLength}");

    /// <summary>Describes the result, e.g. <c>Satisfiable 0-9,20-29</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        Status == RangeParseStatus.Satisfiable ? $"Satisfiable {string.Join(",", Ranges)}" : Status.ToString();
}
