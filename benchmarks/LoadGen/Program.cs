using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.LoadGen;

/// <summary>
/// LoadGen SCENARIO --port P [--peer NAME] [--raw] [--server-pid PID] [--out FILE.json] [overrides]
/// Scenarios: small, medium, large (closed-loop echo: --connections, --inflight, --size, --text, --warmup, --duration),
/// hold (--count idle connections for --hold seconds, then one echo each), soak (--count sessions for --minutes,
/// one message per session every --every seconds, a sample every --sample seconds).
/// </summary>
internal static class Program
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;
    private static string s_loadBefore = "";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: LoadGen small|medium|large|hold|soak --port P [--host 127.0.0.1] [--path /ws] [--peer NAME] [--raw]" +
                " [--server-pid PID] [--out FILE] [--connections N] [--inflight N] [--size BYTES] [--text true|false]" +
                " [--warmup S] [--duration S] [--count N] [--hold S] [--sources N] [--minutes M] [--every S] [--sample S]");
            return 2;
        }

        var o = Options.Parse(args);
        s_loadBefore = LoadAverage();
        JsonObject result = o.Scenario switch
        {
            "small" or "medium" or "large" => await ThroughputAsync(o),
            "hold" => await HoldAsync(o),
            "soak" => await SoakAsync(o),
            _ => throw new ArgumentException("unknown scenario " + o.Scenario),
        };

        string json = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (o.Out is not null)
        {
            await File.WriteAllTextAsync(o.Out, json + "\n");
        }

        Console.WriteLine(json);
        return result["ok"]?.GetValue<bool>() == false ? 1 : 0;
    }

    private static JsonObject Header(Options o)
    {
        return new JsonObject
        {
            ["scenario"] = o.Scenario,
            ["peer"] = o.Peer,
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", s_inv),
            ["loadavgBefore"] = s_loadBefore,
            ["clientMode"] = o.Raw ? "raw TCP: no handshake; the same masked frames, echoed byte for byte" : "WebSocket",
        };
    }

    private static async Task<JsonObject> ThroughputAsync(Options o)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(o.Host), o.Port);
        var workload = new Workload(o.Size, o.Text, o.InFlight);
        int receiveBuffer = o.Size >= 1 << 20 ? 1 << 20 : 64 * 1024;
        var connections = new List<Connection>();
        for (int i = 0; i < o.Connections; i++)
        {
            connections.Add(await Connection.OpenAsync(endpoint, null, o.Path, workload, o.Raw, closedLoop: true, receiveBuffer, CancellationToken.None));
        }

        foreach (var c in connections)
        {
            c.Enqueue(o.InFlight);
        }

        await Task.Delay(TimeSpan.FromSeconds(o.Warmup));
        long echoes0 = connections.Sum(c => c.Echoes);
        long bytes0 = connections.Sum(c => c.EchoBytes);
        long server0 = ProcStat.CpuTicks(o.ServerPid);
        long client0 = ProcStat.CpuTicks(Environment.ProcessId);
        var clock = Stopwatch.StartNew();
        Recorder.On = true;
        await Task.Delay(TimeSpan.FromSeconds(o.Duration));
        Recorder.On = false;
        double seconds = clock.Elapsed.TotalSeconds;
        long echoes = connections.Sum(c => c.Echoes) - echoes0;
        long bytes = connections.Sum(c => c.EchoBytes) - bytes0;
        long serverTicks = ProcStat.CpuTicks(o.ServerPid) - server0;
        long clientTicks = ProcStat.CpuTicks(Environment.ProcessId) - client0;
        var failed = connections.Where(c => c.Closed).ToList();
        foreach (var c in connections)
        {
            c.Abort();
        }

        var rtts = connections.SelectMany(c => c.Rtts).ToArray();
        Array.Sort(rtts);
        var r = Header(o);
        r["connections"] = o.Connections;
        r["inFlight"] = o.InFlight;
        r["size"] = o.Size;
        r["text"] = o.Text;
        r["frameBytesSent"] = workload.Frame.Length;
        r["seconds"] = Math.Round(seconds, 3);
        r["messages"] = echoes;
        r["msgPerSec"] = Math.Round(echoes / seconds, 1);
        r["mbPerSec"] = Math.Round(bytes / seconds / 1e6, 2);
        r["rttP50Us"] = Percentile(rtts, 0.50);
        r["rttP99Us"] = Percentile(rtts, 0.99);
        r["serverCpuSeconds"] = serverTicks / (double)ProcStat.ClockTicks;
        r["serverCpuUsPerMsg"] = o.ServerPid > 0 && echoes > 0 ? Math.Round(serverTicks * 1e6 / ProcStat.ClockTicks / echoes, 3) : null;
        r["serverCpuShare"] = Math.Round(serverTicks / (double)ProcStat.ClockTicks / seconds, 3);
        r["clientCpuShare"] = Math.Round(clientTicks / (double)ProcStat.ClockTicks / seconds, 3);
        r["failedConnections"] = failed.Count;
        r["firstError"] = failed.FirstOrDefault()?.Error;
        r["loadavgAfter"] = LoadAverage();
        r["ok"] = failed.Count == 0 && echoes > 0;
        return r;
    }

    private static async Task<List<Connection>> OpenManyAsync(Options o, Workload workload, int count)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(o.Host), o.Port);
        int sources = o.Sources > 0 ? o.Sources : (count + 19_999) / 20_000;
        var connections = new Connection[count];
        int next = -1;
        var openers = Enumerable.Range(0, 32).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                // One loopback source address holds about 28,000 ports (ip_local_port_range): spread beyond that.
                IPAddress? source = sources > 1 ? IPAddress.Parse("127.0.0." + (2 + (i % sources)).ToString(s_inv)) : null;
                connections[i] = await Connection.OpenAsync(endpoint, source, o.Path, workload, o.Raw, closedLoop: false, 2048, CancellationToken.None);
            }
        });
        await Task.WhenAll(openers);
        return connections.ToList();
    }

    private static async Task<JsonObject> HoldAsync(Options o)
    {
        var workload = new Workload(o.Size, o.Text, 1);
        await Task.Delay(500);
        long rssBefore = ProcStat.RssKiB(o.ServerPid);
        var clock = Stopwatch.StartNew();
        var connections = await OpenManyAsync(o, workload, o.Count);
        double connectSeconds = clock.Elapsed.TotalSeconds;
        long cpu0 = ProcStat.CpuTicks(o.ServerPid);
        await Task.Delay(TimeSpan.FromSeconds(o.Hold));
        long holdTicks = ProcStat.CpuTicks(o.ServerPid) - cpu0;
        long rssHeld = ProcStat.RssKiB(o.ServerPid);
        int closedDuringHold = connections.Count(c => c.Closed);
        long pings = connections.Sum(c => c.Pings);

        clock.Restart();
        foreach (var c in connections)
        {
            c.Enqueue(1);
        }

        while (connections.Sum(c => c.Echoes) < connections.Count(c => !c.Closed) && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50);
        }

        double echoSeconds = clock.Elapsed.TotalSeconds;
        long echoed = connections.Sum(c => c.Echoes);
        long rssAfterEcho = ProcStat.RssKiB(o.ServerPid);
        var failed = connections.Where(c => c.Closed).ToList();
        foreach (var c in connections)
        {
            c.Abort();
        }

        var r = Header(o);
        r["count"] = o.Count;
        r["holdSeconds"] = o.Hold;
        r["size"] = o.Size;
        r["connectSeconds"] = Math.Round(connectSeconds, 2);
        r["serverRssBeforeKiB"] = rssBefore;
        r["serverRssHeldKiB"] = rssHeld;
        r["serverRssAfterEchoKiB"] = rssAfterEcho;
        r["kibPerConnection"] = Math.Round((rssHeld - rssBefore) / (double)o.Count, 2);
        r["kibPerConnectionAfterEcho"] = Math.Round((rssAfterEcho - rssBefore) / (double)o.Count, 2);
        r["serverCpuUsPerConnectionSecondHeld"] = Math.Round(holdTicks * 1e6 / ProcStat.ClockTicks / o.Count / o.Hold, 3);
        r["pingsReceived"] = pings;
        r["closedDuringHold"] = closedDuringHold;
        r["echoed"] = echoed;
        r["echoSeconds"] = Math.Round(echoSeconds, 2);
        r["msgPerSec"] = Math.Round(echoed / echoSeconds, 1);
        r["failedConnections"] = failed.Count;
        r["firstError"] = failed.FirstOrDefault()?.Error;
        r["loadavgAfter"] = LoadAverage();
        r["ok"] = failed.Count == 0 && echoed == o.Count;
        return r;
    }

    private static async Task<JsonObject> SoakAsync(Options o)
    {
        var workload = new Workload(o.Size, o.Text, 4);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string statsUrl = $"http://{o.Host}:{o.Port}/stats";
        var clock = Stopwatch.StartNew();
        var connections = await OpenManyAsync(o, workload, o.Count);
        double connectSeconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"soak: {connections.Count} sessions open in {connectSeconds:F1} s");
        var samples = new JsonArray();
        var end = TimeSpan.FromMinutes(o.Minutes);
        clock.Restart();

        // Light traffic: every 100 ms a tenth of the per-second quota, round-robin over the sessions.
        double perTick = connections.Count / o.Every / 10.0;
        double owed = 0;
        int cursor = 0;
        long queued = 0;
        var nextSample = TimeSpan.Zero;
        long cpuPrev = ProcStat.CpuTicks(o.ServerPid);
        var cpuPrevAt = TimeSpan.Zero;
        while (true)
        {
            if (clock.Elapsed >= nextSample)
            {
                var at = clock.Elapsed;
                long cpu = ProcStat.CpuTicks(o.ServerPid);
                var s = new JsonObject
                {
                    ["minute"] = Math.Round(at.TotalMinutes, 2),
                    ["rssKiB"] = ProcStat.RssKiB(o.ServerPid),
                    ["threads"] = ProcStat.Threads(o.ServerPid),
                    ["fds"] = ProcStat.FileDescriptors(o.ServerPid),
                    ["serverCpuShare"] = at > cpuPrevAt ? Math.Round((cpu - cpuPrev) / (double)ProcStat.ClockTicks / (at - cpuPrevAt).TotalSeconds, 3) : 0,
                    ["open"] = connections.Count(c => !c.Closed),
                    ["sent"] = connections.Sum(c => c.Sent),
                    ["echoes"] = connections.Sum(c => c.Echoes),
                    ["pings"] = connections.Sum(c => c.Pings),
                };
                cpuPrev = cpu;
                cpuPrevAt = at;
                try
                {
                    var stats = JsonNode.Parse(await http.GetStringAsync(statsUrl))!.AsObject();
                    foreach (var (key, value) in stats)
                    {
                        s["gc." + key] = value?.DeepClone();
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // A server too busy to answer within the timeout is itself a finding: record it, keep sampling.
                    s["statsError"] = e.Message;
                }

                if (connections.FirstOrDefault(c => c.Closed) is { } lost)
                {
                    s["firstError"] = lost.Error;
                }

                samples.Add(s);
                Console.Error.WriteLine("soak: " + s.ToJsonString());
                if (at >= end)
                {
                    break;
                }

                nextSample += TimeSpan.FromSeconds(o.Sample);
            }

            owed += perTick;
            while (owed >= 1)
            {
                var c = connections[cursor];
                cursor = (cursor + 1) % connections.Count;
                owed--;
                if (!c.Closed)
                {
                    c.Enqueue(1);
                    queued++;
                }
            }

            await Task.Delay(100);
        }

        await Task.Delay(2000);
        var failed = connections.Where(c => c.Closed).ToList();
        long sent = connections.Sum(c => c.Sent);
        long echoed = connections.Sum(c => c.Echoes);
        foreach (var c in connections)
        {
            c.Abort();
        }

        var r = Header(o);
        r["count"] = o.Count;
        r["minutes"] = o.Minutes;
        r["pingSeconds"] = o.PingSeconds;
        r["messageEverySeconds"] = o.Every;
        r["size"] = o.Size;
        r["connectSeconds"] = Math.Round(connectSeconds, 2);
        r["queued"] = queued;
        r["sent"] = sent;
        r["echoed"] = echoed;
        r["pingsAnswered"] = connections.Sum(c => c.Pings);
        r["failedConnections"] = failed.Count;
        r["firstError"] = failed.FirstOrDefault()?.Error;
        r["samples"] = samples;
        r["slopesPerMinute"] = Slopes(samples, "rssKiB", "threads", "fds", "gc.totalMemory", "gc.heapSize", "gc.committed", "gc.handles", "gc.threads");
        r["slopesPerMinuteAfterFirst5"] = Slopes(
            new JsonArray(samples.Where(s => Num(s!["minute"]!) >= 5).Select(s => s!.DeepClone()).ToArray()),
            "rssKiB", "threads", "fds", "gc.totalMemory", "gc.heapSize", "gc.committed", "gc.handles", "gc.threads");
        r["loadavgAfter"] = LoadAverage();
        r["ok"] = failed.Count == 0 && echoed == sent;
        return r;
    }

    /// <summary>Least-squares slope of each metric against the sample's minute.</summary>
    private static JsonObject Slopes(JsonArray samples, params string[] metrics)
    {
        var result = new JsonObject();
        foreach (string metric in metrics)
        {
            var points = samples
                .Where(s => s![metric] is not null)
                .Select(s => (x: Num(s!["minute"]!), y: Num(s[metric]!)))
                .ToArray();
            if (points.Length < 2)
            {
                continue;
            }

            double mx = points.Average(p => p.x), my = points.Average(p => p.y);
            double sxx = points.Sum(p => (p.x - mx) * (p.x - mx));
            double sxy = points.Sum(p => (p.x - mx) * (p.y - my));
            result[metric] = sxx == 0 ? 0 : Math.Round(sxy / sxx, 3);
        }

        return result;
    }

    private static double Num(JsonNode node) => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    private static double? Percentile(long[] sortedTicks, double p)
    {
        if (sortedTicks.Length == 0)
        {
            return null;
        }

        long ticks = sortedTicks[Math.Min(sortedTicks.Length - 1, (int)(p * sortedTicks.Length))];
        return Math.Round(ticks * 1e6 / Stopwatch.Frequency, 1);
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();
}

/// <summary>What /proc says about a process.</summary>
internal static class ProcStat
{
    /// <summary>USER_HZ: the unit of utime and stime in /proc/PID/stat (100 on Linux unless LOADGEN_CLK_TCK says otherwise).</summary>
    public static readonly int ClockTicks = int.TryParse(Environment.GetEnvironmentVariable("LOADGEN_CLK_TCK"), out int hz) ? hz : 100;

    /// <summary>utime + stime of <paramref name="pid"/> in clock ticks (0 without a pid).</summary>
    public static long CpuTicks(int pid)
    {
        if (pid <= 0)
        {
            return 0;
        }

        // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    public static long RssKiB(int pid) => StatusField(pid, "VmRSS:");

    public static long Threads(int pid) => StatusField(pid, "Threads:");

    public static long FileDescriptors(int pid) => pid <= 0 ? 0 : Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    private static long StatusField(int pid, string name)
    {
        if (pid <= 0)
        {
            return 0;
        }

        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                return long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}

/// <summary>Command-line options with each scenario's defaults (issue 6).</summary>
internal sealed class Options
{
    public string Scenario { get; private set; } = "";

    public string Host { get; private set; } = "127.0.0.1";

    public int Port { get; private set; }

    public string Path { get; private set; } = "/ws";

    public string Peer { get; private set; } = "unnamed";

    public bool Raw { get; private set; }

    public int ServerPid { get; private set; }

    public string? Out { get; private set; }

    public int Connections { get; private set; }

    public int InFlight { get; private set; }

    public int Size { get; private set; }

    public bool Text { get; private set; }

    public double Warmup { get; private set; } = 3;

    public double Duration { get; private set; } = 10;

    public int Count { get; private set; } = 10_000;

    public double Hold { get; private set; } = 20;

    public int Sources { get; private set; }

    public double Minutes { get; private set; } = 30;

    public double Every { get; private set; } = 10;

    public double Sample { get; private set; } = 60;

    /// <summary>The server's ping interval, for the record (the server is started with it; LoadGen only answers).</summary>
    public double PingSeconds { get; private set; } = 1;

    public static Options Parse(string[] args)
    {
        var o = new Options { Scenario = args[0] };
        (o.Connections, o.InFlight, o.Size, o.Text) = o.Scenario switch
        {
            "small" => (64, 16, 32, true),
            "medium" => (16, 4, 16 * 1024, false),
            "large" => (1, 1, 4 * 1024 * 1024, false),
            _ => (0, 1, 32, true),
        };
        for (int i = 1; i < args.Length; i++)
        {
            string key = args[i];
            if (key == "--raw")
            {
                o.Raw = true;
                continue;
            }

            string value = i + 1 < args.Length ? args[++i] : throw new ArgumentException(key + " needs a value");
            var inv = CultureInfo.InvariantCulture;
            switch (key)
            {
                case "--host": o.Host = value; break;
                case "--port": o.Port = int.Parse(value, inv); break;
                case "--path": o.Path = value; break;
                case "--peer": o.Peer = value; break;
                case "--server-pid": o.ServerPid = int.Parse(value, inv); break;
                case "--out": o.Out = value; break;
                case "--connections": o.Connections = int.Parse(value, inv); break;
                case "--inflight": o.InFlight = int.Parse(value, inv); break;
                case "--size": o.Size = int.Parse(value, inv); break;
                case "--text": o.Text = bool.Parse(value); break;
                case "--warmup": o.Warmup = double.Parse(value, inv); break;
                case "--duration": o.Duration = double.Parse(value, inv); break;
                case "--count": o.Count = int.Parse(value, inv); break;
                case "--hold": o.Hold = double.Parse(value, inv); break;
                case "--sources": o.Sources = int.Parse(value, inv); break;
                case "--minutes": o.Minutes = double.Parse(value, inv); break;
                case "--every": o.Every = double.Parse(value, inv); break;
                case "--sample": o.Sample = double.Parse(value, inv); break;
                case "--ping-seconds": o.PingSeconds = double.Parse(value, inv); break;
                default: throw new ArgumentException("unknown option " + key);
            }
        }

        return o;
    }
}
