using System.IO;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// npm <c>ws</c> (pinned by peers/node/package-lock.json, installed by <c>npm ci</c>) against EchoServer:
/// peers/node/client.js runs every scenario and prints its results; the test diffs them with the "npm ws" section.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class NodeWsTests(InteropServerFixture server, ITestOutputHelper output)
{
    /// <summary>The section in expected-interop.json.</summary>
    public const string Peer = "npm ws";

    private static readonly string s_folder = Path.Combine(InteropPaths.Peers, "node");

    [Fact]
    public async Task NodeWs_AllScenarios_MatchExpectations()
    {
        PeerProcess.RequireFile(Path.Combine(s_folder, "node_modules", "ws", "package.json"), "npm ws (npm ci in peers/node)");
        await PeerProcess.RunAsync("node", new[] { "--version" }, ScriptedPeer.Timeout, output);
        string id = InteropServerFixture.NewId("node");

        var run = await PeerProcess.RunAsync(
            "node", ScriptedPeer.Arguments(Path.Combine(s_folder, "client.js"), server, id), ScriptedPeer.Timeout, output, s_folder);

        Expectations.CheckSection(Peer, await ScriptedPeer.ActualAsync(run, server, id, output), output, run.ToString());
    }
}
