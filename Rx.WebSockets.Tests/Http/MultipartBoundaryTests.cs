using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Multipart;

namespace Rx.WebSockets.Tests.Http;

/// <summary>RFC 2046 §5.1.1 boundary parameter and RFC 9110 §8.3.1 / §5.6.6 media type parameters.</summary>
public sealed class MultipartBoundaryTests
{
    [Theory]
    [InlineData("multipart/form-data; boundary=abc", "abc")]
    [InlineData("multipart/form-data;boundary=abc", "abc")]
    [InlineData("  multipart/mixed ;  boundary=abc  ", "abc")]
    [InlineData("Multipart/Mixed; BOUNDARY=abc", "abc")]
    [InlineData("multipart/form-data; boundary=\"abc\"", "abc")]
    [InlineData("multipart/form-data; boundary=\"a b:c=d?e/f,(g)'\"", "a b:c=d?e/f,(g)'")]
    [InlineData("multipart/form-data; boundary=\"a\\bc\"", "abc")]
    [InlineData("multipart/mixed; charset=utf-8; boundary=xyz", "xyz")]
    [InlineData("multipart/mixed; a_boundary=\"boundary=z\"; boundary=real", "real")]
    [InlineData("multipart/mixed; x=\"; boundary=fake\"; boundary=real", "real")]
    [InlineData("multipart/mixed; boundary=abc;", "abc")]
    [InlineData("multipart/mixed; boundary=abc; ; charset=x", "abc")]
    [InlineData("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", "----WebKitFormBoundary7MA4YWxkTrZu0gW")]
    [InlineData("multipart/byteranges; boundary=1234567890123456789012345678901234567890123456789012345678901234567890",
        "1234567890123456789012345678901234567890123456789012345678901234567890")]
    public void Parse_ValidContentType_ReturnsBoundary(string contentType, string expected)
    {
        Assert.Equal(expected, MultipartBoundary.Parse(contentType));
        Assert.True(MultipartBoundary.TryParse(contentType, out var boundary));
        Assert.Equal(expected, boundary);
    }

    [Theory]
    [InlineData("text/plain; boundary=abc", "not multipart")]
    [InlineData("multi-part/mixed; boundary=abc", "not multipart")]
    [InlineData("multipart; boundary=abc", "expected a media type")]
    [InlineData("multipart/; boundary=abc", "subtype is missing")]
    [InlineData("multipart/mixed", "boundary parameter is missing")]
    [InlineData("multipart/mixed; charset=utf-8", "boundary parameter is missing")]
    [InlineData("multipart/mixed; boundary=", "has no value")]
    [InlineData("multipart/mixed; boundary=\"\"", "boundary is empty")]
    [InlineData("multipart/mixed; boundary=\"abc ", "unterminated")]
    [InlineData("multipart/mixed; boundary=\"abc \"", "ends with a space")]
    [InlineData("multipart/mixed; boundary=a!b", "contains '!'")]
    [InlineData("multipart/mixed; boundary=\"a\\\"b\"", "contains '\"'")]
    [InlineData("multipart/mixed; boundary=12345678901234567890123456789012345678901234567890123456789012345678901", "71 characters")]
    [InlineData("multipart/mixed; boundary=a; boundary=b", "more than once")]
    [InlineData("multipart/mixed; boundary = abc", "no '='")]
    [InlineData("multipart/mixed; boundary=abc, x", "unexpected ','")]
    [InlineData("multipart/mixed boundary=abc", "unexpected 'b'")]
    public void Parse_InvalidContentType_ThrowsInvalidContentType(string contentType, string messagePart)
    {
        var error = Assert.Throws<MultipartException>(() => MultipartBoundary.Parse(contentType));
        Assert.Equal(MultipartErrorKind.InvalidContentType, error.Kind);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.False(MultipartBoundary.TryParse(contentType, out var boundary));
        Assert.Null(boundary);
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse() => Assert.False(MultipartBoundary.TryParse(null, out _));

    [Fact]
    public void FromRequestHeaders_ContentTypePresent_ReturnsBoundary()
    {
        var headers = new HttpHeaders().Add("Host", "x").Add("content-type", "multipart/form-data; boundary=q");
        Assert.Equal("q", MultipartBoundary.FromRequestHeaders(headers));
    }

    [Fact]
    public void FromRequestHeaders_ContentTypeMissing_ThrowsInvalidContentType()
    {
        var error = Assert.Throws<MultipartException>(() => MultipartBoundary.FromRequestHeaders(new HttpHeaders().Add("Host", "x")));
        Assert.Equal(MultipartErrorKind.InvalidContentType, error.Kind);
        Assert.Contains("no Content-Type", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromRequestHeaders_TwoContentTypes_ThrowsInvalidContentType()
    {
        var headers = new HttpHeaders()
            .Add("Content-Type", "multipart/form-data; boundary=a")
            .Add("Content-Type", "multipart/form-data; boundary=b");
        Assert.Equal(MultipartErrorKind.InvalidContentType, Assert.Throws<MultipartException>(() => MultipartBoundary.FromRequestHeaders(headers)).Kind);
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("a b", true)]
    [InlineData("a ", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("é", false)]
    public void IsValid_Boundary_FollowsBcharsRule(string? boundary, bool expected) => Assert.Equal(expected, MultipartBoundary.IsValid(boundary));
}
