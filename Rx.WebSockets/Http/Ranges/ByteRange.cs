using System.Globalization;

namespace Rx.WebSockets.Http.Ranges;

/// <summary>
/// A resolved byte range of a representation (RFC 9110 §14.1.1): positions <see cref="First"/> to
/// <see cref="Last"/>, both inclusive.
/// </summary>
public readonly record struct ByteRange
{
    /// <summary>Creates a range.</summary>
    /// <param name="first">The first byte position (0-based).</param>
    /// <param name="last">The last byte position, inclusive.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="first"/> is negative, <paramref name="last"/> is less than <paramref name="first"/>, or
    /// <paramref name="last"/> is <see cref="long.MaxValue"/> (the length would not fit a long).
    /// </exception>
    public ByteRange(long first, long last)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(last, first);
        ArgumentOutOfRangeException.ThrowIfEqual(last, long.MaxValue);
        First = first;
        Last = last;
    }

    /// <summary>The first byte position.</summary>
    public long First { get; }

    /// <summary>The last byte position, inclusive.</summary>
    public long Last { get; }

    /// <summary>The number of bytes: <c>Last - First + 1</c>.</summary>
    public long Length => Last - First + 1;

    /// <summary>
    /// The <c>Content-Range</c> field value for this range (RFC 9110 §14.4), e.g. <c>bytes 0-9/100</c>, or
    /// <c>bytes 0-9/*</c> when the complete length is unknown.
    /// </summary>
    /// <param name="completeLength">The representation's length, or null when unknown.</param>
    /// <returns>The field value.</returns>
    public string ToContentRange(long? completeLength) => string.Create(
        CultureInfo.InvariantCulture,
        $"bytes {First}-{Last}/{(completeLength is long length ? length.ToString(CultureInfo.InvariantCulture) : "*")}");

    /// <summary>Returns <c>first-last</c>, the int-range form.</summary>
    /// <returns>The range, e.g. <c>0-9</c>.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}
