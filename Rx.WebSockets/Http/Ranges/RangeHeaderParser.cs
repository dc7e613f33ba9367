using System.Collections.Generic;
using System.Globalization;

namespace Rx.WebSockets.Http.Ranges;

/// <summary>
/// Parses and resolves a <c>Range</c> header in the <c>bytes</c> unit (RFC 9110 §14.1–14.2) and evaluates
/// <c>If-Range</c> (RFC 9110 §13.1.5).
/// </summary>
public static class RangeHeaderParser
{
    /// <summary>The default of <c>maxRangeCount</c>: 10, as Ktor's PartialContent plugin.</summary>
    public const int DefaultMaxRangeCount = 10;

    private const string BytesUnit = "bytes";
    private const char CharEquals = '=';
    private const char CharDash = '-';
    private const char CharComma = ',';
    private const char CharQuote = '"';
    private const string WeakPrefix = "W/";

    // RFC 9110 §5.6.7: "A recipient that parses a timestamp value in an HTTP field MUST accept all three HTTP-date formats".
    private static readonly string[] s_httpDateFormats =
    {
        "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'", // IMF-fixdate
        "dddd, dd'-'MMM'-'yy HH':'mm':'ss 'GMT'", // obsolete RFC 850
        "ddd MMM d HH':'mm':'ss yyyy", // asctime, with "Nov  6" handled by AllowInnerWhite
    };

    /// <summary>Parses <paramref name="rangeHeader"/> against a representation of <paramref name="contentLength"/> bytes.</summary>
    /// <param name="rangeHeader">The <c>Range</c> field value, or null when absent.</param>
    /// <param name="contentLength">The selected representation's length.</param>
    /// <param name="maxRangeCount">The most ranges to answer with; more (after coalescing) are merged into one.</param>
    /// <returns>
    /// <see cref="RangeParseStatus.None"/> when the header is absent, not in bytes or syntactically invalid (RFC 9110
    /// §14.2 lets a server ignore it); <see cref="RangeParseStatus.NotSatisfiable"/> when valid but no range-spec is
    /// satisfiable; else <see cref="RangeParseStatus.Satisfiable"/> with the ranges to send.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="contentLength"/> is negative or <paramref name="maxRangeCount"/> is less than 1.
    /// </exception>
    /// <remarks>
    /// <para>
    /// Resolution: <c>a-b</c> has its last position clipped to <c>length - 1</c>; <c>a-</c> runs to the end;
    /// <c>-n</c> is the last n bytes (all of them when n ≥ length) and <c>-0</c> is unsatisfiable; <c>a-b</c> with
    /// a ≥ length is unsatisfiable and dropped. Numbers too large for a long saturate, which gives the same answer.
    /// A range-spec with last &lt; first makes the whole header invalid, hence ignored. For an empty representation
    /// a non-zero suffix range makes the result <see cref="RangeParseStatus.None"/> (there is no byte to send in a
    /// 206, so the empty 200 is the answer).
    /// </para>
    /// <para>
    /// Coalescing: overlapping or adjacent ranges are merged (RFC 9110 §14.2 allows it; it defeats the many
    /// overlapping ranges attack). The merged ranges keep the order in which the first of their range-specs appeared
    /// ("the server SHOULD send the parts in the same order that the corresponding range-spec appeared", §15.3.7.2), so
    /// they may be descending; a server that can only read forward merges them itself. When more than
    /// <paramref name="maxRangeCount"/> remain they are replaced by one range covering all of them, as Ktor does,
    /// rather than rejected: the client still gets every byte it asked for.
    /// </para>
    /// </remarks>
    public static RangeParseResult Parse(string? rangeHeader, long contentLength, int maxRangeCount = DefaultMaxRangeCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRangeCount, 1);
        if (rangeHeader is null)
        {
            return default;
        }

        var specs = new List<(long First, long Last, bool IsSuffix)>();
        if (!TryParseSpecs(rangeHeader, specs))
        {
            // RFC 9110 §14.2: "A server MAY ignore the Range header field." (also for an unknown range unit, and
            // "MAY ignore or reject a Range header field that contains an invalid ranges-specifier").
            return default;
        }

        // Resolve against the length, dropping unsatisfiable specs; remember each one's position for ordering.
        var resolved = new List<(long First, long Last, int Order)>(specs.Count);
        bool emptySuffix = false;
        for (int i = 0; i < specs.Count; i++)
        {
            var (first, last, isSuffix) = specs[i];
            if (isSuffix)
            {
                // RFC 9110 §14.1.2: satisfiable if "a suffix-range with a non-zero suffix-length"; "If the selected
                // representation is shorter than the specified suffix-length, the entire representation is used."
                if (last == 0)
                {
                    continue;
                }

                if (contentLength == 0)
                {
                    emptySuffix = true;
                    continue;
                }

                resolved.Add((Math.Max(0, contentLength - last), contentLength - 1, i));
            }
            else if (first < contentLength)
            {
                // RFC 9110 §14.1.2: satisfiable if "an int-range with a first-pos that is less than the current length";
                // an absent or too large last-pos means "the remainder of the representation".
                resolved.Add((first, Math.Min(last, contentLength - 1), i));
            }
        }

        if (resolved.Count == 0)
        {
            // RFC 9110 §14.1.1: a ranges-specifier is satisfiable if it contains at least one satisfiable range-spec;
            // otherwise §15.5.17: 416 Range Not Satisfiable.
            return emptySuffix ? default : new RangeParseResult(RangeParseStatus.NotSatisfiable, null);
        }

        var ranges = Coalesce(resolved);
        if (ranges.Count > maxRangeCount)
        {
            long min = long.MaxValue;
            long max = 0;
            foreach (var range in ranges)
            {
                min = Math.Min(min, range.First);
                max = Math.Max(max, range.Last);
            }

            ranges = new List<ByteRange> { new(min, max) };
        }

        return new RangeParseResult(RangeParseStatus.Satisfiable, ranges.AsReadOnly());
    }

    /// <summary>
    /// Evaluates an <c>If-Range</c> precondition (RFC 9110 §13.1.5): whether the <c>Range</c> header applies (true)
    /// or the whole representation must be sent (false).
    /// </summary>
    /// <param name="ifRange">The <c>If-Range</c> field value, or null when absent (then the result is true).</param>
    /// <param name="strongETag">
    /// The representation's current entity tag as sent in <c>ETag</c> (with its quotes, e.g. <c>"v1"</c>), or null. A
    /// weak tag (<c>W/"v1"</c>) never matches.
    /// </param>
    /// <param name="lastModified">
    /// The representation's modification time, or null. Pass it only when it is a strong validator in the sense of
    /// RFC 9110 §8.8.2.2; it is compared at whole-second precision, as sent in <c>Last-Modified</c>.
    /// </param>
    /// <returns>True when the precondition holds (or is absent); false when the range must be ignored.</returns>
    public static bool IfRangeMatches(string? ifRange, string? strongETag, DateTimeOffset? lastModified)
    {
        if (ifRange is null)
        {
            return true;
        }

        string validator = HttpSyntax.TrimOws(ifRange).ToString();
        if (validator.StartsWith(WeakPrefix, StringComparison.Ordinal) || validator.StartsWith(CharQuote))
        {
            // RFC 9110 §13.1.5: "the condition is true if the entity-tag matches ... using the strong comparison
            // function"; §8.8.3.2: strong comparison: "both entity tags are not weak and their opaque-tags match
            // character-by-character".
            return IsStrongEntityTag(validator) && strongETag is not null && IsStrongEntityTag(strongETag)
                && string.Equals(validator, strongETag, StringComparison.Ordinal);
        }

        // RFC 9110 §13.1.5: "If the HTTP-date validator provided exactly matches the Last-Modified field value ..."
        if (lastModified is not DateTimeOffset modified
            || !DateTimeOffset.TryParseExact(
                validator,
                s_httpDateFormats,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AllowInnerWhite | DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var date))
        {
            return false;
        }

        long wholeSeconds = modified.UtcTicks - (modified.UtcTicks % TimeSpan.TicksPerSecond);
        return date.UtcTicks == wholeSeconds;
    }

    private static bool TryParseSpecs(string value, List<(long First, long Last, bool IsSuffix)> specs)
    {
        // RFC 9110 §14.2: Range = ranges-specifier; §14.1.1: ranges-specifier = range-unit "=" range-set
        int i = 0;
        HttpSyntax.SkipOws(value, ref i);
        int unitStart = i;
        while (i < value.Length && value[i] != CharEquals)
        {
            i++;
        }

        // RFC 9110 §14.1: "Range unit names are case-insensitive".
        if (i == value.Length
            || !value.AsSpan(unitStart, i - unitStart).Equals(BytesUnit, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        i++;

        // range-set = 1#range-spec; RFC 9110 §5.6.1.2: a recipient MUST accept empty list elements; whitespace after
        // "=" is tolerated like list OWS.
        while (true)
        {
            HttpSyntax.SkipOws(value, ref i);
            if (i == value.Length)
            {
                return specs.Count > 0;
            }

            if (value[i] == CharComma)
            {
                i++;
                continue;
            }

            if (value[i] == CharDash)
            {
                // suffix-range = "-" suffix-length
                i++;
                if (!TryReadDigits(value, ref i, out long suffixLength))
                {
                    return false;
                }

                specs.Add((0, suffixLength, true));
            }
            else
            {
                // int-range = first-pos "-" [ last-pos ]
                if (!TryReadDigits(value, ref i, out long first) || i == value.Length || value[i] != CharDash)
                {
                    return false;
                }

                i++;
                long last = long.MaxValue;
                if (i < value.Length && char.IsAsciiDigit(value[i]))
                {
                    TryReadDigits(value, ref i, out last);

                    // RFC 9110 §14.1.1: an int-range is invalid if the last-pos value is present and less than the
                    // first-pos; §14.2 lets the server ignore the whole field then.
                    if (last < first)
                    {
                        return false;
                    }
                }

                specs.Add((first, last, false));
            }

            HttpSyntax.SkipOws(value, ref i);
            if (i < value.Length && value[i] != CharComma)
            {
                return false;
            }
        }
    }

    /// <summary>Reads 1*DIGIT, saturating at <see cref="long.MaxValue"/> instead of overflowing.</summary>
    /// <remarks>RFC 9110 §14.1.2: "recipients MUST anticipate potentially large decimal numerals and prevent parsing errors due to integer conversion overflows".</remarks>
    private static bool TryReadDigits(string value, ref int i, out long number)
    {
        number = 0;
        int start = i;
        while (i < value.Length && char.IsAsciiDigit(value[i]))
        {
            int digit = value[i] - '0';
            number = number > (long.MaxValue - digit) / 10 ? long.MaxValue : (number * 10) + digit;
            i++;
        }

        return i > start;
    }

    private static List<ByteRange> Coalesce(List<(long First, long Last, int Order)> resolved)
    {
        resolved.Sort(static (a, b) => a.First.CompareTo(b.First));
        var merged = new List<(long First, long Last, int Order)>(resolved.Count);
        foreach (var range in resolved)
        {
            // Last ≤ length - 1 < long.MaxValue, so Last + 1 cannot overflow.
            if (merged.Count > 0 && range.First <= merged[^1].Last + 1)
            {
                var current = merged[^1];
                merged[^1] = (current.First, Math.Max(current.Last, range.Last), Math.Min(current.Order, range.Order));
            }
            else
            {
                merged.Add(range);
            }
        }

        merged.Sort(static (a, b) => a.Order.CompareTo(b.Order));
        var result = new List<ByteRange>(merged.Count);
        foreach (var range in merged)
        {
            result.Add(new ByteRange(range.First, range.Last));
        }

        return result;
    }

    private static bool IsStrongEntityTag(string tag)
    {
        // RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; opaque-tag = DQUOTE *etagc DQUOTE;
        // etagc = %x21 / %x23-7E / obs-text
        if (tag.Length < 2 || tag[0] != CharQuote || tag[^1] != CharQuote)
        {
            return false;
        }

        foreach (char c in tag.AsSpan(1, tag.Length - 2))
        {
            if (c < '\x21' || c == CharQuote || c == '\x7F' || c > '\xFF')
            {
                return false;
            }
        }

        return true;
    }
}
