using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Body;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Http;

/// <summary>
/// RFC 9112 §2–§5 (message format, request line, field syntax), RFC 9112 §3.2 (Host), RFC 9110 §2.5 (versions) and
/// the §6.3 framing decision applied to raw requests: valid heads on every segment shape, incomplete heads, and a table
/// of malformed and smuggling requests with their exact status codes.
/// </summary>
public sealed class HttpRequestParserTests
{
    private static readonly HttpRequestParser s_parser = new(HttpLimits.Default);

    public static TheoryData<string, string, string, HttpVersion> ValidRequestLines => new()
    {
        { "GET / HTTP/1.1", "GET", "/", HttpVersion.Http11 },
        { "GET /chat?room=1&x=%20 HTTP/1.1", "GET", "/chat?room=1&x=%20", HttpVersion.Http11 },
        { "POST /upload HTTP/1.0", "POST", "/upload", HttpVersion.Http10 },
        { "HEAD /index.html HTTP/1.1", "HEAD", "/index.html", HttpVersion.Http11 },
        { "PUT /a/b/c HTTP/1.1", "PUT", "/a/b/c", HttpVersion.Http11 },
        { "DELETE /item/7 HTTP/1.1", "DELETE", "/item/7", HttpVersion.Http11 },
        { "PATCH /doc HTTP/1.1", "PATCH", "/doc", HttpVersion.Http11 },
        { "TRACE / HTTP/1.1", "TRACE", "/", HttpVersion.Http11 },
        { "OPTIONS * HTTP/1.1", "OPTIONS", "*", HttpVersion.Http11 },
        { "OPTIONS /api HTTP/1.1", "OPTIONS", "/api", HttpVersion.Http11 },
        { "CONNECT example.com:443 HTTP/1.1", "CONNECT", "example.com:443", HttpVersion.Http11 },
        { "CONNECT [::1]:8080 HTTP/1.1", "CONNECT", "[::1]:8080", HttpVersion.Http11 },
        { "GET http://example.com/a?b=c HTTP/1.1", "GET", "http://example.com/a?b=c", HttpVersion.Http11 },
        { "PROPFIND /dav/ HTTP/1.1", "PROPFIND", "/dav/", HttpVersion.Http11 },
        { "get / HTTP/1.1", "get", "/", HttpVersion.Http11 },
        { "GET /x HTTP/1.2", "GET", "/x", HttpVersion.Http11 },
        { "GET /x HTTP/1.9", "GET", "/x", HttpVersion.Http11 },
    };

    public static TheoryData<string, string, int> MalformedRequests => new()
    {
        // Request line (RFC 9112 §3).
        { "double SP after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "double SP after target", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "leading SP", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "trailing SP", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400 },
        { "HTAB separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "extra token", "GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400 },
        { "HTTP/0.9 simple request", "GET /\r\n\r\n", 400 },
        { "method not a token", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "lowercase http/1.1", "GET / http/1.1\r\nHost: a\r\n\r\n", 400 },
        { "HTPT/1.1", "GET / HTPT/1.1\r\nHost: a\r\n\r\n", 400 },
        { "HTTP/1.01", "GET / HTTP/1.01\r\nHost: a\r\n\r\n", 400 },
        { "HTTP/1", "GET / HTTP/1\r\nHost: a\r\n\r\n", 400 },
        { "HTTP/11", "GET / HTTP/11\r\nHost: a\r\n\r\n", 400 },
        { "HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
        { "HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505 },
        { "HTTP/0.9 with version", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505 },
        { "HTTP/2 prior-knowledge preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505 },
        { "fragment in target", "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "DEL in target", "GET /a\u007Fb HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "non-ASCII target", "GET /caf\u00E9 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "NUL in target", "GET /a\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "asterisk-form with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "target without slash or scheme", "GET example.com HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "CONNECT with a path", "CONNECT /path HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "CONNECT without port", "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", 400 },

        // Line endings (RFC 9112 §2.2).
        { "bare LF after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400 },
        { "bare LF after field", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400 },
        { "bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400 },
        { "bare CR in request line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "bare CR in field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", 400 },
        { "bare CR before the request line", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "bare LF before the request line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "five empty lines before the request line", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },

        // Fields (RFC 9112 §5, RFC 9110 §5.5).
        { "space before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n", 400 },
        { "tab before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A\t: b\r\n\r\n", 400 },
        { "Transfer-Encoding with space before colon", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n", 400 },
        { "obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400 },
        { "obs-fold with HTAB", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", 400 },
        { "whitespace line after request line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400 },
        { "NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n", 400 },
        { "VT in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u000Bc\r\n\r\n", 400 },
        { "DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u007Fc\r\n\r\n", 400 },
        { "no colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A b\r\n\r\n", 400 },
        { "empty name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400 },
        { "name not a token", "GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", 400 },
        { "non-ASCII name", "GET / HTTP/1.1\r\nHost: a\r\nX-\u00E9: b\r\n\r\n", 400 },

        // Host (RFC 9112 §3.2).
        { "missing Host in HTTP/1.1", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400 },
        { "two Host lines", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400 },
        { "two Host lines, differing case", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400 },
        { "two Hosts in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
        { "Host with path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400 },
        { "Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400 },
        { "Host with empty port", "GET / HTTP/1.1\r\nHost: a:\r\n\r\n", 400 },
        { "Host with port out of range", "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", 400 },
        { "Host with letters in port", "GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n", 400 },
        { "Host with space inside", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400 },
        { "Host with unclosed IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400 },
        { "Host with two values", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", 400 },
        { "Host with bad percent-encoding", "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400 },

        // Expect (RFC 9110 §10.1.1).
        { "unknown expectation", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 417 },
        { "100-continue plus unknown", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\nContent-Length: 1\r\n\r\n", 417 },

        // Framing and smuggling (RFC 9112 §6.1–§6.3).
        { "CL and TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { "TE and CL", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400 },
        { "CL list differing", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", 400 },
        { "CL lines differing", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400 },
        { "CL lines identical", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400 },
        { "CL list identical", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400 },
        { "CL plus sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400 },
        { "CL negative", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400 },
        { "CL hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", 400 },
        { "CL with inner space", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400 },
        { "CL empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400 },
        { "CL decimal point", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5.0\r\n\r\n", 400 },
        { "CL overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400 },
        { "CL just past long.MaxValue", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", 400 },
        { "CL over the body limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 30000001\r\n\r\n", 413 },
        { "CL long.MaxValue", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n", 413 },
        { "TE chunked, gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400 },
        { "TE xchunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 400 },
        { "TE chunkedx", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunkedx\r\n\r\n", 400 },
        { "TE gzip only", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400 },
        { "TE identity only", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400 },
        { "TE chunked, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400 },
        { "TE chunked on two lines", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { "TE chunked, smuggle", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, smuggle\r\n\r\n", 400 },
        { "TE chunked with a parameter", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", 400 },
        { "TE empty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400 },
        { "TE not a token", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", 400 },
        { "TE gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
        { "TE identity, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n", 501 },
        { "TE gzip then chunked on two lines", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501 },
        { "TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { "TE in HTTP/1.0 with CL", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400 },
        { "TE with vertical tab", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \u000Bchunked\r\n\r\n", 400 },
    };

    [Theory]
    [MemberData(nameof(ValidRequestLines))]
    public void TryParseRequestHead_ValidRequestLine_YieldsItsPartsOnEveryShape(string requestLine, string method, string target, HttpVersion version)
    {
        var bytes = Latin1($"{requestLine}\r\nHost: example.com\r\n\r\n");
        foreach (var (shape, sequence) in Sequences.AllShapes(bytes))
        {
            var head = ParseComplete(sequence, out long consumed);
            Assert.True(method == head.Method, shape);
            Assert.True(target == head.Target, shape);
            Assert.True(version == head.Version, shape);
            Assert.True(bytes.Length == consumed, shape);
        }
    }

    [Fact]
    public void TryParseRequestHead_KnownMethod_ReturnsTheInternedConstant()
    {
        var head = ParseComplete(Sequences.OneBytePerSegment(Latin1("DELETE /x HTTP/1.1\r\nhost: a\r\nx-custom: 1\r\n\r\n")), out _);
        Assert.Same(HttpMethods.Delete, head.Method);
        Assert.Same(string.IsInterned("Host"), head.Headers[0].Key);
        Assert.Equal("x-custom", head.Headers[1].Key);
    }

    [Fact]
    public void TryParseRequestHead_Fields_AreTrimmedOrderedAndLatin1()
    {
        var bytes = Latin1(
            "POST /form HTTP/1.1\r\n" +
            "Host: example.com:8080\r\n" +
            "X-Empty:\r\n" +
            "X-Blank: \t \r\n" +
            "X-Ows: \t a  b \t\r\n" +
            "X-Obs-Text: caf\u00E9\u00FF\r\n" +
            "X-Repeat: 1\r\n" +
            "x-repeat: 2\r\n" +
            "Cookie: a=\"q\\\"uote\"; b=2\r\n" +
            "\r\n");
        foreach (var (shape, sequence) in Sequences.AllShapes(bytes))
        {
            var head = ParseComplete(sequence, out _);
            var expected = new[]
            {
                ("Host", "example.com:8080"), ("X-Empty", ""), ("X-Blank", ""), ("X-Ows", "a  b"),
                ("X-Obs-Text", "caf\u00E9\u00FF"), ("X-Repeat", "1"), ("x-repeat", "2"), ("Cookie", "a=\"q\\\"uote\"; b=2"),
            };
            Assert.True(
                expected.SequenceEqual(head.Headers.Select(f => (f.Key, f.Value))),
                $"{shape}: {string.Join(" | ", head.Headers.Select(f => $"{f.Key}={f.Value}"))}");
            Assert.Equal(new[] { "1", "2" }, head.Headers.GetValues("X-REPEAT"));
        }
    }

    [Fact]
    public void TryParseRequestHead_EveryStrictPrefix_NeedsMoreDataAndConsumesNothing()
    {
        var bytes = Latin1("\r\n\r\nPOST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nX-Ows:  v \r\n\r\n");
        for (int length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes[..length];
            foreach (var sequence in new[] { Sequences.Single(prefix), Sequences.OneBytePerSegment(prefix) })
            {
                var reader = new SequenceReader<byte>(sequence);
                Assert.False(s_parser.TryParseRequestHead(ref reader, out var head), $"prefix of {length} bytes");
                Assert.Null(head);
                Assert.Equal(0, reader.Consumed);
            }
        }

        var complete = ParseComplete(Sequences.Single(bytes), out long consumed);
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal("/upload", complete.Path);
    }

    [Fact]
    public void TryParseRequestHead_PipelinedRequests_ConsumesOneHeadAtATime()
    {
        var bytes = Latin1("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\n");
        foreach (var (shape, sequence) in Sequences.AllShapes(bytes))
        {
            var reader = new SequenceReader<byte>(sequence);
            Assert.True(s_parser.TryParseRequestHead(ref reader, out var first), shape);
            Assert.Equal("/a", first.Target);
            var framing = MessageFraming.Decide(first, HttpLimits.Default);
            Assert.Equal(RequestBodyFraming.ForContentLength(3), framing);
            reader.Advance(framing.ContentLength);

            Assert.True(s_parser.TryParseRequestHead(ref reader, out var second), shape);
            Assert.Equal("/b", second.Target);
            long before = reader.Consumed;
            Assert.False(s_parser.TryParseRequestHead(ref reader, out _), shape);
            Assert.Equal(before, reader.Consumed);
        }
    }

    [Fact]
    public void TryParseRequestHead_UpToFourLeadingEmptyLines_AreSkipped()
    {
        var bytes = Latin1("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        foreach (var (shape, sequence) in Sequences.AllShapes(bytes))
        {
            ParseComplete(sequence, out long consumed);
            Assert.True(bytes.Length == consumed, shape);
        }
    }

    [Fact]
    public void TryParseRequestHead_Http10WithoutHost_IsAccepted()
    {
        var head = ParseComplete(Sequences.Single(Latin1("GET / HTTP/1.0\r\n\r\n")), out _);
        Assert.Equal(HttpVersion.Http10, head.Version);
        Assert.Equal(0, head.Headers.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("example.com")]
    [InlineData("example.com:80")]
    [InlineData("127.0.0.1:65535")]
    [InlineData("[::1]")]
    [InlineData("[2001:db8::7]:8443")]
    [InlineData("xn--bcher-kva.example")]
    [InlineData("a%41b")]
    [InlineData("a_b~c!$&'()*+,;=")]
    public void TryParseRequestHead_ValidHost_IsAccepted(string host)
    {
        var head = ParseComplete(Sequences.Single(Latin1($"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n")), out _);
        Assert.Equal(host, head.Headers.Get("Host"));
    }

    [Theory]
    [InlineData("100-continue")]
    [InlineData("100-Continue")]
    [InlineData("100-continue, ")]
    public void TryParseRequestHead_ExpectContinue_IsAccepted(string expect)
    {
        var head = ParseComplete(Sequences.Single(Latin1($"POST / HTTP/1.1\r\nHost: a\r\nExpect: {expect}\r\nContent-Length: 1\r\n\r\n")), out _);
        Assert.Equal(expect.TrimEnd(), head.Headers.Get("Expect"));
    }

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public void TryParseRequestHead_MalformedOrSmugglingRequest_IsRejectedWithItsStatusOnEveryShape(string name, string request, int status)
    {
        var bytes = Latin1(request);
        foreach (var (shape, sequence) in Sequences.AllShapes(bytes))
        {
            var error = Assert.Throws<HttpRequestRejectedException>(() => ParseAndFrame(sequence, HttpLimits.Default));
            Assert.True(status == error.StatusCode, $"{name} ({shape}): expected {status}, got {error.StatusCode} {error.Reason}");
            Assert.Equal(error.Reason.ToStatusCode(), error.StatusCode);
        }
    }

    [Fact]
    public void TryParseRequestHead_MebibyteRequestLineWithoutLineEnd_Throws414BeforeTheEnd()
    {
        var bytes = Latin1("GET /" + new string('a', 1024 * 1024));
        foreach (var sequence in new[] { Sequences.Single(bytes), Sequences.SplitAt(bytes, 5000), Sequences.Split(bytes, Enumerable.Range(1, 255).Select(i => i * 4096).ToList()) })
        {
            var error = Assert.Throws<HttpRequestRejectedException>(() => Parse(sequence, HttpLimits.Default, out _));
            Assert.Equal(414, error.StatusCode);
            Assert.Equal(RequestRejectionReason.RequestLineTooLong, error.Reason);
        }
    }

    [Fact]
    public void TryParseRequestHead_RequestLineAtTheLimit_IsAcceptedAndOneByteMoreIs414()
    {
        var limits = HttpLimits.Default with { MaxRequestLineLength = 64 };
        string atLimit = "GET /" + new string('a', 64 - "GET / HTTP/1.1".Length) + " HTTP/1.1";
        Assert.Equal(64, atLimit.Length);

        var ok = Latin1(atLimit + "\r\nHost: a\r\n\r\n");
        foreach (var (shape, sequence) in Sequences.AllShapes(ok))
        {
            Assert.True(Parse(sequence, limits, out _) is not null, shape);
        }

        // Incomplete at the limit (the CR is buffered, the LF not yet): still waiting, not refused.
        Assert.Null(Parse(Sequences.Single(Latin1(atLimit + "\r")), limits, out long consumed));
        Assert.Equal(0, consumed);

        string tooLong = "GET /" + new string('a', 65 - "GET / HTTP/1.1".Length) + " HTTP/1.1";
        foreach (var bytes in new[] { Latin1(tooLong + "\r\nHost: a\r\n\r\n"), Latin1(tooLong + "\r"), Latin1(tooLong + "\n") })
        {
            foreach (var (shape, sequence) in Sequences.AllShapes(bytes))
            {
                var error = Assert.Throws<HttpRequestRejectedException>(() => Parse(sequence, limits, out _));
                Assert.True(error.StatusCode == 414, $"{shape}: {error.Reason}");
            }
        }
    }

    [Fact]
    public void TryParseRequestHead_MebibyteHeaderBlockWithoutEnd_Throws431BeforeTheEnd()
    {
        var builder = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
        builder.Append('b', 1024 * 1024);
        var bytes = Latin1(builder.ToString());
        foreach (var sequence in new[] { Sequences.Single(bytes), Sequences.SplitAt(bytes, 20), Sequences.Split(bytes, Enumerable.Range(1, 255).Select(i => i * 4096).ToList()) })
        {
            var error = Assert.Throws<HttpRequestRejectedException>(() => Parse(sequence, HttpLimits.Default, out _));
            Assert.Equal(431, error.StatusCode);
            Assert.Equal(RequestRejectionReason.HeadersTooLarge, error.Reason);
        }
    }

    [Fact]
    public void TryParseRequestHead_HeaderSectionAtTheLimit_IsAcceptedAndOneByteMoreIs431()
    {
        const string Line = "GET / HTTP/1.1\r\n";
        var limits = HttpLimits.Default with { MaxRequestHeadersTotalSize = 40 };

        // "Host: a\r\n" (9) + "X: " (3) + value + "\r\n" (2) + "\r\n" (2) = 40 → value of 24 bytes.
        string atLimit = "Host: a\r\nX: " + new string('v', 24) + "\r\n\r\n";
        Assert.Equal(40, atLimit.Length);
        foreach (var (shape, sequence) in Sequences.AllShapes(Latin1(Line + atLimit)))
        {
            Assert.True(Parse(sequence, limits, out _) is not null, shape);
        }

        string tooLarge = "Host: a\r\nX: " + new string('v', 25) + "\r\n\r\n";
        foreach (var (shape, sequence) in Sequences.AllShapes(Latin1(Line + tooLarge)))
        {
            var error = Assert.Throws<HttpRequestRejectedException>(() => Parse(sequence, limits, out _));
            Assert.True(error.StatusCode == 431, $"{shape}: {error.Reason}");
        }

        // Incomplete, but already one byte past what a complete section could hold.
        var pending = Latin1(Line + "Host: a\r\nX: " + new string('v', 29));
        Assert.Null(Parse(Sequences.Single(pending[..^1]), limits, out _));
        Assert.Equal(431, Assert.Throws<HttpRequestRejectedException>(() => Parse(Sequences.Single(pending), limits, out _)).StatusCode);
    }

    [Fact]
    public void TryParseRequestHead_HundredHeaders_AreAcceptedAndTheHundredAndFirstIs431()
    {
        var hundred = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
        for (int i = 1; i < 100; i++)
        {
            hundred.Append("X-").Append(i).Append(": v\r\n");
        }

        var head = Parse(Sequences.Single(Latin1(hundred + "\r\n")), HttpLimits.Default, out _);
        Assert.Equal(100, head!.Headers.Count);

        var hundredAndOne = hundred.Append("X-101: v\r\n").ToString();
        foreach (var bytes in new[] { Latin1(hundredAndOne + "\r\n"), Latin1(hundredAndOne) })
        {
            foreach (var sequence in new[] { Sequences.Single(bytes), Sequences.OneBytePerSegment(bytes) })
            {
                var error = Assert.Throws<HttpRequestRejectedException>(() => Parse(sequence, HttpLimits.Default, out _));
                Assert.Equal(431, error.StatusCode);
                Assert.Equal(RequestRejectionReason.TooManyHeaders, error.Reason);
            }
        }
    }

    [Fact]
    public void HttpRequestRejectedException_Message_DoesNotEchoTheRequest()
    {
        var error = Assert.Throws<HttpRequestRejectedException>(
            () => Parse(Sequences.Single(Latin1("GET /<script> HTTP/1.1\r\nHost: a\r\nX<script>: 1\r\n\r\n")), HttpLimits.Default, out _));
        Assert.Equal(400, error.StatusCode);
        Assert.DoesNotContain("script", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void RequestRejectionReason_EveryValue_MapsToAnErrorStatusWithAMessage()
    {
        var allowed = new[] { 400, 413, 414, 417, 431, 501, 505 };
        foreach (var reason in Enum.GetValues<RequestRejectionReason>())
        {
            var error = new HttpRequestRejectedException(reason);
            Assert.Contains(error.StatusCode, allowed);
            Assert.False(string.IsNullOrWhiteSpace(error.Message), reason.ToString());
        }
    }

    [Fact]
    public void TryParseTrailers_Section_IsParsedWithFieldRulesOnEveryShape()
    {
        var bytes = Latin1("Checksum: abc\r\nX-T:  1 \r\n\r\nNEXT");
        foreach (var (shape, sequence) in Sequences.AllShapes(bytes))
        {
            var reader = new SequenceReader<byte>(sequence);
            var trailers = new HttpHeaders();
            Assert.True(s_parser.TryParseTrailers(ref reader, trailers), shape);
            Assert.Equal(bytes.Length - 4, reader.Consumed);
            Assert.Equal("abc", trailers.Get("checksum"));
            Assert.Equal("1", trailers.Get("X-T"));
        }

        for (int length = 0; length < bytes.Length - 4; length++)
        {
            var reader = new SequenceReader<byte>(Sequences.OneBytePerSegment(bytes[..length]));
            var trailers = new HttpHeaders();
            Assert.False(s_parser.TryParseTrailers(ref reader, trailers));
            Assert.Equal(0, reader.Consumed);
            Assert.Equal(0, trailers.Count);
        }
    }

    [Fact]
    public void Parse_SmallHead_AllocatesOnlyTheHeadObjectsAndStrings()
    {
        var bytes = Latin1("GET / HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        var sequence = Sequences.Single(bytes);
        var reader = new SequenceReader<byte>(sequence);
        Assert.True(s_parser.TryParseRequestHead(ref reader, out _)); // warm up: static tables, JIT

        reader = new SequenceReader<byte>(sequence);
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool parsed = s_parser.TryParseRequestHead(ref reader, out var head);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(parsed);

        // HttpRequestHead, HttpHeaders and its list with one growth to 4 slots, and three value strings
        // ("example.com", "Upgrade", "websocket"): 336 bytes on x64. Method, target and names are interned.
        Assert.Same("/", head!.Target);
        Assert.True(allocated < 512, $"allocated {allocated} bytes");
    }

    private static HttpRequestHead ParseComplete(ReadOnlySequence<byte> sequence, out long consumed)
    {
        var head = Parse(sequence, HttpLimits.Default, out consumed);
        Assert.NotNull(head);
        return head;
    }

    private static HttpRequestHead? Parse(ReadOnlySequence<byte> sequence, HttpLimits limits, out long consumed)
    {
        var reader = new SequenceReader<byte>(sequence);
        bool complete = new HttpRequestParser(limits).TryParseRequestHead(ref reader, out var head);
        consumed = reader.Consumed;
        Assert.Equal(complete, head is not null);
        return head;
    }

    private static RequestBodyFraming ParseAndFrame(ReadOnlySequence<byte> sequence, HttpLimits limits)
    {
        var head = Parse(sequence, limits, out _);
        Assert.NotNull(head);
        return MessageFraming.Decide(head, limits);
    }

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);
}
