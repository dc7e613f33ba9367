using System.IO;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// Debian python3-websockets against EchoServer: peers/websockets_client.py runs every scenario and prints its
/// results; the test diffs them with the "python3-websockets" section. It runs on /usr/bin/python3: the python3 on PATH
/// may be another interpreter (pyenv) without the Debian package.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class PythonWebSocketsTests(InteropServerFixture server, ITestOutputHelper output)
{
    /// <summary>The section in expected-interop.json.</summary>
    public const string Peer = "python3-websockets";

    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task PythonWebSockets_AllScenarios_MatchExpectations()
    {
        var probe = await PeerProcess.RunAsync(Python, new[] { "-c", "import websockets" }, ScriptedPeer.Timeout, output);
        Assert.True(probe.ExitCode == 0, $"python3-websockets is missing for {Python}: {PeerProcess.InstallHint}; {probe}");
        string id = InteropServerFixture.NewId("python");

        var run = await PeerProcess.RunAsync(
            Python, ScriptedPeer.Arguments(Path.Combine(InteropPaths.Peers, "websockets_client.py"), server, id), ScriptedPeer.Timeout, output);

        Expectations.CheckSection(Peer, await ScriptedPeer.ActualAsync(run, server, id, output), output, run.ToString());
    }
}
