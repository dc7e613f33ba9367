using System.Buffers;
using System.Collections.Generic;
using System.Text;
using Rx.WebSockets.Http;
using Rx.WebSockets.Protocol.Handshake;

namespace Rx.WebSockets.Tests.Protocol.Handshake;

/// <summary>
/// RFC 6455 §4.1 Client Requirements: the opening handshake request, and validation of the server's response
/// (status 101, Upgrade, Connection, Sec-WebSocket-Accept, extensions, subprotocol).
/// </summary>
public sealed class ClientHandshakeTests
{
    private const string SampleKey = "dGhlIHNhbXBsZSBub25jZQ==";
    private const string SampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    [Fact]
    public void Write_Rfc6455Section1_2Request_ExactBytes()
    {
        var request = ClientHandshake.CreateRequest("server.example.com", "/chat", SampleKey, ["chat", "superchat"], "http://example.com");

        Assert.Equal(
            "GET /chat HTTP/1.1\r\n" +
            "Host: server.example.com\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
            "Origin: http://example.com\r\n" +
            "Sec-WebSocket-Protocol: chat, superchat\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "\r\n",
            WriteToString(request));
    }

    [Fact]
    public void Write_MinimalRequest_NoOriginNoProtocol()
    {
        var request = ClientHandshake.CreateRequest("127.0.0.1:8080", "/ws?room=1", SampleKey);

        Assert.Equal("GET", request.Method);
        Assert.Equal("/ws", request.Path);
        Assert.Equal("room=1", request.Query);
        Assert.Equal(
            "GET /ws?room=1 HTTP/1.1\r\n" +
            "Host: 127.0.0.1:8080\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {SampleKey}\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "\r\n",
            WriteToString(request));
    }

    [Fact]
    public void Write_EmptySubProtocolList_NoProtocolHeader()
    {
        var request = ClientHandshake.CreateRequest("h", "/", SampleKey, []);

        Assert.False(request.Headers.Contains("Sec-WebSocket-Protocol"));
    }

    [Fact]
    public void CreateRequest_ThenServerAccept_ThenValidateResponse_RoundTrips()
    {
        string key = HandshakeKeys.CreateKey();
        string[] offered = ["v2.chat", "v1.chat"];
        var request = ClientHandshake.CreateRequest("example.com", "/chat", key, offered, "https://example.com");
        var options = new WebSocketOptions();
        options.SubProtocols.Add("v1.chat");
        options.AllowedOrigins.Add("https://example.com");

        var result = ServerHandshake.Accept(request, options);
        ClientHandshake.ValidateResponse(result.StatusCode, result.Response.Headers, key, offered, out string? subProtocol);

        Assert.True(result.IsAccepted);
        Assert.Equal("v1.chat", subProtocol);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-key")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ")]
    [InlineData("AAECAwQFBgcICQoLDA0ODxAR")]
    public void CreateRequest_InvalidKey_Throws(string key)
    {
        Assert.Throws<ArgumentException>(() => ClientHandshake.CreateRequest("h", "/", key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a,b")]
    [InlineData("a\r\nX: y")]
    [InlineData("ch\u00E4t")]
    public void CreateRequest_SubProtocolNotToken_Throws(string protocol)
    {
        Assert.Throws<ArgumentException>(() => ClientHandshake.CreateRequest("h", "/", SampleKey, [protocol]));
    }

    [Fact]
    public void CreateRequest_SubProtocolRepeated_Throws()
    {
        Assert.Throws<ArgumentException>(() => ClientHandshake.CreateRequest("h", "/", SampleKey, ["chat", "chat"]));
    }

    [Theory]
    [InlineData("", "/", null)]
    [InlineData("a b", "/", null)]
    [InlineData("h\r\nX: y", "/", null)]
    [InlineData("h", "", null)]
    [InlineData("h", "chat", null)]
    [InlineData("h", "/a b", null)]
    [InlineData("h", "/\r\nX: y", null)]
    [InlineData("h", "/", "")]
    [InlineData("h", "/", "https://a\r\nX: y")]
    public void CreateRequest_HostTargetOrOriginUnsafe_Throws(string host, string target, string? origin)
    {
        Assert.Throws<ArgumentException>(() => ClientHandshake.CreateRequest(host, target, SampleKey, origin: origin));
    }

    [Fact]
    public void Write_RequestWithInjectedTarget_ThrowsAndWritesNothing()
    {
        var request = new HttpRequestHead("GET", "/a HTTP/1.1\r\nX: y", HttpVersion.Http11, new HttpHeaders().Add("Host", "h"));
        var output = new ArrayBufferWriter<byte>();

        Assert.Throws<InvalidOperationException>(() => ClientHandshake.Write(request, output));
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void ValidateResponse_Rfc6455Section1_3Response_AcceptedWithChat()
    {
        ClientHandshake.ValidateResponse(101, ValidResponse("Sec-WebSocket-Protocol: chat"), SampleKey, ["chat", "superchat"], out string? subProtocol);

        Assert.Equal("chat", subProtocol);
    }

    [Fact]
    public void ValidateResponse_NoSubProtocolAnswered_Null()
    {
        ClientHandshake.ValidateResponse(101, ValidResponse(), SampleKey, ["chat"], out string? subProtocol);

        Assert.Null(subProtocol);
    }

    [Theory]
    [InlineData("Upgrade: WebSocket", "Connection: upgrade")]
    [InlineData("Upgrade: WEBSOCKET", "Connection: keep-alive, Upgrade")]
    [InlineData("Upgrade: websocket", "Connection: Upgrade, close")]
    public void ValidateResponse_OddCasingAndTokenLists_Accepted(string upgrade, string connection)
    {
        var headers = Headers(upgrade, connection, "Sec-WebSocket-Accept: " + SampleAccept);

        ClientHandshake.ValidateResponse(101, headers, SampleKey, null, out string? subProtocol);

        Assert.Null(subProtocol);
    }

    [Fact]
    public void ValidateResponse_AcceptWithSurroundingWhitespace_Accepted()
    {
        // §4.1 step 4: "ignoring any leading and trailing whitespace".
        var headers = new HttpHeaders().Add("Upgrade", "websocket").Add("Connection", "Upgrade").Add("Sec-WebSocket-Accept", " \t" + SampleAccept + " ");

        ClientHandshake.ValidateResponse(101, headers, SampleKey, null, out _);
    }

    // RFC 6455 §4.1 step 1: a status other than 101 is no WebSocket connection; the exception carries it.
    [Theory]
    [InlineData(200)]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(426)]
    [InlineData(302)]
    public void ValidateResponse_StatusNot101_ThrowsWithThatStatus(int statusCode)
    {
        var ex = Assert.Throws<HandshakeRejectedException>(() => ClientHandshake.ValidateResponse(statusCode, ValidResponse(), SampleKey, null, out _));

        Assert.Equal(statusCode, ex.StatusCode);
    }

    [Theory]
    [InlineData("Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("Sec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO=")]
    [InlineData("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo")]
    [InlineData("Sec-WebSocket-Accept: ")]
    [InlineData("Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==")]
    [InlineData]
    [InlineData("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")]
    public void ValidateResponse_AcceptMissingWrongOrRepeated_Throws101(params string[] acceptLines)
    {
        var headers = Headers(["Upgrade: websocket", "Connection: Upgrade", .. acceptLines]);

        AssertFails(headers, null);
    }

    [Theory]
    [InlineData]
    [InlineData("Upgrade: h2c")]
    [InlineData("Upgrade: websocket, h2c")]
    [InlineData("Upgrade: websocket", "Upgrade: h2c")]
    [InlineData("Upgrade: websocket/13")]
    public void ValidateResponse_UpgradeMissingOrNotOnlyWebsocket_Throws101(params string[] upgradeLines)
    {
        var headers = Headers(["Connection: Upgrade", "Sec-WebSocket-Accept: " + SampleAccept, .. upgradeLines]);

        AssertFails(headers, null);
    }

    [Theory]
    [InlineData]
    [InlineData("Connection: keep-alive")]
    [InlineData("Connection: upgraded")]
    public void ValidateResponse_ConnectionWithoutUpgrade_Throws101(params string[] connectionLines)
    {
        var headers = Headers(["Upgrade: websocket", "Sec-WebSocket-Accept: " + SampleAccept, .. connectionLines]);

        AssertFails(headers, null);
    }

    [Theory]
    [InlineData(new[] { "chat" }, "Sec-WebSocket-Protocol: superchat")]
    [InlineData(new[] { "chat" }, "Sec-WebSocket-Protocol: Chat")]
    [InlineData(new[] { "chat", "superchat" }, "Sec-WebSocket-Protocol: chat, superchat")]
    [InlineData(new[] { "chat" }, "Sec-WebSocket-Protocol: ")]
    [InlineData(null, "Sec-WebSocket-Protocol: chat")]
    [InlineData(new string[0], "Sec-WebSocket-Protocol: chat")]
    public void ValidateResponse_SubProtocolNotOffered_Throws101(string[]? offered, string protocolLine)
    {
        AssertFails(ValidResponse(protocolLine), offered);
    }

    [Fact]
    public void ValidateResponse_SubProtocolOnTwoLines_Throws101()
    {
        AssertFails(ValidResponse("Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Protocol: chat"), ["chat"]);
    }

    [Fact]
    public void ValidateResponse_ExtensionNotOffered_Throws101()
    {
        AssertFails(ValidResponse("Sec-WebSocket-Extensions: permessage-deflate"), null);
    }

    [Fact]
    public void ValidateResponse_KeyMismatch_Throws101()
    {
        var ex = Assert.Throws<HandshakeRejectedException>(
            () => ClientHandshake.ValidateResponse(101, ValidResponse(), HandshakeKeys.CreateKey(), null, out _));

        Assert.Equal(101, ex.StatusCode);
    }

    private static HttpHeaders ValidResponse(params string[] extraLines) =>
        Headers(["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: " + SampleAccept, .. extraLines]);

    /// <summary>Builds header fields from "Name: value" lines, trimming values as the HTTP parser does.</summary>
    private static HttpHeaders Headers(params string[] lines)
    {
        var headers = new HttpHeaders();
        foreach (var line in lines)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(line[..colon], line[(colon + 1)..].Trim());
        }

        return headers;
    }

    private static void AssertFails(HttpHeaders headers, IReadOnlyList<string>? offered)
    {
        string? subProtocol = "unset";
        var ex = Assert.Throws<HandshakeRejectedException>(() => ClientHandshake.ValidateResponse(101, headers, SampleKey, offered, out subProtocol));

        Assert.Equal(101, ex.StatusCode);
        Assert.Null(subProtocol);
    }

    private static string WriteToString(HttpRequestHead request)
    {
        var output = new ArrayBufferWriter<byte>();
        ClientHandshake.Write(request, output);
        return Encoding.Latin1.GetString(output.WrittenSpan);
    }
}
