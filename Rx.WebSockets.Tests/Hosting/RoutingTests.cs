using System.Linq;
using System.Net;
using System.Net.Http;
using System.Reactive;
using System.Reactive.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Hosting.Internal;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Hosting;

/// <summary>Application routes (RFC 9110 §15.5.5 404, §15.5.6 405 with Allow, §9.3.2 HEAD) over the route table and the real engine.</summary>
public sealed class RoutingTests
{
    private static readonly HttpRequestHandler s_ok = _ => ValueTask.CompletedTask;
    private static readonly WebSocketHandler s_never = _ => Observable.Never<Unit>();

    private static RouteTable Table(Action<Application> module)
    {
        var app = new Application(new ServiceCollection().BuildServiceProvider());
        return app.Load(module, validate: null);
    }

    [Fact]
    public void Match_UnknownPath_IsNotFound()
    {
        var table = Table(app => app.Get("/a", s_ok));
        Assert.Equal(RouteMatchKind.NotFound, table.Match("GET", "/b", false).Kind);
        Assert.Equal(RouteMatchKind.NotFound, table.Match("GET", "/a/", false).Kind);
        Assert.Equal(RouteMatchKind.NotFound, table.Match("GET", "/A", false).Kind);
    }

    [Fact]
    public void Match_KnownPathOtherMethod_IsMethodNotAllowedWithAllowInConventionalOrder()
    {
        var table = Table(app => app.Delete("/r", s_ok).Post("/r", s_ok).Get("/r", s_ok).Map("PATCH", "/r", s_ok).Map("PROPFIND", "/r", s_ok));
        var match = table.Match("PUT", "/r", false);
        Assert.Equal(RouteMatchKind.MethodNotAllowed, match.Kind);
        Assert.Equal("GET, HEAD, POST, PATCH, DELETE, PROPFIND", match.Allow);
    }

    [Fact]
    public void Match_Head_UsesTheGetHandler()
    {
        HttpRequestHandler get = _ => ValueTask.CompletedTask;
        var table = Table(app => app.Get("/r", get));
        var match = table.Match("HEAD", "/r", false);
        Assert.Equal(RouteMatchKind.Http, match.Kind);
        Assert.Same(get, match.Handler);
    }

    [Fact]
    public void Match_Methods_AreCaseSensitive()
    {
        // RFC 9110 §9.1: "The method token is case-sensitive".
        var table = Table(app => app.Get("/r", s_ok));
        Assert.Equal(RouteMatchKind.MethodNotAllowed, table.Match("get", "/r", false).Kind);
    }

    [Theory]
    [InlineData("/files/a.txt", "a.txt")]
    [InlineData("/files/a%20b.txt", "a b.txt")]
    [InlineData("/files/..", "..")]
    [InlineData("/files/..%2Fsecret", "../secret")]
    public void Match_TrailingParameter_CapturesOneDecodedSegment(string path, string value)
    {
        var table = Table(app => app.Get("/files/{name}", s_ok));
        var match = table.Match("GET", path, false);
        Assert.Equal(RouteMatchKind.Http, match.Kind);
        Assert.Equal("name", match.ParameterName);
        Assert.Equal(value, match.ParameterValue);
    }

    [Theory]
    [InlineData("/files/")]
    [InlineData("/files/a/b")]
    [InlineData("/files")]
    public void Match_TrailingParameter_NeverEmptyAndNeverSpansASlash(string path)
    {
        var table = Table(app => app.Get("/files/{name}", s_ok));
        Assert.Equal(RouteMatchKind.NotFound, table.Match("GET", path, false).Kind);
    }

    [Fact]
    public void Match_ExactPathBeatsPattern_AndLongestPrefixWins()
    {
        HttpRequestHandler exact = _ => ValueTask.CompletedTask;
        HttpRequestHandler deep = _ => ValueTask.CompletedTask;
        HttpRequestHandler shallow = _ => ValueTask.CompletedTask;
        var table = Table(app => app.Get("/a/b/index", exact).Get("/a/b/{x}", deep).Get("/a/{y}", shallow));
        Assert.Same(exact, table.Match("GET", "/a/b/index", false).Handler);
        Assert.Same(deep, table.Match("GET", "/a/b/c", false).Handler);
        Assert.Same(shallow, table.Match("GET", "/a/c", false).Handler);
    }

    [Fact]
    public void Match_AbsoluteFormTarget_UsesItsPath()
    {
        // RFC 9112 §3.2.2: a server MUST accept the absolute-form.
        var table = Table(app => app.Get("/a", s_ok));
        Assert.Equal(RouteMatchKind.Http, table.Match("GET", "http://example.com/a", false).Kind);
        Assert.Equal(RouteMatchKind.NotFound, table.Match("OPTIONS", "*", false).Kind);
    }

    [Fact]
    public void Match_WebSocketRoute_TakesUpgradesAndPlainGetsOnlyWithoutAGetHandler()
    {
        HttpRequestHandler get = _ => ValueTask.CompletedTask;
        var both = Table(app => app.WebSocket("/ws", s_never).Get("/ws", get));
        Assert.Equal(RouteMatchKind.WebSocket, both.Match("GET", "/ws", isWebSocketRequest: true).Kind);
        Assert.Same(get, both.Match("GET", "/ws", isWebSocketRequest: false).Handler);

        var only = Table(app => app.WebSocket("/ws", s_never));
        Assert.Equal(RouteMatchKind.WebSocket, only.Match("GET", "/ws", isWebSocketRequest: false).Kind);
        var post = only.Match("POST", "/ws", false);
        Assert.Equal(RouteMatchKind.MethodNotAllowed, post.Kind);
        Assert.Equal("GET", post.Allow);
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("")]
    [InlineData("/a?b")]
    [InlineData("/a/{b}/c")]
    [InlineData("/a{b}")]
    [InlineData("/a/{}")]
    [InlineData("/a/}")]
    public void Register_InvalidPattern_Throws(string pattern)
    {
        var app = new Application(new ServiceCollection().BuildServiceProvider());
        Assert.Throws<ArgumentException>(() => app.Get(pattern, s_ok));
    }

    [Fact]
    public void Register_DuplicateRouteOrConflictingParameter_Throws()
    {
        var app = new Application(new ServiceCollection().BuildServiceProvider());
        app.Get("/a", s_ok).WebSocket("/w", s_never).Get("/f/{name}", s_ok);
        Assert.Throws<ArgumentException>(() => app.Get("/a", s_ok));
        Assert.Throws<ArgumentException>(() => app.WebSocket("/w", s_never));
        Assert.Throws<ArgumentException>(() => app.Post("/f/{id}", s_ok));
        Assert.Throws<ArgumentException>(() => app.Map("GE T", "/b", s_ok));
    }

    [Fact]
    public void WebSocketRoute_Configure_ChangesACopyOfTheApplicationDefaults()
    {
        var app = new Application(new ServiceCollection().BuildServiceProvider(), new WebSocketOptions { PingInterval = TimeSpan.FromSeconds(7) });
        var table = app.Load(a => a.WebSocket("/x", s_never, o => o.PingInterval = null).WebSocket("/y", s_never), validate: null);
        var routes = table.WebSocketRoutes.ToDictionary(r => r.Pattern);
        Assert.Null(routes["/x"].Options.PingInterval);
        Assert.Equal(TimeSpan.FromSeconds(7), routes["/y"].Options.PingInterval);
        Assert.Equal(TimeSpan.FromSeconds(7), app.WebSocketOptions.PingInterval);
    }

    [Fact]
    public async Task Server_UnknownPath_Answers404()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.Get("/a", s_ok));
        await using var client = await RawHttpConnection.ConnectAsync(server.Server.LocalEndPoints[0]);
        await client.Send("GET /missing HTTP/1.1", "Host: x", "", "");
        var head = await client.ReceiveHead();
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 9\r\n", head, StringComparison.Ordinal);
        Assert.Equal("Not Found", await client.ReceiveExactly(9));
    }

    [Fact]
    public async Task Server_KnownPathOtherMethod_Answers405WithAllow()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.Get("/a", s_ok).Post("/a", s_ok));
        using var response = await server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/a"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(new[] { "GET", "HEAD", "POST" }, response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Server_Head_IsAnsweredByTheGetHandlerWithoutBody()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.Get("/a", exchange =>
        {
            exchange.Response.Headers.Set("X-Method", exchange.Request.Method);
            exchange.Response.Write("hello");
            return ValueTask.CompletedTask;
        }));
        await using var client = await RawHttpConnection.ConnectAsync(server.Server.LocalEndPoints[0]);
        await client.Send("HEAD /a HTTP/1.1", "Host: x", "", "GET /a HTTP/1.1", "Host: x", "", "");
        var head = await client.ReceiveHead();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head, StringComparison.Ordinal);
        Assert.Contains("X-Method: HEAD\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 5\r\n", head, StringComparison.Ordinal);
        // No body after the HEAD response: the next bytes are the GET's response.
        var next = await client.ReceiveHead();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", next, StringComparison.Ordinal);
        Assert.Contains("X-Method: GET\r\n", next, StringComparison.Ordinal);
        Assert.Equal("hello", await client.ReceiveExactly(5));
    }

    [Fact]
    public async Task Server_RouteParameter_IsReadableFromTheExchangeAndTheSessionCall()
    {
        var fromSession = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HostingTestServer.StartAsync(app => app
            .Get("/items/{id}", exchange =>
            {
                exchange.Response.Write($"id={exchange.GetRouteValue("id")} other={exchange.GetRouteValue("other") ?? "null"}");
                return ValueTask.CompletedTask;
            })
            .WebSocket("/rooms/{room}", session =>
            {
                fromSession.TrySetResult(session.Call.GetRouteValue("room"));
                return Observable.Empty<Unit>();
            }));

        Assert.Equal("id=a b other=null", await server.Http.GetStringAsync("/items/a%20b"));
        using var ws = await server.ConnectAsync("/rooms/lobby");
        Assert.Equal("lobby", await fromSession.Task.WaitAsync(HostingTestServer.Timeout));
    }

    [Fact]
    public async Task Server_PlainGetOnWebSocketRoute_IsRefusedByTheHandshakeWith426()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.WebSocket("/ws", s_never));
        using var response = await server.Http.GetAsync("/ws");
        Assert.Equal((HttpStatusCode)426, response.StatusCode);
    }

    [Fact]
    public async Task Server_HandlerThrows_Answers500AndLogsAnError()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.Get("/boom", _ => throw new InvalidOperationException("secret detail")));
        using var response = await server.Http.GetAsync("/boom");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain("secret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var entry = Assert.Single(server.Logs.Entries, e => e.EventId == 5);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, entry.Level);
        Assert.IsType<InvalidOperationException>(entry.Exception);
    }

    [Fact]
    public async Task Server_RegistrationAfterStart_IsServedByTheRunningServer()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.Get("/a", s_ok));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/late")).StatusCode);

        server.Server.Application.Get("/late", exchange =>
        {
            exchange.Response.Write("late");
            return ValueTask.CompletedTask;
        });

        Assert.Equal("late", await server.Http.GetStringAsync("/late"));
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/a")).StatusCode);
    }
}
