using System.IO;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// Debian's headless Chromium against the interop server, without Playwright (interop-notes §1b, "the page POSTs its
/// result back"): one launch loads peers/chromium/interop.html, whose script runs every browser scenario with the
/// browser's WebSocket and posts its results to /report; the test awaits them, kills Chromium and diffs them with the
/// "chromium" section.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class ChromiumTests(InteropServerFixture server, ITestOutputHelper output)
{
    /// <summary>The section in expected-interop.json.</summary>
    public const string Peer = "chromium";

    /// <summary>Debian's Chromium.</summary>
    internal const string Chromium = "/usr/bin/chromium";

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Chromium_AllScenarios_MatchExpectations()
    {
        // A Debian security update can move the major version: the log says which one ran.
        await PeerProcess.RunAsync(Chromium, new[] { "--version" }, s_timeout, output);
        string id = InteropServerFixture.NewId("chromium");
        string profile = Directory.CreateTempSubdirectory("rxws-chromium-").FullName;
        try
        {
            string report;
            PeerResult run;
            await using (var browser = PeerProcess.Start(Chromium, Arguments(profile, server.Http($"/interop.html?id={id}")), output))
            {
                var reported = server.Report(id);
                try
                {
                    // A browser that dies (or never starts) fails the test now, not at the timeout.
                    await Task.WhenAny(reported, browser.Exited).WaitAsync(s_timeout);
                }
                catch (TimeoutException)
                {
                }

                run = await browser.KillAsync();
                Assert.True(reported.IsCompleted, $"chromium posted no results within {s_timeout.TotalSeconds} s; {run}");
                report = await reported;
            }

            output.WriteLine($"chromium reported after {run.Elapsed.TotalSeconds:0.00} s: {report}");
            Expectations.CheckSection(Peer, await ScriptedPeer.ActualAsync(report, run.ToString(), server, id, output), output);
        }
        finally
        {
            DeleteProfile(profile, output);
        }
    }

    /// <summary>Headless Chromium with its own profile folder (so each process is an independent browser) loading <paramref name="page"/>.</summary>
    internal static string[] Arguments(string profile, Uri page) =>
    [
        "--headless",
        "--no-sandbox", // required as root
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--user-data-dir=" + profile,
        page.ToString(),
    ];

    /// <summary>Deletes a profile folder once its browser is dead.</summary>
    internal static void DeleteProfile(string profile, ITestOutputHelper output)
    {
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException e)
        {
            // The process tree is dead, so nothing writes there any more; a second pass removes what the first raced.
            output.WriteLine($"profile cleanup retried: {e.Message}");
            Directory.Delete(profile, recursive: true);
        }
    }
}
