using System.Text;
using Microsoft.Extensions.Time.Testing;
using Rx.WebSockets.Server.Internal;

namespace Rx.WebSockets.Tests.Server;

/// <summary>
/// RFC 9110 §6.6.1 (Date) and §5.6.7 (IMF-fixdate) for the server's cached <c>Date</c>: the text and the field line
/// in bytes follow the clock second by second.
/// </summary>
public sealed class DateHeaderTests
{
    [Fact]
    public void FieldLine_AnySecond_IsTheDateFieldLineOfThatSecond()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(1994, 11, 6, 8, 49, 37, TimeSpan.Zero));
        var date = new DateHeader(time);

        Assert.Equal("Sun, 06 Nov 1994 08:49:37 GMT", date.Value);
        Assert.Equal("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n", Encoding.ASCII.GetString(date.FieldLine));

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n", Encoding.ASCII.GetString(date.FieldLine));

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("Sun, 06 Nov 1994 08:49:38 GMT", date.Value);
        Assert.Equal("Date: Sun, 06 Nov 1994 08:49:38 GMT\r\n", Encoding.ASCII.GetString(date.FieldLine));
    }
}
