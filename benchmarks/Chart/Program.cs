using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rx.WebSockets.Benchmarks.Chart;

/// <summary>
/// Chart report RUNS_DIR OUT_PREFIX: reads RUNS_DIR/meta.json and RUNS_DIR/SCENARIO.PEER.RUN.json (LoadGen's output, or
/// run.sh's conversion of plaintext.sh's lines) and writes OUT_PREFIX.json (median, min, max per figure; ratios to
/// Kestrel computed run by run), OUT_PREFIX.md (the tables) and OUT_PREFIX.png (the ratio chart).
/// Chart soak SOAK.json OUT.md: the soak's samples and slopes as markdown.
/// </summary>
internal static class Program
{
    private const double ChartCeiling = 4;
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;
    private static readonly string[] s_peerOrder = ["kestrel", "ours", "node", "raw"];
    private static readonly string[] s_scenarioOrder = ["small", "medium", "large", "hold", "plaintext", "plaintext-pipelined"];

    // Metric, and whether a larger value is better (a ratio is then peer / Kestrel; else Kestrel / peer for the chart).
    private static readonly (string Metric, bool HigherIsBetter)[] s_metrics =
    [
        ("msgPerSec", true), ("mbPerSec", true), ("rttP50Us", false), ("rttP99Us", false), ("serverCpuUsPerMsg", false),
        ("kibPerConnection", false), ("kibPerConnectionAfterEcho", false), ("connectSeconds", false),
        ("serverCpuUsPerConnectionSecondHeld", false), ("serverCpuShare", true), ("clientCpuShare", false),
    ];

    public static int Main(string[] args)
    {
        if (args.Length == 3 && args[0] == "report")
        {
            Report(args[1], args[2]);
            return 0;
        }

        if (args.Length == 3 && args[0] == "soak")
        {
            File.WriteAllText(args[2], Soak(JsonNode.Parse(File.ReadAllText(args[1]))!.AsObject()));
            Console.WriteLine(File.ReadAllText(args[2]));
            return 0;
        }

        Console.Error.WriteLine("usage: Chart report RUNS_DIR OUT_PREFIX | Chart soak SOAK.json OUT.md");
        return 2;
    }

    private static double? Num(JsonNode? node) =>
        node is JsonValue v && double.TryParse(v.ToJsonString(), NumberStyles.Float, s_inv, out double d) ? d : null;

    private static void Report(string runsDir, string outPrefix)
    {
        var meta = File.Exists(Path.Combine(runsDir, "meta.json"))
            ? JsonNode.Parse(File.ReadAllText(Path.Combine(runsDir, "meta.json")))!.AsObject()
            : new JsonObject();

        // (scenario, peer) -> run -> result
        var runs = new Dictionary<(string Scenario, string Peer), SortedDictionary<int, JsonObject>>();
        foreach (string file in Directory.GetFiles(runsDir, "*.json"))
        {
            string[] parts = Path.GetFileNameWithoutExtension(file).Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[2], out int run))
            {
                continue;
            }

            var key = (parts[0], parts[1]);
            if (!runs.TryGetValue(key, out var byRun))
            {
                runs[key] = byRun = new SortedDictionary<int, JsonObject>();
            }

            byRun[run] = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        }

        var figures = new JsonArray();
        var md = new StringBuilder();
        var scenarios = runs.Keys.Select(k => k.Scenario).Distinct()
            .OrderBy(s => Array.IndexOf(s_scenarioOrder, s) is int i && i >= 0 ? i : 99).ToList();
        var chartGroups = new List<(string Label, Dictionary<string, Stat> Ratios)>();
        foreach (string scenario in scenarios)
        {
            var peers = runs.Keys.Where(k => k.Scenario == scenario).Select(k => k.Peer)
                .OrderBy(p => Array.IndexOf(s_peerOrder, p) is int i && i >= 0 ? i : 99).ToList();
            runs.TryGetValue((scenario, "kestrel"), out var kestrel);
            var table = new List<(string Peer, Dictionary<string, Stat> Stats, Dictionary<string, Stat> Ratios, int Runs, int Failed)>();
            foreach (string peer in peers)
            {
                var byRun = runs[(scenario, peer)];
                var stats = new Dictionary<string, Stat>();
                var ratios = new Dictionary<string, Stat>();
                foreach (var (metric, _) in s_metrics)
                {
                    var values = byRun.Values.Select(r => Num(r[metric])).Where(v => v.HasValue).Select(v => v!.Value).ToList();
                    if (values.Count > 0)
                    {
                        stats[metric] = Stat.Of(values);
                    }

                    if (kestrel is not null)
                    {
                        // Ratio within the same run: this peer's run i against Kestrel's run i, measured minutes apart.
                        var perRun = byRun
                            .Where(r => kestrel.ContainsKey(r.Key))
                            .Select(r => (p: Num(r.Value[metric]), k: Num(kestrel[r.Key][metric])))
                            .Where(x => x.p is > 0 && x.k is > 0)
                            .Select(x => x.p!.Value / x.k!.Value)
                            .ToList();
                        if (perRun.Count > 0)
                        {
                            ratios[metric] = Stat.Of(perRun);
                        }
                    }
                }

                int failed = byRun.Values.Count(r => r["ok"]?.GetValue<bool>() == false);
                table.Add((peer, stats, ratios, byRun.Count, failed));
                var figure = new JsonObject
                {
                    ["scenario"] = scenario,
                    ["peer"] = peer,
                    ["runs"] = byRun.Count,
                    ["failedRuns"] = failed,
                    ["loadavg"] = new JsonArray(byRun.Values.Select(r => (JsonNode?)JsonValue.Create(r["loadavgBefore"]?.GetValue<string>())).ToArray()),
                    ["metrics"] = new JsonObject(stats.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value.ToJson()))),
                    ["ratioToKestrel"] = new JsonObject(ratios.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value.ToJson()))),
                };
                figures.Add(figure);
            }

            WriteTable(md, scenario, table.Select(t => (t.Peer, t.Stats, t.Ratios, t.Runs, t.Failed)).ToList());
            foreach (var (label, metric, higher) in ChartMetrics(scenario))
            {
                var ratios = new Dictionary<string, Stat>();
                foreach (var row in table.Where(t => t.Peer != "kestrel" && t.Ratios.ContainsKey(metric)))
                {
                    ratios[row.Peer] = higher ? row.Ratios[metric] : row.Ratios[metric].Inverse();
                }

                if (ratios.Count > 0)
                {
                    chartGroups.Add((label, ratios));
                }
            }
        }

        var result = new JsonObject { ["meta"] = meta.DeepClone(), ["figures"] = figures };
        File.WriteAllText(outPrefix + ".json", result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.WriteAllText(outPrefix + ".md", md.ToString());
        DrawChart(chartGroups, outPrefix + ".png", meta);
        Console.WriteLine(md.ToString());
        Console.WriteLine($"wrote {outPrefix}.json, {outPrefix}.md, {outPrefix}.png");
    }

    private static IEnumerable<(string Label, string Metric, bool HigherIsBetter)> ChartMetrics(string scenario) => scenario switch
    {
        "small" => [("small msg/s", "msgPerSec", true), ("small CPU/msg", "serverCpuUsPerMsg", false)],
        "medium" => [("medium MB/s", "mbPerSec", true), ("medium CPU/msg", "serverCpuUsPerMsg", false)],
        "large" => [("large MB/s", "mbPerSec", true), ("large CPU/msg", "serverCpuUsPerMsg", false)],
        "hold" => [("hold KiB/conn", "kibPerConnection", false)],
        "plaintext" => [("plaintext req/s", "msgPerSec", true), ("plaintext CPU/req", "serverCpuUsPerMsg", false)],
        "plaintext-pipelined" => [("pipelined req/s", "msgPerSec", true), ("pipelined CPU/req", "serverCpuUsPerMsg", false)],
        _ => [],
    };

    private static void WriteTable(StringBuilder md, string scenario, List<(string Peer, Dictionary<string, Stat> Stats, Dictionary<string, Stat> Ratios, int Runs, int Failed)> rows)
    {
        string F(Dictionary<string, Stat> s, string metric, string format) => s.TryGetValue(metric, out var st) ? st.Format(format) : "—";
        string R(Dictionary<string, Stat> s, string metric) => s.TryGetValue(metric, out var st) ? st.Median.ToString("0.00", s_inv) : "—";
        md.Append(CultureInfo.InvariantCulture, $"#### {scenario}\n\n");
        if (scenario == "hold")
        {
            md.Append("| Peer | runs | KiB per idle connection | after one echo each | connect s | server CPU µs per conn·s held | KiB ÷ Kestrel |\n");
            md.Append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            foreach (var r in rows)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {r.Peer} | {r.Runs}{(r.Failed > 0 ? $" ({r.Failed} failed)" : "")} | {F(r.Stats, "kibPerConnection", "0.0")} | {F(r.Stats, "kibPerConnectionAfterEcho", "0.0")} | {F(r.Stats, "connectSeconds", "0.0")} | {F(r.Stats, "serverCpuUsPerConnectionSecondHeld", "0.0")} | {R(r.Ratios, "kibPerConnection")} |\n");
            }
        }
        else if (scenario.StartsWith("plaintext", StringComparison.Ordinal))
        {
            md.Append("| Peer | runs | req/s | server CPU µs/req | req/s ÷ Kestrel | CPU/req ÷ Kestrel |\n");
            md.Append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
            foreach (var r in rows)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {r.Peer} | {r.Runs} | {F(r.Stats, "msgPerSec", "#,0")} | {F(r.Stats, "serverCpuUsPerMsg", "0.00")} | {R(r.Ratios, "msgPerSec")} | {R(r.Ratios, "serverCpuUsPerMsg")} |\n");
            }
        }
        else
        {
            md.Append("| Peer | runs | msg/s | MB/s | RTT p50 µs | RTT p99 µs | server CPU µs/msg | server CPU share | client CPU share | msg/s ÷ Kestrel | CPU/msg ÷ Kestrel |\n");
            md.Append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            foreach (var r in rows)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {r.Peer} | {r.Runs}{(r.Failed > 0 ? $" ({r.Failed} failed)" : "")} | {F(r.Stats, "msgPerSec", "#,0")} | {F(r.Stats, "mbPerSec", "0.0")} | {F(r.Stats, "rttP50Us", "#,0")} | {F(r.Stats, "rttP99Us", "#,0")} | {F(r.Stats, "serverCpuUsPerMsg", "0.00")} | {F(r.Stats, "serverCpuShare", "0.00")} | {F(r.Stats, "clientCpuShare", "0.00")} | {R(r.Ratios, "msgPerSec")} | {R(r.Ratios, "serverCpuUsPerMsg")} |\n");
            }
        }

        md.Append('\n');
    }

    private static void DrawChart(List<(string Label, Dictionary<string, Stat> Ratios)> groups, string path, JsonObject meta)
    {
        var plot = new ScottPlot.Plot();
        string[] peers = groups.SelectMany(g => g.Ratios.Keys).Distinct()
            .OrderBy(p => Array.IndexOf(s_peerOrder, p) is int i && i >= 0 ? i : 99).ToArray();
        var palette = new ScottPlot.Palettes.Category10();
        double width = 0.8 / Math.Max(1, peers.Length);
        var bars = new List<ScottPlot.Bar>();
        for (int g = 0; g < groups.Count; g++)
        {
            for (int p = 0; p < peers.Length; p++)
            {
                if (!groups[g].Ratios.TryGetValue(peers[p], out var stat))
                {
                    continue;
                }

                bars.Add(new ScottPlot.Bar
                {
                    Position = g + (p - (peers.Length - 1) / 2.0) * width,
                    // Bars are cut at ChartCeiling so that the raw echo's idle-memory ratio does not flatten the rest; the
                    // label keeps the true value.
                    Value = Math.Min(stat.Median, ChartCeiling),
                    Size = width * 0.95,
                    FillColor = palette.GetColor(p + 1),
                    Label = stat.Median.ToString("0.00", s_inv),
                });
            }
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 9;
        var one = plot.Add.HorizontalLine(1);
        one.LineColor = palette.GetColor(0);
        one.LinePattern = ScottPlot.LinePattern.Dashed;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray(), groups.Select(g => g.Label).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 90;
        plot.Axes.Margins(bottom: 0);
        plot.Axes.SetLimitsY(0, ChartCeiling + 0.3);
        plot.YLabel($"ratio to Kestrel (higher is better; dashed = Kestrel; bars cut at {ChartCeiling})");
        plot.Title($"Rx.WebSockets benchmark {meta["date"]?.GetValue<string>()} — median ratio to Kestrel in the same run");
        for (int p = 0; p < peers.Length; p++)
        {
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = peers[p], FillColor = palette.GetColor(p + 1) });
        }

        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = ScottPlot.Alignment.UpperRight;
        plot.SavePng(path, 1400, 650);
    }

    private static string Soak(JsonObject soak)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"{soak["count"]} sessions, {soak["minutes"]} minutes, server pinger every {soak["pingSeconds"] ?? 1} s, one {soak["size"]}-byte message per session every {soak["messageEverySeconds"]} s (target), connected in {soak["connectSeconds"]} s. ");
        md.Append(CultureInfo.InvariantCulture, $"Sent {soak["sent"]}, echoed {soak["echoed"]}, pings answered {soak["pingsAnswered"]}, connections lost {soak["failedConnections"]}. Load average before/after: {soak["loadavgBefore"]} / {soak["loadavgAfter"]}.\n\n");
        md.Append("| minute | RSS MiB | GC heap size MB | GC total memory MB | GC committed MB | fds | threads | open | messages echoed | pings | server CPU share |\n");
        md.Append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var s in soak["samples"]!.AsArray())
        {
            double Mb(string k) => (Num(s![k]) ?? 0) / 1e6;
            md.Append(CultureInfo.InvariantCulture, $"| {Num(s!["minute"]):0.0} | {Num(s["rssKiB"]) / 1024:0.0} | {Mb("gc.heapSize"):0.0} | {Mb("gc.totalMemory"):0.0} | {Mb("gc.committed"):0.0} | {s["fds"]} | {s["threads"]} | {s["open"]} | {s["echoes"]:#,0} | {s["pings"]} | {s["serverCpuShare"]} |\n");
        }

        md.Append("\nLeast-squares slope per minute (all samples; from minute 5 on):\n\n| metric | slope/min, all | slope/min, from minute 5 |\n| --- | ---: | ---: |\n");
        var all = soak["slopesPerMinute"]!.AsObject();
        var late = soak["slopesPerMinuteAfterFirst5"]!.AsObject();
        foreach (var (metric, value) in all)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {metric} | {value} | {late[metric]} |\n");
        }

        return md.ToString();
    }

    /// <summary>Median, min and max of a few values.</summary>
    private readonly record struct Stat(double Median, double Min, double Max, double[] Values)
    {
        public static Stat Of(IReadOnlyCollection<double> values)
        {
            double[] v = values.OrderBy(x => x).ToArray();
            double median = v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
            return new Stat(median, v[0], v[^1], v);
        }

        public Stat Inverse() => new(1 / Median, 1 / Max, 1 / Min, Values.Select(x => 1 / x).ToArray());

        public string Format(string format) =>
            Values.Length == 1
                ? Median.ToString(format, CultureInfo.InvariantCulture)
                : $"{Median.ToString(format, CultureInfo.InvariantCulture)} ({Min.ToString(format, CultureInfo.InvariantCulture)}–{Max.ToString(format, CultureInfo.InvariantCulture)})";

        public JsonObject ToJson() => new()
        {
            ["median"] = Math.Round(Median, 4),
            ["min"] = Math.Round(Min, 4),
            ["max"] = Math.Round(Max, 4),
            ["values"] = new JsonArray(Values.Select(x => (JsonNode?)JsonValue.Create(Math.Round(x, 4))).ToArray()),
        };
    }
}
