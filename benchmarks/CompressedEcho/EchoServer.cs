using System.Reactive.Threading.Tasks;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Benchmarks.Shared;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Benchmarks.CompressedEcho;

/// <summary>
/// Rx.WebSockets' side of the benchmark: the HTTP engine upgrading <c>/echo-deflate</c> with permessage-deflate at its
/// defaults (context takeover both ways, <see cref="System.IO.Compression.CompressionLevel.Optimal"/> = zlib level 6,
/// the level ManagedWebSocket uses), and a default session echoing every message (<c>Run(frames =&gt; frames)</c>).
/// Any other request gets 404, which the script's readiness probe accepts.
/// </summary>
internal static class EchoServer
{
    public static async Task RunAsync(int port)
    {
        var options = new WebSocketOptions
        {
            // Neither server pings during the run (KestrelPeer's KeepAliveInterval is zero too).
            PingInterval = null,
            Compression = new PerMessageDeflateOptions(),
        };

        await using var server = HttpServer.Start(
            new HttpServerSettings { Host = "127.0.0.1", Port = port },
            async exchange =>
            {
                if (exchange.Request.Path != "/echo-deflate")
                {
                    exchange.Response.StatusCode = 404;
                    return;
                }

                var session = await exchange.AcceptWebSocketAsync(options);
                await session.Run(frames => frames).ToTask();
            });

        using var stop = new StopSignal();

        Console.WriteLine($"CompressedEcho server listening on ws://127.0.0.1:{port}/echo-deflate");
        await stop.WaitAsync();
    }
}
