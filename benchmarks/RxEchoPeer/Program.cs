using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Reactive;
using System.Reactive.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;
using Rx.WebSockets.Benchmarks.Shared;

// The echo peer of benchmarks/run.sh on the embedded engine: /ws echoes every message as it came (text as text,
// binary as binary), message by message, with the default WebSocket options (pinger every 20 s, 20 s timeout) except
// the size limits, which the `large` scenario's 4 MiB messages need. GET /stats reports the process's own counters for
// the soak. Usage: RxEchoPeer [port] [ping-interval-seconds]
int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5082;
TimeSpan? pingInterval = args.Length > 1
    ? TimeSpan.FromSeconds(double.Parse(args[1], CultureInfo.InvariantCulture))
    : WebSocketOptions.DefaultPingInterval;
const long MaxMessage = 8 * 1024 * 1024;

using var stop = new StopSignal();

await using var server = EmbeddedServer.Create(
    Engines.Cio,
    port,
    "127.0.0.1",
    parentLifetime: stop.Token,
    module: app => app
        .WebSocket("/ws", Echo, o =>
        {
            o.PingInterval = pingInterval;
            o.Limits = o.Limits with
            {
                MaxFrameSize = MaxMessage,
                MaxMessageSize = MaxMessage,
                MaxOutgoingBufferSize = 2 * MaxMessage,
            };
        })
        .Get("/stats", Stats));
await server.StartAsync();
Console.WriteLine($"RxEchoPeer listening on ws://127.0.0.1:{server.LocalEndPoints[0].Port}/ws (ping {pingInterval?.TotalSeconds.ToString(CultureInfo.InvariantCulture) ?? "off"} s)");
await server.Completion;

static IObservable<Unit> Echo(IWebSocketServerSession session) =>
    session.Incoming
        .Do(frame =>
        {
            // Frames own their payload (ADR 0002), so echoing needs no copy.
            switch (frame)
            {
                case TextFrame text:
                    session.Outgoing.OnNext(Frame.Text(text.Payload));
                    break;
                case BinaryFrame binary:
                    session.Outgoing.OnNext(Frame.Binary(binary.Payload));
                    break;
            }
        })
        .IgnoreElements()
        .Select(_ => Unit.Default);

// The soak's samples: the managed heap as the GC sees it, and the handles and threads of this process.
static ValueTask Stats(HttpExchange exchange)
{
    using var process = Process.GetCurrentProcess();
    var info = GC.GetGCMemoryInfo();
    string json = string.Create(
        CultureInfo.InvariantCulture,
        $"{{\"totalMemory\":{GC.GetTotalMemory(false)},\"heapSize\":{info.HeapSizeBytes},\"committed\":{info.TotalCommittedBytes},\"fragmented\":{info.FragmentedBytes},\"gen0\":{GC.CollectionCount(0)},\"gen1\":{GC.CollectionCount(1)},\"gen2\":{GC.CollectionCount(2)},\"handles\":{Directory.GetFiles("/proc/self/fd").Length},\"threads\":{process.Threads.Count},\"workingSet\":{Environment.WorkingSet}}}");
    exchange.Response.Headers.Add("Content-Type", "application/json");
    exchange.Response.Body.Write(Encoding.UTF8.GetBytes(json));
    return ValueTask.CompletedTask;
}
