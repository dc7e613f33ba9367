using Rx.WebSockets.Http;

namespace Rx.WebSockets.Tests.Http;

/// <summary>
/// RFC 9112 §9.3 Persistence and §9.6 Tear-down (the <c>close</c> option), RFC 9110 §7.6.1 Connection and §7.8 Upgrade.
/// </summary>
public sealed class ConnectionOptionsTests
{
    public static TheoryData<HttpVersion, string[], bool> Persistence => new()
    {
        { HttpVersion.Http11, [], true },
        { HttpVersion.Http10, [], false },
        { HttpVersion.Http11, ["close"], false },
        { HttpVersion.Http11, ["Close"], false },
        { HttpVersion.Http11, ["keep-alive"], true },
        { HttpVersion.Http10, ["keep-alive"], true },
        { HttpVersion.Http10, ["Keep-Alive"], true },
        { HttpVersion.Http10, ["close"], false },
        { HttpVersion.Http11, ["keep-alive, close"], false },
        { HttpVersion.Http11, ["close, keep-alive"], false },
        { HttpVersion.Http10, ["keep-alive", "close"], false },
        { HttpVersion.Http11, ["Upgrade"], true },
        { HttpVersion.Http11, ["upgrade, close"], false },
        { HttpVersion.Http10, ["Upgrade"], false },
        { HttpVersion.Http11, ["x-custom"], true },
        { HttpVersion.Http10, ["x-keep-alive"], false },
        { HttpVersion.Http10, ["keep-alive-ish"], false },
        { HttpVersion.Http11, ["closed"], true },
        { HttpVersion.Http11, [" , ,close , "], false },
        { HttpVersion.Http11, [""], true },
    };

    [Theory]
    [MemberData(nameof(Persistence))]
    public void IsPersistent_VersionAndConnection_FollowsRfc9112Section9_3(HttpVersion version, string[] connection, bool persistent)
    {
        var headers = new HttpHeaders().Add("Host", "a");
        foreach (var value in connection)
        {
            headers.Add("Connection", value);
        }

        Assert.Equal(persistent, ConnectionOptions.IsPersistent(new HttpRequestHead("GET", "/", version, headers)));
    }

    [Fact]
    public void Parse_Tokens_AreCaseInsensitiveAndMergedAcrossLines()
    {
        var headers = new HttpHeaders().Add("connection", "KEEP-ALIVE").Add("Connection", "Upgrade, x-other");
        Assert.Equal(new ConnectionOptions(close: false, keepAlive: true, upgrade: true), ConnectionOptions.Parse(headers));
        Assert.Equal(default, ConnectionOptions.Parse(new HttpHeaders()));
        Assert.Equal(new ConnectionOptions(close: true, keepAlive: false, upgrade: false), ConnectionOptions.Parse("\tclose\t"));
    }

    [Theory]
    [InlineData(HttpVersion.Http11, "Upgrade", "websocket", true)]
    [InlineData(HttpVersion.Http11, "keep-alive, Upgrade", "websocket", true)]
    [InlineData(HttpVersion.Http11, "keep-alive", "websocket", false)]
    [InlineData(HttpVersion.Http11, "Upgrade", null, false)]
    [InlineData(HttpVersion.Http11, null, "websocket", false)]
    [InlineData(HttpVersion.Http10, "Upgrade", "websocket", false)]
    public void IsUpgradeRequest_NeedsHttp11TheFieldAndTheOption(HttpVersion version, string? connection, string? upgrade, bool expected)
    {
        var headers = new HttpHeaders().Add("Host", "a");
        if (connection is not null)
        {
            headers.Add("Connection", connection);
        }

        if (upgrade is not null)
        {
            headers.Add("Upgrade", upgrade);
        }

        Assert.Equal(expected, ConnectionOptions.IsUpgradeRequest(new HttpRequestHead("GET", "/chat", version, headers)));
    }
}
