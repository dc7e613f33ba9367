using System;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

// Kestrel with nothing in front of it: one terminal middleware, no routing, no logging, no Server header, so that
// each response carries the same fields as RxPlaintext's (Date, Content-Type, Content-Length).
int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5080;
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(options =>
{
    options.AddServerHeader = false;
    options.Listen(IPAddress.Loopback, port);
});

var app = builder.Build();
byte[] hello = "Hello, World!"u8.ToArray();

// benchmarks/compressed-echo.sh: /echo-deflate is ASP.NET Core's WebSocket middleware and ManagedWebSocket with
// permessage-deflate (context takeover both ways, zlib level 6), echoing every message. A branch of its own, entered
// only from the 404 path below, so /plaintext runs exactly the code it ran before.
var echoBranch = ((IApplicationBuilder)app).New();
echoBranch.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
echoBranch.Run(EchoDeflateAsync);
var echoDeflate = echoBranch.Build();

app.Run(async context =>
{
    var response = context.Response;
    if (context.Request.Path != "/plaintext")
    {
        if (context.Request.Path == "/echo-deflate")
        {
            await echoDeflate(context);
            return;
        }

        response.StatusCode = StatusCodes.Status404NotFound;
        return;
    }

    response.ContentType = "text/plain";
    response.ContentLength = hello.Length;
    await response.Body.WriteAsync(hello);
});

Console.WriteLine($"KestrelPeer listening on http://127.0.0.1:{port}/plaintext and ws://127.0.0.1:{port}/echo-deflate");
app.Run();

static async Task EchoDeflateAsync(HttpContext context)
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = true });
    var buffer = new byte[1024 * 1024];
    while (true)
    {
        int length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
            length += result.Count;
        }
        while (!result.EndOfMessage && length < buffer.Length);

        if (result.MessageType == WebSocketMessageType.Close)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            return;
        }

        await socket.SendAsync(buffer.AsMemory(0, length), result.MessageType, WebSocketMessageFlags.EndOfMessage, CancellationToken.None);
    }
}
