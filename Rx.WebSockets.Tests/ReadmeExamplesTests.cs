using System.Net.Http;
using System.Net.WebSockets;
using System.Reactive;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;

namespace Rx.WebSockets.Tests;

/// <summary>The README's examples, compiled and run, so that the README cannot drift from the API.</summary>
public sealed class ReadmeExamplesTests
{
    private static IObservable<CloseReason> Echo(IWebSocketSession session) =>
        session.Run(frames => frames
            .OfType<TextFrame>()
            .Where(f => f.GetText().Length > 0)
            .Select(f => Frame.Text(f.GetText().ToUpperInvariant())));

    [Fact]
    public async Task LinqEcho_UppercasesTextFrames()
    {
        var scheduler = new TestScheduler();
        await using var pair = WebSocketTestPair.Create(scheduler, new WebSocketOptions { PingInterval = null }, new WebSocketOptions { PingInterval = null });
        Echo(pair.Server).Subscribe();
        var reply = pair.Client.Incoming.FirstAsync().ToTask();
        pair.Client.Start();

        pair.Client.Send("hello");

        Assert.Equal(Frame.Text("HELLO"), await reply.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task VirtualTime_ServerPingsAtExactly30Seconds_ClientAnswers()
    {
        var scheduler = new TestScheduler();
        var options = new WebSocketOptions { PingInterval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(5) };
        await using var pair = WebSocketTestPair.Create(scheduler, serverOptions: options,
            clientOptions: new WebSocketOptions { PingInterval = null });
        pair.Server.Run(frames => frames).Subscribe();
        pair.Client.Start();

        var pong = pair.Server.Pongs.FirstAsync().ToTask();
        scheduler.AdvanceBy(TimeSpan.FromSeconds(30).Ticks - 1);
        Assert.False(pong.IsCompleted);
        scheduler.AdvanceBy(1);                                    // the server pings at exactly 30 s
        await pong.WaitAsync(TimeSpan.FromSeconds(5));             // the client's ponger answered
        Assert.Equal(WebSocketState.Open, pair.Server.State);
    }

    [Fact]
    public async Task EmbeddedServerQuickstart_ServesHelloAndEchoes()
    {
        await using var server = EmbeddedServer.Create(Engines.Cio, port: 0, host: "127.0.0.1", module: app =>
        {
            app.WebSocket("/echo", session => session.Run(frames => frames).Select(_ => Unit.Default));
            app.Get("/hello", exchange => { exchange.Response.Write("Hello, World!"); return ValueTask.CompletedTask; });
        });
        await server.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var port = server.LocalEndPoints[0].Port;

        using var http = new HttpClient();
        Assert.Equal("Hello, World!", await http.GetStringAsync($"http://127.0.0.1:{port}/hello").WaitAsync(TimeSpan.FromSeconds(10)));
        await AssertEchoesAsync(port);
    }

    [Fact]
    public async Task GenericHostQuickstart_EchoesAndStops()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddRxWebSockets(options => options.PingInterval = TimeSpan.FromSeconds(15));
        builder.Services.AddEmbeddedServer(
            server => { server.Host = "127.0.0.1"; server.Port = 0; },
            app => app.WebSocket("/echo", session => session.Run(frames => frames).Select(_ => Unit.Default)));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));

        await AssertEchoesAsync(host.Services.GetRequiredService<EmbeddedServer>().LocalEndPoints[0].Port);
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task AssertEchoesAsync(int port)
    {
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/echo"), default).WaitAsync(TimeSpan.FromSeconds(10));
        await client.SendAsync("hi"u8.ToArray(), WebSocketMessageType.Text, true, default).WaitAsync(TimeSpan.FromSeconds(10));
        var buffer = new byte[16];
        var result = await client.ReceiveAsync(buffer, default).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("hi", System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", default).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
