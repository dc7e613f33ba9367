using System.Linq;
using Rx.WebSockets.Http.Ranges;

namespace Rx.WebSockets.Tests.Http;

/// <summary>RFC 9110 §14.1–14.2 Range (bytes unit), §14.4 Content-Range and §13.1.5 If-Range.</summary>
public sealed class RangeHeaderParserTests
{
    // Expected: "200" = ignore the header (None), "416" = NotSatisfiable, else the ranges to send, in order.
    [Theory]
    [InlineData(null, 100, "200")]
    [InlineData("", 100, "200")]
    [InlineData("bytes=0-9", 100, "0-9")]
    [InlineData("bytes=0-9,20-29", 100, "0-9,20-29")]
    [InlineData("bytes=-5", 100, "95-99")]
    [InlineData("bytes=95-", 100, "95-99")]
    [InlineData("bytes=0-", 100, "0-99")]
    [InlineData("bytes=100-", 100, "416")]
    [InlineData("bytes=100-200", 100, "416")]
    [InlineData("bytes=0-0,-1", 100, "0-0,99-99")]
    [InlineData("bytes=0-999", 100, "0-99")]
    [InlineData("bytes=-200", 100, "0-99")]
    [InlineData("bytes=-0", 100, "416")]
    [InlineData("bytes=-0,0-1", 100, "0-1")]
    [InlineData("bytes=100-200,0-1", 100, "0-1")]
    [InlineData("items=0-1", 100, "200")]
    [InlineData("bytes=5-2", 100, "200")]
    [InlineData("bytes=0-1,5-2", 100, "200")]
    [InlineData("BYTES=0-1", 100, "0-1")]
    [InlineData("bytes= 0-9 , 20-29 ", 100, "0-9,20-29")]
    [InlineData("bytes=0-9,\t20-29", 100, "0-9,20-29")]
    [InlineData("bytes =0-9", 100, "200")]
    [InlineData("bytes=0 -9", 100, "200")]
    [InlineData("bytes=0- 9", 100, "200")]
    [InlineData("bytes=0-1,", 100, "0-1")]
    [InlineData("bytes=,0-1,,", 100, "0-1")]
    [InlineData("bytes=", 100, "200")]
    [InlineData("bytes=,", 100, "200")]
    [InlineData("bytes", 100, "200")]
    [InlineData("bytes=-", 100, "200")]
    [InlineData("bytes=abc", 100, "200")]
    [InlineData("bytes=1-2-3", 100, "200")]
    [InlineData("bytes=0-1;x", 100, "200")]
    [InlineData("bytes=+1-2", 100, "200")]
    [InlineData("bytes=0-9,5-20", 100, "0-20")]
    [InlineData("bytes=0-9,10-19", 100, "0-19")]
    [InlineData("bytes=0-9,11-19", 100, "0-9,11-19")]
    [InlineData("bytes=1-1,1-1", 100, "1-1")]
    [InlineData("bytes=50-59,0-9", 100, "50-59,0-9")]
    [InlineData("bytes=50-59,0-9,5-20", 100, "50-59,0-20")]
    [InlineData("bytes=0-2,-96", 100, "0-2,4-99")]
    [InlineData("bytes=0-3,-96", 100, "0-99")]
    [InlineData("bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18", 100, "0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18")]
    [InlineData("bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20", 100, "0-20")]
    [InlineData("bytes=90-90,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20", 100, "2-90")]
    [InlineData("bytes=99999999999999999999-", 100, "416")]
    [InlineData("bytes=0-99999999999999999999", 100, "0-99")]
    [InlineData("bytes=-99999999999999999999", 100, "0-99")]
    [InlineData("bytes=9223372036854775806-9223372036854775807", 9223372036854775807, "9223372036854775806-9223372036854775806")]
    [InlineData("bytes=0-1", 0, "416")]
    [InlineData("bytes=-1", 0, "200")]
    [InlineData("bytes=-0", 0, "416")]
    [InlineData("bytes=0-0", 1, "0-0")]
    public void Parse_Table(string? header, long length, string expected)
        => Assert.Equal(expected, Describe(RangeHeaderParser.Parse(header, length)));

    [Fact]
    public void Parse_MoreRangesThanMaxRangeCount_MergesIntoOneCoveringRange()
    {
        Assert.Equal("10-12,0-2", Describe(RangeHeaderParser.Parse("bytes=10-12,0-2", 100, maxRangeCount: 2)));
        Assert.Equal("0-12", Describe(RangeHeaderParser.Parse("bytes=10-12,0-2,5-6", 100, maxRangeCount: 2)));
        Assert.Equal("0-12", Describe(RangeHeaderParser.Parse("bytes=10-12,0-2", 100, maxRangeCount: 1)));
    }

    [Fact]
    public void Parse_CountIsTakenAfterCoalescing()
    {
        var header = "bytes=" + string.Join(",", Enumerable.Range(0, 50).Select(i => $"{i}-{i}"));
        Assert.Equal("0-49", Describe(RangeHeaderParser.Parse(header, 100, maxRangeCount: 1)));
        Assert.Single(RangeHeaderParser.Parse(header, 100, maxRangeCount: 1).Ranges);
    }

    [Fact]
    public void Parse_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RangeHeaderParser.Parse("bytes=0-1", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RangeHeaderParser.Parse("bytes=0-1", 10, 0));
    }

    [Fact]
    public void Result_NoneAndNotSatisfiable_HaveNoRanges()
    {
        Assert.Empty(RangeHeaderParser.Parse(null, 10).Ranges);
        Assert.Empty(RangeHeaderParser.Parse("bytes=10-", 10).Ranges);
        Assert.Equal("bytes */10", RangeParseResult.UnsatisfiedContentRange(10));
        Assert.Equal(RangeParseStatus.None, default(RangeParseResult).Status);
    }

    [Fact]
    public void ByteRange_LengthAndContentRange()
    {
        var range = new ByteRange(5, 9);
        Assert.Equal(5, range.Length);
        Assert.Equal("bytes 5-9/100", range.ToContentRange(100));
        Assert.Equal("bytes 5-9/*", range.ToContentRange(null));
        Assert.Equal("5-9", range.ToString());
        Assert.Equal(new ByteRange(5, 9), range);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByteRange(-1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByteRange(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByteRange(0, long.MaxValue));
    }

    [Theory]
    [InlineData(null, "\"v1\"", true)]
    [InlineData("\"v1\"", "\"v1\"", true)]
    [InlineData(" \"v1\" ", "\"v1\"", true)]
    [InlineData("\"v1\"", "\"v2\"", false)]
    [InlineData("\"v1\"", "\"V1\"", false)]
    [InlineData("W/\"v1\"", "\"v1\"", false)]
    [InlineData("\"v1\"", "W/\"v1\"", false)]
    [InlineData("W/\"v1\"", "W/\"v1\"", false)]
    [InlineData("\"v1\"", null, false)]
    [InlineData("\"v1", "\"v1", false)]
    [InlineData("\"v 1\"", "\"v 1\"", false)]
    public void IfRangeMatches_EntityTag_UsesStrongComparison(string? ifRange, string? etag, bool expected)
        => Assert.Equal(expected, RangeHeaderParser.IfRangeMatches(ifRange, etag, s_lastModified));

    [Theory]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT", 0, true)]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT", 999, true)]
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT", 0, true)]
    [InlineData("Sun Nov  6 08:49:37 1994", 0, true)]
    [InlineData("Sun, 06 Nov 1994 08:49:38 GMT", 0, false)]
    [InlineData("Sun, 06 Nov 1994 08:49:36 GMT", 0, false)]
    [InlineData("Mon, 06 Nov 1994 08:49:37 GMT", 0, false)]
    [InlineData("tomorrow", 0, false)]
    [InlineData("", 0, false)]
    public void IfRangeMatches_HttpDate_MatchesLastModifiedExactlyToTheSecond(string ifRange, int extraMilliseconds, bool expected)
        => Assert.Equal(expected, RangeHeaderParser.IfRangeMatches(ifRange, "\"v1\"", s_lastModified.AddMilliseconds(extraMilliseconds)));

    [Fact]
    public void IfRangeMatches_DateWithoutLastModified_IsFalse()
        => Assert.False(RangeHeaderParser.IfRangeMatches("Sun, 06 Nov 1994 08:49:37 GMT", "\"v1\"", null));

    [Fact]
    public void IfRangeMatches_LastModifiedInOtherOffset_ComparesInstants()
        => Assert.True(RangeHeaderParser.IfRangeMatches(
            "Sun, 06 Nov 1994 08:49:37 GMT", null, new DateTimeOffset(1994, 11, 6, 10, 49, 37, TimeSpan.FromHours(2))));

    private static readonly DateTimeOffset s_lastModified = new(1994, 11, 6, 8, 49, 37, TimeSpan.Zero);

    private static string Describe(RangeParseResult result) => result.Status switch
    {
        RangeParseStatus.None => "200",
        RangeParseStatus.NotSatisfiable => "416",
        _ => string.Join(",", result.Ranges),
    };
}
