using System;
using System.Buffers;
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

// WebSocket echoes, each a branch of its own entered only from the 404 path below, so /plaintext runs exactly the code
// it ran before. benchmarks/run.sh (issue 6): /ws with UseWebSockets' defaults. benchmarks/compressed-echo.sh
// (issue 7): /echo-deflate with permessage-deflate (context takeover both ways, zlib level 6), no keep-alive pings.
var wsEcho = EchoBranch(app, new WebSocketOptions(), new WebSocketAcceptContext());
var echoDeflate = EchoBranch(
    app, new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero }, new WebSocketAcceptContext { DangerousEnableCompression = true });

app.Run(async context =>
{
    var response = context.Response;
    if (context.Request.Path != "/plaintext")
    {
        if (context.Request.Path == "/ws")
        {
            await wsEcho(context);
            return;
        }

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

Console.WriteLine($"KestrelPeer listening on http://127.0.0.1:{port}/plaintext, ws://127.0.0.1:{port}/ws and ws://127.0.0.1:{port}/echo-deflate");
app.Run();

static RequestDelegate EchoBranch(IApplicationBuilder app, WebSocketOptions options, WebSocketAcceptContext acceptContext)
{
    var branch = app.New();
    branch.UseWebSockets(options);
    branch.Run(async context =>
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(acceptContext);
        await WebSocketEcho.RunAsync(socket);
    });
    return branch.Build();
}

/// <summary>The echo loop of /ws and /echo-deflate: reads one whole message (growing a pooled buffer as needed), then sends it back.</summary>
internal static class WebSocketEcho
{
    public static async Task RunAsync(WebSocket socket)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        byte[] larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, length), result.MessageType, true, CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
