using System.Collections.Generic;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Body;

namespace Rx.WebSockets.Tests.Http;

/// <summary>
/// RFC 9112 §6.1–§6.3 Message Body Length: the request framing decision and the smuggling table (CL+TE, repeated or
/// malformed Content-Length, Transfer-Encoding chains, HTTP/1.0 Transfer-Encoding), with exact reasons and statuses.
/// </summary>
public sealed class MessageFramingTests
{
    public static TheoryData<string, HttpVersion, string[], RequestBodyKind, long> ValidFraming => new()
    {
        { "no length fields", HttpVersion.Http11, [], RequestBodyKind.None, 0 },
        { "no length fields, Connection: close", HttpVersion.Http11, ["Connection", "close"], RequestBodyKind.None, 0 },
        { "HTTP/1.0 without length", HttpVersion.Http10, [], RequestBodyKind.None, 0 },
        { "Content-Length 0", HttpVersion.Http11, ["Content-Length", "0"], RequestBodyKind.ContentLength, 0 },
        { "Content-Length 42", HttpVersion.Http11, ["Content-Length", "42"], RequestBodyKind.ContentLength, 42 },
        { "Content-Length with leading zeros", HttpVersion.Http11, ["Content-Length", "007"], RequestBodyKind.ContentLength, 7 },
        { "Content-Length many leading zeros", HttpVersion.Http11, ["Content-Length", "000000000000000000000000012"], RequestBodyKind.ContentLength, 12 },
        { "Content-Length in HTTP/1.0", HttpVersion.Http10, ["Content-Length", "3"], RequestBodyKind.ContentLength, 3 },
        { "Content-Length at the limit", HttpVersion.Http11, ["Content-Length", "30000000"], RequestBodyKind.ContentLength, 30_000_000 },
        { "lowercase field name", HttpVersion.Http11, ["content-length", "9"], RequestBodyKind.ContentLength, 9 },
        { "chunked", HttpVersion.Http11, ["Transfer-Encoding", "chunked"], RequestBodyKind.Chunked, 0 },
        { "CHUNKED", HttpVersion.Http11, ["Transfer-Encoding", "CHUNKED"], RequestBodyKind.Chunked, 0 },
        { "chunked with empty list members", HttpVersion.Http11, ["Transfer-Encoding", ", chunked ,"], RequestBodyKind.Chunked, 0 },
        { "chunked on a second line after an empty one", HttpVersion.Http11, ["Transfer-Encoding", "", "Transfer-Encoding", "chunked"], RequestBodyKind.Chunked, 0 },
    };

    public static TheoryData<string, HttpVersion, string[], RequestRejectionReason> RejectedFraming => new()
    {
        { "CL and TE", HttpVersion.Http11, ["Content-Length", "5", "Transfer-Encoding", "chunked"], RequestRejectionReason.ContentLengthWithTransferEncoding },
        { "CL 0 and TE", HttpVersion.Http11, ["Transfer-Encoding", "chunked", "Content-Length", "0"], RequestRejectionReason.ContentLengthWithTransferEncoding },
        { "CL and unsupported TE", HttpVersion.Http11, ["Transfer-Encoding", "gzip", "Content-Length", "1"], RequestRejectionReason.ContentLengthWithTransferEncoding },
        { "TE in HTTP/1.0", HttpVersion.Http10, ["Transfer-Encoding", "chunked"], RequestRejectionReason.TransferEncodingInHttp10 },
        { "TE in HTTP/1.0 with CL", HttpVersion.Http10, ["Transfer-Encoding", "chunked", "Content-Length", "1"], RequestRejectionReason.TransferEncodingInHttp10 },
        { "CL, CL differing", HttpVersion.Http11, ["Content-Length", "5", "Content-Length", "6"], RequestRejectionReason.MultipleContentLengths },
        { "CL, CL identical", HttpVersion.Http11, ["Content-Length", "5", "Content-Length", "5"], RequestRejectionReason.MultipleContentLengths },
        { "CL list identical", HttpVersion.Http11, ["Content-Length", "5,5"], RequestRejectionReason.MultipleContentLengths },
        { "CL list differing", HttpVersion.Http11, ["Content-Length", "5, 6"], RequestRejectionReason.MultipleContentLengths },
        { "CL +5", HttpVersion.Http11, ["Content-Length", "+5"], RequestRejectionReason.InvalidContentLength },
        { "CL -1", HttpVersion.Http11, ["Content-Length", "-1"], RequestRejectionReason.InvalidContentLength },
        { "CL empty", HttpVersion.Http11, ["Content-Length", ""], RequestRejectionReason.InvalidContentLength },
        { "CL 1e3", HttpVersion.Http11, ["Content-Length", "1e3"], RequestRejectionReason.InvalidContentLength },
        { "CL fullwidth digit", HttpVersion.Http11, ["Content-Length", "\uFF15"], RequestRejectionReason.InvalidContentLength },
        { "CL 2^63", HttpVersion.Http11, ["Content-Length", "9223372036854775808"], RequestRejectionReason.InvalidContentLength },
        { "CL 20 digits", HttpVersion.Http11, ["Content-Length", "10000000000000000000"], RequestRejectionReason.InvalidContentLength },
        { "CL over the limit", HttpVersion.Http11, ["Content-Length", "30000001"], RequestRejectionReason.RequestBodyTooLarge },
        { "TE chunked, gzip", HttpVersion.Http11, ["Transfer-Encoding", "chunked, gzip"], RequestRejectionReason.InvalidTransferEncoding },
        { "TE xchunked", HttpVersion.Http11, ["Transfer-Encoding", "xchunked"], RequestRejectionReason.InvalidTransferEncoding },
        { "TE gzip", HttpVersion.Http11, ["Transfer-Encoding", "gzip"], RequestRejectionReason.InvalidTransferEncoding },
        { "TE chunked, chunked", HttpVersion.Http11, ["Transfer-Encoding", "chunked, chunked"], RequestRejectionReason.InvalidTransferEncoding },
        { "TE chunked then chunked, gzip", HttpVersion.Http11, ["Transfer-Encoding", "chunked", "Transfer-Encoding", "gzip"], RequestRejectionReason.InvalidTransferEncoding },
        { "TE chunked with parameter", HttpVersion.Http11, ["Transfer-Encoding", "chunked ; a=b"], RequestRejectionReason.InvalidTransferEncoding },
        { "TE only commas", HttpVersion.Http11, ["Transfer-Encoding", " , ,"], RequestRejectionReason.InvalidTransferEncoding },
        { "TE with a slash", HttpVersion.Http11, ["Transfer-Encoding", "chunked/1"], RequestRejectionReason.InvalidTransferEncoding },
        { "TE gzip, chunked", HttpVersion.Http11, ["Transfer-Encoding", "gzip, chunked"], RequestRejectionReason.UnsupportedTransferCoding },
        { "TE deflate;q=1, chunked", HttpVersion.Http11, ["Transfer-Encoding", "deflate;q=1, chunked"], RequestRejectionReason.UnsupportedTransferCoding },
        { "TE identity, chunked", HttpVersion.Http11, ["Transfer-Encoding", "identity, chunked"], RequestRejectionReason.UnsupportedTransferCoding },
    };

    [Theory]
    [MemberData(nameof(ValidFraming))]
    public void Decide_ValidFraming_ReturnsKindAndLength(string name, HttpVersion version, string[] fields, RequestBodyKind kind, long length)
    {
        var framing = MessageFraming.Decide(Head(version, fields), HttpLimits.Default);
        Assert.True(kind == framing.Kind, name);
        Assert.True(length == framing.ContentLength, name);
        Assert.Equal(kind == RequestBodyKind.Chunked || length > 0, framing.HasBody);
    }

    [Theory]
    [MemberData(nameof(RejectedFraming))]
    public void Decide_AmbiguousOrInvalidFraming_IsRejected(string name, HttpVersion version, string[] fields, RequestRejectionReason reason)
    {
        var error = Assert.Throws<HttpRequestRejectedException>(() => MessageFraming.Decide(Head(version, fields), HttpLimits.Default));
        Assert.True(reason == error.Reason, $"{name}: got {error.Reason}");
        Assert.Equal(reason.ToStatusCode(), error.StatusCode);
    }

    [Fact]
    public void Decide_StatusCodes_FollowTheRfc()
    {
        Assert.Equal(400, Status(["Content-Length", "5", "Transfer-Encoding", "chunked"]));
        Assert.Equal(400, Status(["Transfer-Encoding", "chunked, gzip"]));
        Assert.Equal(501, Status(["Transfer-Encoding", "gzip, chunked"]));
        Assert.Equal(413, Status(["Content-Length", "30000001"]));
        Assert.Equal(400, Status(["Content-Length", "-1"]));
    }

    [Fact]
    public void Decide_ZeroBodyLimit_RejectsAnyContentLengthAboveZero()
    {
        var limits = HttpLimits.Default with { MaxRequestBodySize = 0 };
        Assert.Equal(RequestBodyFraming.ForContentLength(0), MessageFraming.Decide(Head(HttpVersion.Http11, ["Content-Length", "0"]), limits));
        var error = Assert.Throws<HttpRequestRejectedException>(() => MessageFraming.Decide(Head(HttpVersion.Http11, ["Content-Length", "1"]), limits));
        Assert.Equal(413, error.StatusCode);
    }

    [Fact]
    public void RequestBodyFraming_Factories_DescribeTheirBodies()
    {
        Assert.Equal(RequestBodyKind.None, RequestBodyFraming.None.Kind);
        Assert.False(RequestBodyFraming.None.HasBody);
        Assert.True(RequestBodyFraming.Chunked.HasBody);
        Assert.False(RequestBodyFraming.ForContentLength(0).HasBody);
        Assert.True(RequestBodyFraming.ForContentLength(1).HasBody);
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestBodyFraming.ForContentLength(-1));
    }

    private static int Status(string[] fields)
    {
        var error = Assert.Throws<HttpRequestRejectedException>(() => MessageFraming.Decide(Head(HttpVersion.Http11, fields), HttpLimits.Default));
        return error.StatusCode;
    }

    private static HttpRequestHead Head(HttpVersion version, IReadOnlyList<string> fields)
    {
        var headers = new HttpHeaders().Add("Host", "example.com");
        for (int i = 0; i < fields.Count; i += 2)
        {
            headers.Add(fields[i], fields[i + 1]);
        }

        return new HttpRequestHead("POST", "/", version, headers);
    }
}
