using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Rx.WebSockets.Http;
using Rx.WebSockets.Protocol.Handshake;

namespace Rx.WebSockets.Tests.Protocol.Handshake;

/// <summary>
/// RFC 6455 §4.2.1 Reading the Client's Opening Handshake and §4.2.2 Sending the Server's Opening Handshake:
/// each check with its status, token lists, subprotocol selection, and the origin allow-list of §10.2.
/// </summary>
public sealed class ServerHandshakeTests
{
    private const string SampleKey = "dGhlIHNhbXBsZSBub25jZQ==";
    private const string SampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    [Fact]
    public void Accept_Rfc6455Section1_2Request_WritesExact101Response()
    {
        // The request of RFC 6455 §1.2 and the response of §1.3, byte for byte.
        var request = Request(
            "GET", HttpVersion.Http11,
            "Host: server.example.com",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Origin: http://example.com",
            "Sec-WebSocket-Protocol: chat, superchat",
            "Sec-WebSocket-Version: 13");
        var options = new WebSocketOptions();
        options.SubProtocols.Add("chat");
        options.AllowedOrigins.Add("http://example.com");

        var result = ServerHandshake.Accept(request, options);

        Assert.True(result.IsAccepted);
        Assert.Equal(101, result.StatusCode);
        Assert.Equal("chat", result.SubProtocol);
        Assert.Empty(result.Extensions);
        Assert.Null(result.RejectionReason);
        Assert.True(result.ResponseBody.IsEmpty);
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
            "Sec-WebSocket-Protocol: chat\r\n" +
            "\r\n",
            WriteToString(result));
    }

    [Fact]
    public void Accept_NoSubProtocolConfigured_101WithoutProtocolHeader()
    {
        var result = ServerHandshake.Accept(ValidRequest("Sec-WebSocket-Protocol: chat"), new WebSocketOptions());

        Assert.True(result.IsAccepted);
        Assert.Null(result.SubProtocol);
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            $"Sec-WebSocket-Accept: {SampleAccept}\r\n" +
            "\r\n",
            WriteToString(result));
    }

    [Fact]
    public void Accept_ExtensionsOffered_NoneAnswered()
    {
        var result = ServerHandshake.Accept(ValidRequest("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"), new WebSocketOptions());

        Assert.True(result.IsAccepted);
        Assert.Empty(result.Extensions);
        Assert.False(result.Response.Headers.Contains("Sec-WebSocket-Extensions"));
    }

    // RFC 6455 §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
    [Theory]
    [InlineData("POST")]
    [InlineData("HEAD")]
    [InlineData("get")]
    [InlineData("CONNECT")]
    public void Accept_MethodNotGet_405WithAllowGet(string method)
    {
        var result = ServerHandshake.Accept(Request(method, HttpVersion.Http11, ValidLines()), new WebSocketOptions());

        AssertRejected(result, 405);
        Assert.Equal("GET", result.Response.Headers.Get("Allow"));
    }

    [Fact]
    public void Accept_Http10_400BecauseHttp10HasNoUpgrade()
    {
        var result = ServerHandshake.Accept(Request("GET", HttpVersion.Http10, ValidLines()), new WebSocketOptions());

        AssertRejected(result, 400);
        Assert.Contains("HTTP/1.1", result.RejectionReason, StringComparison.Ordinal);
    }

    // RFC 6455 §4.2.1 item 2: "A |Host| header field containing the server's authority."
    [Theory]
    [InlineData("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: " + SampleKey, "Sec-WebSocket-Version: 13")]
    [InlineData("Host: ", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: " + SampleKey, "Sec-WebSocket-Version: 13")]
    [InlineData("Host: a", "Host: b", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: " + SampleKey, "Sec-WebSocket-Version: 13")]
    public void Accept_HostMissingEmptyOrRepeated_400(params string[] lines)
    {
        AssertRejected(ServerHandshake.Accept(Request("GET", HttpVersion.Http11, lines), new WebSocketOptions()), 400);
    }

    // RFC 6455 §4.2.1 item 3: "An |Upgrade| header field containing the value "websocket", treated as an ASCII
    // case-insensitive value."
    [Theory]
    [InlineData(null)]
    [InlineData("h2c")]
    [InlineData("websocket2")]
    [InlineData("websocket/13")]
    [InlineData("web socket")]
    public void Accept_UpgradeWithoutWebsocketToken_400(string? upgrade)
    {
        var lines = ValidLines().Where(l => !l.StartsWith("Upgrade:", StringComparison.Ordinal)).ToList();
        if (upgrade is not null)
        {
            lines.Add("Upgrade: " + upgrade);
        }

        AssertRejected(ServerHandshake.Accept(Request("GET", HttpVersion.Http11, [.. lines]), new WebSocketOptions()), 400);
    }

    [Theory]
    [InlineData("Upgrade: WebSocket")]
    [InlineData("Upgrade: WEBSOCKET")]
    [InlineData("Upgrade: h2c, websocket")]
    [InlineData("Upgrade: foo,WebSocket ,bar")]
    [InlineData("Upgrade: ,, websocket,")]
    public void Accept_UpgradeTokenOddCasingOrInList_Accepted(string upgradeLine)
    {
        var lines = ValidLines().Where(l => !l.StartsWith("Upgrade:", StringComparison.Ordinal)).Append(upgradeLine).ToArray();

        Assert.True(ServerHandshake.Accept(Request("GET", HttpVersion.Http11, lines), new WebSocketOptions()).IsAccepted);
    }

    [Fact]
    public void Accept_UpgradeTokenOnSecondLine_Accepted()
    {
        var lines = ValidLines().Where(l => !l.StartsWith("Upgrade:", StringComparison.Ordinal)).Append("Upgrade: h2c").Append("Upgrade: websocket").ToArray();

        Assert.True(ServerHandshake.Accept(Request("GET", HttpVersion.Http11, lines), new WebSocketOptions()).IsAccepted);
    }

    // RFC 6455 §4.2.1 item 4: "A |Connection| header field that includes the token "Upgrade", treated as an ASCII
    // case-insensitive value."
    [Theory]
    [InlineData("Connection: keep-alive, Upgrade")]
    [InlineData("Connection: upgrade")]
    [InlineData("Connection: UPGRADE,keep-alive")]
    [InlineData("Connection: keep-alive", "Connection: Upgrade")]
    [InlineData("Connection: , upGrade ,")]
    public void Accept_ConnectionTokenOddCasingListsOrLines_Accepted(params string[] connectionLines)
    {
        var lines = ValidLines().Where(l => !l.StartsWith("Connection:", StringComparison.Ordinal)).Concat(connectionLines).ToArray();

        Assert.True(ServerHandshake.Accept(Request("GET", HttpVersion.Http11, lines), new WebSocketOptions()).IsAccepted);
    }

    [Theory]
    [InlineData]
    [InlineData("Connection: keep-alive")]
    [InlineData("Connection: upgraded")]
    [InlineData("Connection: keep-alive upgrade")]
    [InlineData("Connection: close", "Connection: websocket")]
    public void Accept_ConnectionWithoutUpgradeToken_400(params string[] connectionLines)
    {
        var lines = ValidLines().Where(l => !l.StartsWith("Connection:", StringComparison.Ordinal)).Concat(connectionLines).ToArray();

        AssertRejected(ServerHandshake.Accept(Request("GET", HttpVersion.Http11, lines), new WebSocketOptions()), 400);
    }

    // RFC 6455 §4.2.1 item 5: "A |Sec-WebSocket-Key| header field with a base64-encoded ... value that, when
    // decoded, is 16 bytes in length."
    [Theory]
    [InlineData]
    [InlineData("Sec-WebSocket-Key: ")]
    [InlineData("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ")]
    [InlineData("Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0O")]
    [InlineData("Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODxAR")]
    [InlineData("Sec-WebSocket-Key: not base64 at all!!!!!!")]
    [InlineData("Sec-WebSocket-Key: " + SampleKey + ", " + SampleKey)]
    [InlineData("Sec-WebSocket-Key: " + SampleKey, "Sec-WebSocket-Key: " + SampleKey)]
    public void Accept_KeyMissingInvalidOrRepeated_400(params string[] keyLines)
    {
        var lines = ValidLines().Where(l => !l.StartsWith("Sec-WebSocket-Key:", StringComparison.Ordinal)).Concat(keyLines).ToArray();

        AssertRejected(ServerHandshake.Accept(Request("GET", HttpVersion.Http11, lines), new WebSocketOptions()), 400);
    }

    // RFC 6455 §4.2.2 /version/ and §4.4: 426 with the versions the server understands.
    [Theory]
    [InlineData]
    [InlineData("Sec-WebSocket-Version: 8")]
    [InlineData("Sec-WebSocket-Version: 12")]
    [InlineData("Sec-WebSocket-Version: 14")]
    [InlineData("Sec-WebSocket-Version: 013")]
    [InlineData("Sec-WebSocket-Version: 13, 8")]
    [InlineData("Sec-WebSocket-Version: ")]
    public void Accept_VersionNot13_426WithVersion13AndUpgrade(params string[] versionLines)
    {
        var lines = ValidLines().Where(l => !l.StartsWith("Sec-WebSocket-Version:", StringComparison.Ordinal)).Concat(versionLines).ToArray();

        var result = ServerHandshake.Accept(Request("GET", HttpVersion.Http11, lines), new WebSocketOptions());

        AssertRejected(result, 426);
        Assert.Equal("13", result.Response.Headers.Get("Sec-WebSocket-Version"));
        Assert.Equal("websocket", result.Response.Headers.Get("Upgrade"));
        Assert.True(result.Response.Headers.ContainsToken("Connection", "Upgrade"));
    }

    [Fact]
    public void Accept_VersionNot13_ExactRejectionResponse()
    {
        var lines = ValidLines().Where(l => !l.StartsWith("Sec-WebSocket-Version:", StringComparison.Ordinal)).Append("Sec-WebSocket-Version: 8").ToArray();

        var result = ServerHandshake.Accept(Request("GET", HttpVersion.Http11, lines), new WebSocketOptions());

        const string Body = "This server speaks WebSocket version 13 only.";
        Assert.Equal(
            "HTTP/1.1 426 Upgrade Required\r\n" +
            "Upgrade: websocket\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            $"Content-Length: {Body.Length}\r\n" +
            "Connection: Upgrade, close\r\n" +
            "\r\n" +
            Body,
            WriteToString(result));
    }

    [Fact]
    public void Accept_VersionRepeated_400()
    {
        var lines = ValidLines().Append("Sec-WebSocket-Version: 13").ToArray();

        AssertRejected(ServerHandshake.Accept(Request("GET", HttpVersion.Http11, lines), new WebSocketOptions()), 400);
    }

    [Fact]
    public void Accept_SeveralFailures_FirstCheckInRfcOrderDecides()
    {
        // Wrong method, wrong version, no Host, no key: the method is checked first.
        var request = Request("POST", HttpVersion.Http10, "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 8");

        AssertRejected(ServerHandshake.Accept(request, new WebSocketOptions()), 405);
    }

    [Fact]
    public void Accept_Rejection_BodyMatchesContentLengthAndConnectionCloses()
    {
        var result = ServerHandshake.Accept(Request("GET", HttpVersion.Http11, "Host: x"), new WebSocketOptions());

        AssertRejected(result, 400);
        Assert.Equal("text/plain; charset=utf-8", result.Response.Headers.Get("Content-Type"));
        Assert.Equal(Encoding.UTF8.GetString(result.ResponseBody.Span), result.RejectionReason);
        Assert.False(string.IsNullOrEmpty(result.RejectionReason));
        Assert.Null(result.SubProtocol);
    }

    // RFC 6455 §10.2 (cross-site WebSocket hijacking): an Origin not on the allow-list gets 403.
    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("https://example.com.evil.example")]
    [InlineData("http://example.com")]
    [InlineData("https://example.com:8443")]
    [InlineData("https://example.com/")]
    [InlineData("null")]
    [InlineData("")]
    public void Accept_OriginNotAllowed_403(string origin)
    {
        var options = new WebSocketOptions();
        options.AllowedOrigins.Add("https://example.com");
        options.AllowedOrigins.Add("https://app.example.com:8080");

        AssertRejected(ServerHandshake.Accept(ValidRequest("Origin: " + origin), options), 403);
    }

    [Theory]
    [InlineData("https://example.com")]
    [InlineData("HTTPS://EXAMPLE.COM")]
    [InlineData("https://App.Example.com:8080")]
    public void Accept_OriginOnAllowListAnyCase_Accepted(string origin)
    {
        var options = new WebSocketOptions();
        options.AllowedOrigins.Add("https://example.com");
        options.AllowedOrigins.Add("https://app.example.com:8080");

        Assert.True(ServerHandshake.Accept(ValidRequest("Origin: " + origin), options).IsAccepted);
    }

    [Fact]
    public void Accept_NoOriginWithAllowList_AcceptedAsNonBrowserClient()
    {
        var options = new WebSocketOptions();
        options.AllowedOrigins.Add("https://example.com");

        Assert.True(ServerHandshake.Accept(ValidRequest(), options).IsAccepted);
    }

    [Fact]
    public void Accept_TwoOriginLinesWithAllowList_403()
    {
        var options = new WebSocketOptions();
        options.AllowedOrigins.Add("https://example.com");

        AssertRejected(ServerHandshake.Accept(ValidRequest("Origin: https://example.com", "Origin: https://evil.example"), options), 403);
    }

    [Fact]
    public void Accept_WildcardInAllowList_AnyOriginAccepted()
    {
        var options = new WebSocketOptions();
        options.AllowedOrigins.Add("https://example.com");
        options.AllowedOrigins.Add("*");

        Assert.True(ServerHandshake.Accept(ValidRequest("Origin: https://evil.example"), options).IsAccepted);
    }

    [Fact]
    public void Accept_EmptyAllowList_AnyOriginAccepted()
    {
        Assert.True(ServerHandshake.Accept(ValidRequest("Origin: https://evil.example"), new WebSocketOptions()).IsAccepted);
    }

    // RFC 6455 §4.2.2 /subprotocol/: one of the client's values that the server is willing to use; the server's
    // preference order decides.
    [Theory]
    [InlineData(new[] { "b", "a" }, new[] { "Sec-WebSocket-Protocol: a, b" }, "b")]
    [InlineData(new[] { "a", "b" }, new[] { "Sec-WebSocket-Protocol: b, a" }, "a")]
    [InlineData(new[] { "x", "b" }, new[] { "Sec-WebSocket-Protocol: a", "Sec-WebSocket-Protocol: b" }, "b")]
    [InlineData(new[] { "b" }, new[] { "Sec-WebSocket-Protocol: a,b ,c" }, "b")]
    [InlineData(new[] { "c", "b" }, new[] { "Sec-WebSocket-Protocol: a", "Sec-WebSocket-Protocol: b, c" }, "c")]
    public void Accept_SubProtocols_ServerFirstPreferenceThatClientOffered(string[] server, string[] clientLines, string expected)
    {
        var options = new WebSocketOptions();
        foreach (var p in server)
        {
            options.SubProtocols.Add(p);
        }

        var result = ServerHandshake.Accept(ValidRequest(clientLines), options);

        Assert.True(result.IsAccepted);
        Assert.Equal(expected, result.SubProtocol);
        Assert.Equal(expected, result.Response.Headers.Get("Sec-WebSocket-Protocol"));
        Assert.Equal(1, result.Response.Headers.CountOf("Sec-WebSocket-Protocol"));
    }

    [Theory]
    [InlineData]
    [InlineData("Sec-WebSocket-Protocol: mqtt")]
    [InlineData("Sec-WebSocket-Protocol: Chat")]
    [InlineData("Sec-WebSocket-Protocol: ")]
    public void Accept_NoCommonSubProtocol_AcceptedWithoutProtocolHeader(params string[] clientLines)
    {
        var options = new WebSocketOptions();
        options.SubProtocols.Add("chat");

        var result = ServerHandshake.Accept(ValidRequest(clientLines), options);

        Assert.True(result.IsAccepted);
        Assert.Null(result.SubProtocol);
        Assert.False(result.Response.Headers.Contains("Sec-WebSocket-Protocol"));
    }

    [Theory]
    [InlineData("websocket", "Upgrade", true)]
    [InlineData("WebSocket", "keep-alive, Upgrade", true)]
    [InlineData("h2c, websocket", "upgrade", true)]
    [InlineData(null, "Upgrade", false)]
    [InlineData("websocket", null, false)]
    [InlineData("h2c", "Upgrade", false)]
    [InlineData("websocket", "keep-alive", false)]
    public void IsUpgradeRequest_UpgradeAndConnectionTokens(string? upgrade, string? connection, bool expected)
    {
        var lines = new List<string> { "Host: x" };
        if (upgrade is not null)
        {
            lines.Add("Upgrade: " + upgrade);
        }

        if (connection is not null)
        {
            lines.Add("Connection: " + connection);
        }

        Assert.Equal(expected, ServerHandshake.IsUpgradeRequest(Request("GET", HttpVersion.Http11, [.. lines])));
    }

    [Fact]
    public void Accept_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => ServerHandshake.Accept(null!, new WebSocketOptions()));
        Assert.Throws<ArgumentNullException>(() => ServerHandshake.Accept(ValidRequest(), null!));
        Assert.Throws<ArgumentNullException>(() => ServerHandshake.IsUpgradeRequest(null!));
    }

    private static string[] ValidLines() =>
    [
        "Host: server.example.com",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: " + SampleKey,
        "Sec-WebSocket-Version: 13",
    ];

    private static HttpRequestHead ValidRequest(params string[] extraLines) =>
        Request("GET", HttpVersion.Http11, [.. ValidLines(), .. extraLines]);

    /// <summary>Builds a request head from "Name: value" lines, trimming values as the HTTP parser does.</summary>
    private static HttpRequestHead Request(string method, HttpVersion version, params string[] headerLines)
    {
        var headers = new HttpHeaders();
        foreach (var line in headerLines)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(line[..colon], line[(colon + 1)..].Trim());
        }

        return new HttpRequestHead(method, "/chat", version, headers);
    }

    private static void AssertRejected(HandshakeResult result, int statusCode)
    {
        Assert.False(result.IsAccepted);
        Assert.Equal(statusCode, result.StatusCode);
        Assert.Null(result.SubProtocol);
        Assert.False(string.IsNullOrEmpty(result.RejectionReason));
        Assert.True(result.Response.Headers.ContainsToken("Connection", "close"));
        Assert.Equal(result.ResponseBody.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Response.Headers.Get("Content-Length"));
        Assert.False(result.Response.Headers.Contains("Sec-WebSocket-Accept"));
    }

    private static string WriteToString(HandshakeResult result)
    {
        var output = new ArrayBufferWriter<byte>();
        result.Write(output);
        return Encoding.Latin1.GetString(output.WrittenSpan);
    }
}
