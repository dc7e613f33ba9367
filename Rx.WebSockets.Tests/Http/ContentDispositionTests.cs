using Rx.WebSockets.Http.Multipart;

namespace Rx.WebSockets.Tests.Http;

/// <summary>RFC 6266 §4 Content-Disposition, RFC 7578 §4.2 form-data parameters and RFC 8187 ext-values.</summary>
public sealed class ContentDispositionTests
{
    [Fact]
    public void Parse_FormDataWithNameAndFileName_ReturnsThem()
    {
        var value = ContentDisposition.Parse("form-data; name=\"a\"; filename=\"x.txt\"");
        Assert.Equal("form-data", value.Type);
        Assert.True(value.IsFormData);
        Assert.Equal("a", value.Name);
        Assert.Equal("x.txt", value.FileName);
        Assert.Null(value.FileNameExtended);
        Assert.Equal(2, value.Parameters.Count);
    }

    [Fact]
    public void Parse_EmptyFileName_IsEmptyNotNull()
    {
        var value = ContentDisposition.Parse("form-data; name=\"file\"; filename=\"\"");
        Assert.Equal(string.Empty, value.FileName);
    }

    [Fact]
    public void Parse_NoFileName_IsNull()
    {
        var value = ContentDisposition.Parse("form-data; name=field");
        Assert.Equal("field", value.Name);
        Assert.Null(value.FileName);
    }

    [Fact]
    public void Parse_FileNameStarUtf8_IsPreferredAndDecoded()
    {
        var value = ContentDisposition.Parse("attachment; filename=\"naive.txt\"; filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt");
        Assert.Equal("naïve €.txt", value.FileName);
        Assert.Equal("naïve €.txt", value.FileNameExtended);
        Assert.Equal("naive.txt", value.GetParameter("filename"));
        Assert.False(value.IsFormData);
    }

    [Fact]
    public void Parse_FileNameStarBeforeFileName_IsStillPreferred()
        => Assert.Equal("ä", ContentDisposition.Parse("attachment; filename*=utf-8'de'%C3%A4; filename=a").FileName);

    [Fact]
    public void Parse_FileNameStarIso88591_IsDecoded()
        => Assert.Equal("été.txt", ContentDisposition.Parse("attachment; filename*=ISO-8859-1'fr'%E9t%E9.txt").FileName);

    [Theory]
    [InlineData("attachment; filename=\"plain.txt\"; filename*=KOI8-R''%C1")]
    [InlineData("attachment; filename=\"plain.txt\"; filename*=UTF-8''%FF.txt")]
    [InlineData("attachment; filename=\"plain.txt\"; filename*=UTF-8''%G1.txt")]
    [InlineData("attachment; filename=\"plain.txt\"; filename*=UTF-8''%4")]
    [InlineData("attachment; filename=\"plain.txt\"; filename*=UTF-8%C3%A4")]
    [InlineData("attachment; filename=\"plain.txt\"; filename*=\"UTF-8''a b\"")]
    public void Parse_UndecodableFileNameStar_FallsBackToFileName(string header)
    {
        var value = ContentDisposition.Parse(header);
        Assert.Null(value.FileNameExtended);
        Assert.Equal("plain.txt", value.FileName);
    }

    [Theory]
    [InlineData("form-data; name=\"a\\\"b\"", "a\"b")]
    [InlineData("form-data; name=\"a;b=c\"", "a;b=c")]
    [InlineData("form-data; NAME=\"upper\"", "upper")]
    [InlineData("form-data;name=x", "x")]
    [InlineData("form-data; name=\"файл\"", "файл")]
    [InlineData("form-data; name=\"\"", "")]
    public void Parse_Name_IsUnquotedAsSent(string header, string expected) => Assert.Equal(expected, ContentDisposition.Parse(header).Name);

    [Fact]
    public void Parse_PathInFileName_IsNotStripped()
        => Assert.Equal("../../etc/passwd", ContentDisposition.Parse("form-data; name=f; filename=\"../../etc/passwd\"").FileName);

    [Theory]
    [InlineData("", "disposition type")]
    [InlineData("; name=a", "disposition type")]
    [InlineData("form-data; name=\"a", "unterminated")]
    [InlineData("form-data; name=a; NAME=b", "more than once")]
    [InlineData("form-data; name", "no '='")]
    [InlineData("form-data; name=", "no value")]
    [InlineData("form-data name=a", "separated by ';'")]
    [InlineData("form-data; name=a b", "separated by ';'")]
    public void Parse_Invalid_ThrowsMalformed(string header, string messagePart)
    {
        var error = Assert.Throws<MultipartException>(() => ContentDisposition.Parse(header));
        Assert.Equal(MultipartErrorKind.Malformed, error.Kind);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.False(ContentDisposition.TryParse(header, out var result));
        Assert.Null(result);
    }

    [Fact]
    public void TryParse_Valid_ReturnsValue()
    {
        Assert.True(ContentDisposition.TryParse("inline", out var value));
        Assert.Equal("inline", value.Type);
        Assert.Empty(value.Parameters);
        Assert.False(ContentDisposition.TryParse(null, out _));
    }
}
