using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// A peer driven by a script (npm ws, python3-websockets, the browser page) that runs every scenario itself against one
/// server and reports one JSON object of results; the test adds the server's side of the close handshakes and diffs the
/// whole section.
/// </summary>
public static class ScriptedPeer
{
    /// <summary>How long a scripted peer may run; its own timer is 20 s.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>How long the server may take to record a session's end once the peer has exited.</summary>
    private static readonly TimeSpan s_closeWait = TimeSpan.FromSeconds(5);

    /// <summary>A script's arguments: the server's base URL (<c>ws://127.0.0.1:PORT</c>) and the id of its watched sessions.</summary>
    public static string[] Arguments(string script, InteropServerFixture server, string id) => new[] { script, server.Ws("").ToString().TrimEnd('/'), id };

    /// <summary>Parses the script's last output line and builds the actual section: its results plus the server's view.</summary>
    public static async Task<JsonObject> ActualAsync(PeerResult run, InteropServerFixture server, string id, ITestOutputHelper output)
    {
        string? line = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        var actual = await ActualAsync(line, run.ToString(), server, id, output);
        if (run.ExitCode != 0 && !actual.ContainsKey("error"))
        {
            actual["exitCode"] = run.ExitCode;
        }

        return actual;
    }

    /// <summary>Parses a peer's JSON results and builds the actual section: its results plus the server's view.</summary>
    public static async Task<JsonObject> ActualAsync(string? json, string context, InteropServerFixture server, string id, ITestOutputHelper output)
    {
        JsonObject reported;
        try
        {
            reported = JsonNode.Parse(json ?? "") as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            Assert.Fail($"the peer reported no JSON results ({e.Message}); {context}");
            throw;
        }

        output.WriteLine($"peer: {reported["peer"]}");
        var actual = new JsonObject();
        foreach (var (key, value) in reported.Where(p => p.Key != "peer").ToList())
        {
            reported.Remove(key);
            actual[key] = value;
        }

        await AddServerViewAsync(actual, "closeFromClient", server.Session(id));
        await AddServerViewAsync(actual, "closeFromServer", server.Session(id + "-server-close"));
        return actual;
    }

    private static async Task AddServerViewAsync(JsonObject actual, string scenario, SessionProbe probe)
    {
        if (actual[scenario] is not { } clientSaw)
        {
            return; // the script did not get that far: the diff reports the scenario as missing
        }

        actual.Remove(scenario);
        JsonNode? serverSaw;
        try
        {
            serverSaw = await probe.ClosedJsonAsync(s_closeWait);
        }
        catch (TimeoutException)
        {
            serverSaw = "no close within " + s_closeWait.TotalSeconds + " s";
        }

        actual[scenario] = new JsonObject { ["clientSaw"] = clientSaw, ["serverSaw"] = serverSaw };
    }
}
