using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Rx.WebSockets.Examples.Chat;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// examples/Chat's own page in two independent headless Chromium processes (two profiles, so two browsers as two people
/// would have), in the same room: each types into the page and sees the other's message, and the first sees the second
/// join and leave. The driver page peers/chromium/chat.html, served by the chat on the page's origin, runs the chat page
/// in a frame and posts what its log shows; a .NET member, carol, watches the room throughout.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class ChatChromiumTests(ChatServerFixture chat, ITestOutputHelper output)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Chat_TwoChromiumPages_SeeEachOthersMessagesAndNotices()
    {
        string room = ChatServerFixture.NewRoom("chromium");
        string id = InteropServerFixture.NewId("chat-chromium");
        // carol is in the room (her own join notice arrived) before either browser starts.
        using var carol = new ChatMember(await chat.ConnectAsync(room, ChatPeerTests.Carol));
        await carol.UntilAsync(ChatMessage.Join(room, ChatPeerTests.Carol));
        string firstProfile = Directory.CreateTempSubdirectory("rxws-chat-alice-").FullName;
        string secondProfile = Directory.CreateTempSubdirectory("rxws-chat-bob-").FullName;
        try
        {
            string aliceReport, bobReport;
            // Both browsers start at once (their start-up is most of the time); bob's page joins only once alice's is in
            // the room, so who sees whose join is fixed.
            await using (var alice = PeerProcess.Start(ChromiumTests.Chromium, ChromiumTests.Arguments(firstProfile, Driver(id, room, "alice", "bob", "first")), output))
            await using (var bob = PeerProcess.Start(ChromiumTests.Chromium, ChromiumTests.Arguments(secondProfile, Driver(id, room, "bob", "alice", "second", after: $"{id}-alice-ready")), output))
            {
                bobReport = await ReportedAsync(chat.Report($"{id}-bob"), "bob's page did not finish", alice, bob);
                output.WriteLine($"bob's page: {bobReport}");
                aliceReport = await ReportedAsync(chat.Report($"{id}-alice"), "alice's page did not finish", alice, bob);
                output.WriteLine($"alice's page: {aliceReport}");
            }

            var (expectedAlice, expectedBob) = ChatPeerTests.ExpectedConversation(room);
            Assert.Equal(expectedAlice.Select(Line), Lines(aliceReport));
            Assert.Equal(expectedBob.Select(Line), Lines(bobReport));

            // carol sees both browsers' messages, bob's leave (his page navigated away) and alice's (her browser was killed).
            await carol.UntilAsync(ChatMessage.Leave(room, "alice"));
            Assert.Equal(
                new[] { ChatMessage.Join(room, ChatPeerTests.Carol) }.Concat(expectedAlice).Append(ChatMessage.Leave(room, "alice")),
                ChatPeerTests.Messages(carol.Log, aliceReport));
            await carol.CloseAsync();
        }
        finally
        {
            ChromiumTests.DeleteProfile(firstProfile, output);
            ChromiumTests.DeleteProfile(secondProfile, output);
        }
    }

    /// <summary>How the chat page shows a message in its log.</summary>
    private static string Line(ChatMessage m) =>
        m.Type == "message" ? $"{m.Nick}: {m.Text}" : $"* {m.Nick} {(m.Type == "join" ? "joined" : "left")} {m.Room}";

    private static string[] Lines(string report)
    {
        var results = JsonNode.Parse(report) as JsonObject;
        Assert.True(results is not null && !results.ContainsKey("error") && results["log"] is JsonArray, $"the page failed: {report}");
        return results!["log"]!.AsArray().Select(line => line!.GetValue<string>()).ToArray();
    }

    /// <summary>Awaits a page's report; a browser that dies (or never starts) fails the test now, not at the timeout.</summary>
    private static async Task<string> ReportedAsync(Task<string> report, string what, params PeerProcess[] browsers)
    {
        try
        {
            await Task.WhenAny(browsers.Select(b => b.Exited).Prepend(report)).WaitAsync(s_timeout);
        }
        catch (TimeoutException)
        {
        }

        if (!report.IsCompleted)
        {
            var runs = await Task.WhenAll(browsers.Select(b => b.KillAsync()));
            Assert.Fail($"{what} within {s_timeout.TotalSeconds} s; {string.Join(Environment.NewLine, runs.Select(r => r.ToString()))}");
        }

        return await report;
    }

    private Uri Driver(string id, string room, string nick, string other, string role, string? after = null) =>
        chat.Http($"/chat-interop.html?id={id}-{nick}&room={Uri.EscapeDataString(room)}&nick={nick}&other={other}&role={role}"
            + (after is null ? "" : "&after=" + Uri.EscapeDataString(after)));
}
