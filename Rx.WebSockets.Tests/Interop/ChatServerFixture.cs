using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rx.WebSockets.Examples.Chat;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// examples/Chat in-process, wired as its Program.cs wires it (generic host, <see cref="ChatRooms"/> as a singleton,
/// <c>AddRxWebSockets</c>, <c>AddEmbeddedServer</c> on 127.0.0.1 and a free port, <see cref="ChatModule.Configure"/>), plus
/// the routes the browser test needs on the same origin as the chat page:
/// <list type="bullet">
/// <item><c>GET /chat-interop.html?id=X&amp;room=R&amp;nick=N&amp;other=M&amp;role=first|second&amp;after=Y</c>: the driver page
/// (peers/chromium/chat.html), which opens the chat page <c>/?room=R&amp;nick=N</c> in a frame and uses it as a person
/// would.</item>
/// <item><c>POST /chat-interop/report?id=X</c>: what a driver page reports (see <see cref="Report"/>);
/// <c>GET /chat-interop/wait?id=X</c> answers once X was reported (504 after <see cref="Timeout"/>).</item>
/// </list>
/// </summary>
public sealed class ChatServerFixture : IAsyncLifetime
{
    /// <summary>How long a chat test waits for one event (a connection, a message, a close).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly string s_driverPath = Path.Combine(InteropPaths.Peers, "chromium", "chat.html");
    private static int s_rooms;

    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _reports = new(StringComparer.Ordinal);
    private IHost? _host;
    private EmbeddedServer? _server;

    /// <summary>The port the chat listens on.</summary>
    public int Port => (_server ?? throw new InvalidOperationException("The fixture has not started.")).LocalEndPoints[0].Port;

    /// <summary><c>ws://127.0.0.1:PORT</c>, without a trailing slash: what the chat scripts take.</summary>
    public string WsBase => $"ws://127.0.0.1:{Port}";

    /// <summary>A room no other test uses.</summary>
    public static string NewRoom(string prefix) =>
        prefix + "-" + Interlocked.Increment(ref s_rooms).ToString(CultureInfo.InvariantCulture);

    /// <summary><c>http://127.0.0.1:PORT</c> + <paramref name="pathAndQuery"/>.</summary>
    public Uri Http(string pathAndQuery) => new($"http://127.0.0.1:{Port}{pathAndQuery}");

    /// <summary>The chat's WebSocket URL for <paramref name="room"/> and <paramref name="nick"/>.</summary>
    public Uri Chat(string room, string nick) =>
        new($"{WsBase}/chat?room={Uri.EscapeDataString(room)}&nick={Uri.EscapeDataString(nick)}");

    /// <summary>Joins <paramref name="room"/> as <paramref name="nick"/> with a ClientWebSocket.</summary>
    public async Task<ClientWebSocket> ConnectAsync(string room, string nick)
    {
        var client = new ClientWebSocket();
        using var cts = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(Chat(room, nick), cts.Token);
        return client;
    }

    /// <summary>The body a driver page posted to <c>/chat-interop/report?id=<paramref name="id"/></c>.</summary>
    public Task<string> Report(string id) => ReportSource(id).Task;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services
            .AddSingleton<ChatRooms>()
            .AddRxWebSockets()
            .AddEmbeddedServer(
                server =>
                {
                    server.Host = "127.0.0.1";
                    server.Port = 0;
                },
                app =>
                {
                    ChatModule.Configure(app);
                    AddDriverRoutes(app);
                });
        _host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _host.StartAsync(timeout.Token);
        _server = _host.Services.GetRequiredService<EmbeddedServer>();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _host.StopAsync(timeout.Token);
            _host.Dispose();
        }
    }

    private void AddDriverRoutes(Application app) =>
        app.Get("/chat-interop.html", async exchange =>
                InteropServerFixture.Answer(exchange, HttpStatus.OK, "text/html; charset=utf-8", await File.ReadAllTextAsync(s_driverPath)))
            .Get("/chat-interop/wait", async exchange =>
            {
                // A long poll: lets a page that started early wait, without a timer, until another page has reported.
                string id = ChatModule.ParseQuery(exchange.Request.Query).GetValueOrDefault("id", "");
                try
                {
                    await Report(id).WaitAsync(Timeout);
                    InteropServerFixture.Answer(exchange, HttpStatus.OK, "text/plain; charset=utf-8", "reported");
                }
                catch (TimeoutException)
                {
                    InteropServerFixture.Answer(exchange, 504, "text/plain; charset=utf-8", $"nothing reported as {id} within {Timeout}");
                }
            })
            .Post("/chat-interop/report", async exchange =>
            {
                string id = ChatModule.ParseQuery(exchange.Request.Query).GetValueOrDefault("id", "");
                ReportSource(id).TrySetResult(await InteropServerFixture.ReadBodyAsync(exchange.Body));
                exchange.Response.StatusCode = HttpStatus.NoContent;
            });

    private TaskCompletionSource<string> ReportSource(string id) =>
        _reports.GetOrAdd(id, static _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
}
