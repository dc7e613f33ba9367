using System.Net.WebSockets;
using System.Reactive;
using System.Reactive.Linq;
using System.Text;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Session;

// A user's first program against the package: an embedded server with an uppercase echo, and a client.
await using var server = EmbeddedServer.Create(Engines.Cio, port: 0, host: "127.0.0.1", module: app =>
    app.WebSocket("/echo", session => session
        .Run(frames => frames.OfType<Rx.WebSockets.TextFrame>().Select(f => Rx.WebSockets.Frame.Text(f.GetText().ToUpperInvariant())))
        .Select(_ => Unit.Default)));
await server.StartAsync();

using var client = new ClientWebSocket();
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.LocalEndPoints[0].Port}/echo"), timeout.Token);
await client.SendAsync(Encoding.UTF8.GetBytes("hello package"), WebSocketMessageType.Text, true, timeout.Token);
var buffer = new byte[64];
var result = await client.ReceiveAsync(buffer, timeout.Token);
var reply = Encoding.UTF8.GetString(buffer, 0, result.Count);
await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);

Console.WriteLine($"package consumer: {reply}");
return reply == "HELLO PACKAGE" ? 0 : 1;
