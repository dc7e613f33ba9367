using System.Buffers;
using System.Text;
using Rx.WebSockets.Http;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Http;

/// <summary>RFC 9112 §4 Status Line and RFC 9110 §5 fields: writing a response head, and refusing what would split it.</summary>
public sealed class HttpResponseHeadTests
{
    [Fact]
    public void Write_SwitchingProtocols_ExactBytes()
    {
        var head = new HttpResponseHead(
            101,
            new HttpHeaders()
                .Add("Upgrade", "websocket")
                .Add("Connection", "Upgrade")
                .Add("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));

        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
            "\r\n",
            WriteToString(head));
    }

    [Fact]
    public void Write_SwitchingProtocols_ExactHex()
    {
        var head = new HttpResponseHead(101, new HttpHeaders().Add("A", "b"));
        var output = new ArrayBufferWriter<byte>();

        head.Write(output);

        // "HTTP/1.1 101 Switching Protocols" CR LF "A: b" CR LF CR LF
        Hex.AssertEqual(
            "48 54 54 50 2F 31 2E 31 20 31 30 31 20 53 77 69 74 63 68 69 6E 67 20 50 72 6F 74 6F 63 6F 6C 73 0D 0A" +
            "41 3A 20 62 0D 0A 0D 0A",
            output.WrittenSpan);
    }

    [Fact]
    public void Write_NoHeaders_StatusLineAndEmptyLine()
    {
        Assert.Equal("HTTP/1.1 204 No Content\r\n\r\n", WriteToString(new HttpResponseHead(204)));
    }

    [Fact]
    public void Write_Http10_Version()
    {
        Assert.Equal("HTTP/1.0 200 OK\r\n\r\n", WriteToString(new HttpResponseHead(200, version: HttpVersion.Http10)));
    }

    [Fact]
    public void Write_UnknownStatus_KeepsSpaceBeforeEmptyReason()
    {
        Assert.Equal("HTTP/1.1 299 \r\n\r\n", WriteToString(new HttpResponseHead(299)));
    }

    [Fact]
    public void Write_CustomReasonPhrase_Used()
    {
        Assert.Equal("HTTP/1.1 400 Bad Handshake\r\n\r\n", WriteToString(new HttpResponseHead(400, reasonPhrase: "Bad Handshake")));
    }

    [Fact]
    public void Write_RepeatedNames_WrittenInOrder()
    {
        var head = new HttpResponseHead(200, new HttpHeaders().Add("Vary", "a").Add("X", "1").Add("vary", "b"));

        Assert.Equal("HTTP/1.1 200 OK\r\nVary: a\r\nX: 1\r\nvary: b\r\n\r\n", WriteToString(head));
    }

    [Fact]
    public void Write_ObsTextValue_WrittenAsLatin1()
    {
        var head = new HttpResponseHead(200, new HttpHeaders().Add("X", "caf\u00E9\tok"));
        var output = new ArrayBufferWriter<byte>();

        head.Write(output);

        Assert.Equal(new byte[] { 0x63, 0x61, 0x66, 0xE9, 0x09, 0x6F, 0x6B, 0x0D, 0x0A, 0x0D, 0x0A }, output.WrittenSpan[^11..].ToArray());
    }

    [Theory]
    [InlineData("X", "a\r\nSet-Cookie: evil=1")]
    [InlineData("X", "a\nb")]
    [InlineData("X", "a\rb")]
    [InlineData("X", "a\0b")]
    [InlineData("X", "a\u007Fb")]
    [InlineData("X", "\u0100")]
    [InlineData("X\r\nSet-Cookie", "evil=1")]
    [InlineData("X\n", "a")]
    [InlineData("X Y", "a")]
    [InlineData("X:Y", "a")]
    [InlineData("", "a")]
    public void Write_InvalidFieldNameOrValue_ThrowsAndWritesNothing(string name, string value)
    {
        var head = new HttpResponseHead(200, new HttpHeaders().Add("Good", "1").Add(name, value));
        var output = new ArrayBufferWriter<byte>();

        Assert.Throws<InvalidOperationException>(() => head.Write(output));
        Assert.Equal(0, output.WrittenCount);
    }

    [Theory]
    [InlineData(99)]
    [InlineData(600)]
    [InlineData(0)]
    [InlineData(-101)]
    public void Constructor_StatusOutside100To599_Throws(int statusCode)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpResponseHead(statusCode));
    }

    [Theory]
    [InlineData("OK\r\nSet-Cookie: evil=1")]
    [InlineData("OK\n")]
    [InlineData("\u2603")]
    public void Constructor_ReasonPhraseWithControlOrWideCharacters_Throws(string reasonPhrase)
    {
        Assert.Throws<ArgumentException>(() => new HttpResponseHead(200, reasonPhrase: reasonPhrase));
    }

    [Fact]
    public void Constructor_Defaults_Http11EmptyHeadersStandardPhrase()
    {
        var head = new HttpResponseHead(426);

        Assert.Equal(426, head.StatusCode);
        Assert.Equal("Upgrade Required", head.ReasonPhrase);
        Assert.Equal(HttpVersion.Http11, head.Version);
        Assert.Empty(head.Headers);
        Assert.Equal("HTTP/1.1 426 Upgrade Required", head.ToString());
    }

    [Theory]
    [InlineData(101, "Switching Protocols")]
    [InlineData(200, "OK")]
    [InlineData(204, "No Content")]
    [InlineData(206, "Partial Content")]
    [InlineData(304, "Not Modified")]
    [InlineData(400, "Bad Request")]
    [InlineData(403, "Forbidden")]
    [InlineData(404, "Not Found")]
    [InlineData(405, "Method Not Allowed")]
    [InlineData(408, "Request Timeout")]
    [InlineData(412, "Precondition Failed")]
    [InlineData(413, "Content Too Large")]
    [InlineData(414, "URI Too Long")]
    [InlineData(416, "Range Not Satisfiable")]
    [InlineData(417, "Expectation Failed")]
    [InlineData(426, "Upgrade Required")]
    [InlineData(431, "Request Header Fields Too Large")]
    [InlineData(500, "Internal Server Error")]
    [InlineData(501, "Not Implemented")]
    [InlineData(503, "Service Unavailable")]
    [InlineData(505, "HTTP Version Not Supported")]
    [InlineData(418, "")]
    public void HttpStatus_GetReasonPhrase_Rfc9110Phrases(int statusCode, string expected)
    {
        Assert.Equal(expected, HttpStatus.GetReasonPhrase(statusCode));
    }

    private static string WriteToString(HttpResponseHead head)
    {
        var output = new ArrayBufferWriter<byte>();
        head.Write(output);
        return Encoding.Latin1.GetString(output.WrittenSpan);
    }
}
