using System.Buffers;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Server;
using Rx.WebSockets.Benchmarks.Shared;

// The engine's plaintext server for benchmarks/plaintext.sh: the same response as KestrelPeer. The body is written
// without a flush, so the engine sends it with Content-Length in the same buffer as the head.
int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5081;
byte[] hello = "Hello, World!"u8.ToArray();

await using var server = HttpServer.Start(
    new HttpServerSettings { Host = "127.0.0.1", Port = port },
    exchange =>
    {
        var response = exchange.Response;
        if (exchange.Request.Path != "/plaintext")
        {
            response.StatusCode = 404;
            return ValueTask.CompletedTask;
        }

        response.Headers.Add("Content-Type", "text/plain");
        response.Body.Write(hello);
        return ValueTask.CompletedTask;
    });

using var stop = new StopSignal();

Console.WriteLine($"RxPlaintext listening on http://127.0.0.1:{port}/plaintext");
await stop.WaitAsync();
