using System.Collections.Generic;
using System.Linq;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Tests.Http;

/// <summary>
/// RFC 9110 §5 (fields: ordered, case-insensitive names that may repeat) on <see cref="HttpHeaders"/>, across its two
/// fields kept inline and the array that holds the rest.
/// </summary>
public sealed class HttpHeadersTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(20)]
    public void Add_AnyCount_KeepsEveryFieldInOrder(int count)
    {
        var headers = new HttpHeaders();
        for (int i = 0; i < count; i++)
        {
            headers.Add($"X-{i}", $"v{i}");
        }

        Assert.Equal(count, headers.Count);
        var expected = Enumerable.Range(0, count).Select(i => new KeyValuePair<string, string>($"X-{i}", $"v{i}")).ToList();
        Assert.Equal(expected, Enumerable.Range(0, count).Select(i => headers[i]).ToList());
        Assert.Equal(expected, headers.ToList());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void Indexer_OutsideTheFields_Throws(int index)
    {
        var headers = new HttpHeaders().Add("A", "1").Add("B", "2").Add("C", "3");
        Assert.Throws<ArgumentOutOfRangeException>(() => headers[index]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpHeaders()[0]);
    }

    [Fact]
    public void Remove_FieldsInlineAndInTheArray_KeepsTheOthersInOrder()
    {
        var headers = new HttpHeaders()
            .Add("Keep-1", "a").Add("x-drop", "1").Add("Keep-2", "b").Add("X-Drop", "2").Add("Keep-3", "c").Add("X-DROP", "3");

        Assert.Equal(3, headers.Remove("X-Drop"));

        Assert.Equal(new[] { "Keep-1:a", "Keep-2:b", "Keep-3:c" }, headers.Select(f => $"{f.Key}:{f.Value}"));
        Assert.Equal(0, headers.Remove("X-Drop"));
        headers.Add("Later", "d");
        Assert.Equal("d", headers[3].Value);
        Assert.Equal(4, headers.Count);
    }

    [Fact]
    public void Set_RepeatedName_LeavesOneFieldAtTheEnd()
    {
        var headers = new HttpHeaders().Add("Vary", "a").Add("Host", "h").Add("vary", "b").Add("X", "y");

        headers.Set("Vary", "c");

        Assert.Equal(new[] { "Host:h", "X:y", "Vary:c" }, headers.Select(f => $"{f.Key}:{f.Value}"));
        Assert.Equal(1, headers.CountOf("VARY"));
    }

    [Fact]
    public void Lookups_NameInAnyCase_FindFieldsPastTheInlineOnes()
    {
        var headers = new HttpHeaders().Add("A", "1").Add("B", "2").Add("Connection", "keep-alive").Add("connection", "Upgrade");

        Assert.True(headers.Contains("CONNECTION"));
        Assert.Equal("keep-alive", headers.Get("connection"));
        Assert.Equal(new[] { "keep-alive", "Upgrade" }, headers.GetValues("Connection"));
        Assert.True(headers.ContainsToken("Connection", "upgrade"));
        Assert.Null(headers.Get("Missing"));
    }

    [Fact]
    public void GetEnumerator_HeadersChangedMeanwhile_Throws()
    {
        var headers = new HttpHeaders().Add("A", "1").Add("B", "2").Add("C", "3");

        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var field in headers)
            {
                headers.Add("D", field.Value);
            }
        });
    }
}
