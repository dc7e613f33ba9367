using System.Buffers;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Server;
using Rx.WebSockets.Benchmarks.Shared;

// The engine's plaintext server for benchmarks/plaintext.sh: the same response as KestrelPeer (Shared/PlaintextHandler.cs).
int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5081;
await using var server = HttpServer.Start(new HttpServerSettings { Host = "127.0.0.1", Port = port }, PlaintextHandler.Handle);

using var stop = new StopSignal();

Console.WriteLine($"RxPlaintext listening on http://127.0.0.1:{port}/plaintext");
await stop.WaitAsync();
