using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Tests.Hosting;

// Shutdown under load: a generic host running the embedded server with SESSIONS streaming WebSocket sessions
// (ShutdownLoad's route: bursts of BURST binary messages every INTERVAL_MS, every 16th message 48 KiB), each read by a
// raw-socket client that decodes every frame with the library's FrameDecoder and checks every message whole and in
// order (StreamingClient). Once every session has delivered WARM messages, the host is stopped mid-traffic; the run
// reports how long IHost.StopAsync took, and what each client saw: Close(1001), cut frames (bytes of a partial frame
// when the connection ended), corrupt messages, frames after the Close, and how TCP ended.
// Usage: ShutdownUnderLoad [--sessions 5000] [--grace-s 10] [--timeout-s 20] [--interval-ms 1000] [--burst 3]
//                          [--warm 3] [--no-answer]   (--no-answer: clients never answer the Close)
// Exit code 0 when no frame was cut, none corrupt, none after a Close, every client saw 1001, and the stop took at most
// grace + timeout.
var options = Args.Parse(args);
var grace = TimeSpan.FromSeconds(options.GraceSeconds);
var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);

var host = new HostBuilder()
    .ConfigureLogging(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning))
    .ConfigureServices(services =>
    {
        // The host's own bound must not cut the server's grace and timeout short.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = grace + timeout + TimeSpan.FromSeconds(30));
        services.AddEmbeddedServer(
            o =>
            {
                o.Host = "127.0.0.1";
                o.Port = 0;
                o.ShutdownGracePeriod = grace;
                o.ShutdownTimeout = timeout;
            },
            ShutdownLoad.Module(TimeSpan.FromMilliseconds(options.IntervalMs), options.Burst));
    })
    .Build();
await host.StartAsync();
var endPoint = new IPEndPoint(IPAddress.Loopback, host.Services.GetRequiredService<EmbeddedServer>().LocalEndPoints[0].Port);
Console.WriteLine($"server on {endPoint}; {options.Sessions} sessions, grace {grace.TotalSeconds} s, timeout {timeout.TotalSeconds} s, " +
    $"bursts of {options.Burst} every {options.IntervalMs} ms, clients {(options.AnswerClose ? "answer" : "never answer")} the Close");

using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
var clients = new List<StreamingClient>(options.Sessions);
var clock = Stopwatch.StartNew();
foreach (var batch in Enumerable.Range(0, options.Sessions).Chunk(100))
{
    clients.AddRange(await Task.WhenAll(batch.Select(_ => StreamingClient.ConnectAsync(endPoint, options.AnswerClose, options.Warm, cts.Token))));
}

Console.WriteLine($"{clients.Count} sessions open after {clock.Elapsed.TotalSeconds:0.0} s");
await Task.WhenAll(clients.Select(c => c.Warm)).WaitAsync(cts.Token);
Console.WriteLine($"every session streaming after {clock.Elapsed.TotalSeconds:0.0} s; stopping the host");

var stopClock = Stopwatch.StartNew();
await host.StopAsync();
var stopped = stopClock.Elapsed;
var results = await Task.WhenAll(clients.Select(c => c.Completion)).WaitAsync(TimeSpan.FromMinutes(2));
host.Dispose();
foreach (var client in clients)
{
    client.Dispose();
}

int saw1001 = results.Count(r => r.Close == 1001);
int cut = results.Count(r => r.CutBytes != 0);
int corrupt = results.Count(r => r.Corrupt is not null);
int afterClose = results.Count(r => r.FramesAfterClose != 0);
Console.WriteLine($"stop took {stopped.TotalMilliseconds:0} ms (grace {grace.TotalSeconds} s + timeout {timeout.TotalSeconds} s)");
Console.WriteLine($"sessions {results.Length}, saw Close(1001) {saw1001}, cut frames {cut}, corrupt {corrupt}, frames after Close {afterClose}, " +
    $"messages {results.Sum(r => r.DataFrames)}");
Console.WriteLine("closes: " + string.Join(", ", results.GroupBy(r => r.Close?.ToString(CultureInfo.InvariantCulture) ?? "none").Select(g => $"{g.Key} x{g.Count()}")));
Console.WriteLine("TCP ends: " + string.Join(", ", results.GroupBy(r => r.End).Select(g => $"{g.Key} x{g.Count()}")));
foreach (var bad in results.Where(r => r.CutBytes != 0 || r.Corrupt is not null).Take(5))
{
    Console.WriteLine($"  {bad}");
}

bool ok = cut == 0 && corrupt == 0 && afterClose == 0 && saw1001 == results.Length && stopped <= grace + timeout;
Console.WriteLine(ok ? "PASS" : "FAIL");
return ok ? 0 : 1;

internal sealed record Args(int Sessions, int GraceSeconds, int TimeoutSeconds, int IntervalMs, int Burst, int Warm, bool AnswerClose)
{
    public static Args Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        bool answer = true;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--no-answer")
            {
                answer = false;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                values[args[i]] = args[++i];
            }
            else
            {
                throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        int Get(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new Args(Get("--sessions", 5000), Get("--grace-s", 10), Get("--timeout-s", 20), Get("--interval-ms", 1000), Get("--burst", 3), Get("--warm", 3), answer);
    }
}
