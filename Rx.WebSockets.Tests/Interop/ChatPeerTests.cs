using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Examples.Chat;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// examples/Chat with real clients: each peer joins a room twice, as alice and then bob, and both see each other's join,
/// messages and leave, with the Close code they sent echoed back (RFC 6455 §5.5.1). A .NET member, carol, sits in the
/// room throughout and must see the same conversation: the room broadcasts across implementations.
/// </summary>
/// <remarks>
/// The conversation is sequential, so every member's log is exact: alice joins; bob joins; bob says "hello from bob";
/// alice answers "hello from alice" once both have seen it; bob leaves (Close 1000 "bye"); alice sees the leave and
/// leaves too. npm ws and python3-websockets run it in peers/node/chat.js and peers/websockets_chat.py and print what
/// each member received; ClientWebSocket runs it in-process.
/// </remarks>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class ChatPeerTests(ChatServerFixture chat, ITestOutputHelper output)
{
    /// <summary>The .NET member who watches every conversation.</summary>
    internal const string Carol = "carol";

    [Fact]
    public async Task Chat_ClientWebSocket_TwoMembersSeeEachOthersMessagesAndNotices()
    {
        string room = ChatServerFixture.NewRoom("clientwebsocket");
        using var carol = await JoinAsync(room, Carol);
        var results = new JsonObject { ["peer"] = "ClientWebSocket " + Environment.Version };

        using var alice = await JoinAsync(room, "alice");
        using var bob = new ChatMember(await ConnectAsync(room, "bob"));
        await alice.UntilAsync(ChatMessage.Join(room, "bob"));
        await bob.UntilAsync(ChatMessage.Join(room, "bob"));

        await bob.SendAsync("hello from bob");
        await alice.UntilAsync(ChatMessage.Message(room, "bob", "hello from bob"));
        await bob.UntilAsync(ChatMessage.Message(room, "bob", "hello from bob"));
        await alice.SendAsync("hello from alice");
        await alice.UntilAsync(ChatMessage.Message(room, "alice", "hello from alice"));
        await bob.UntilAsync(ChatMessage.Message(room, "alice", "hello from alice"));

        results["bobClose"] = await bob.CloseAsync();
        await alice.UntilAsync(ChatMessage.Leave(room, "bob"));
        results["aliceClose"] = await alice.CloseAsync();
        results["alice"] = alice.Log;
        results["bob"] = bob.Log;

        await CheckAsync(room, results, carol, "ClientWebSocket in-process");
    }

    [Fact]
    public async Task Chat_NodeWs_TwoMembersSeeEachOthersMessagesAndNotices()
    {
        string folder = Path.Combine(InteropPaths.Peers, "node");
        PeerProcess.RequireFile(Path.Combine(folder, "node_modules", "ws", "package.json"), "npm ws (npm ci in peers/node)");
        string room = ChatServerFixture.NewRoom("node");
        using var carol = await JoinAsync(room, Carol);

        var run = await PeerProcess.RunAsync("node", new[] { Path.Combine(folder, "chat.js"), chat.WsBase, room }, ScriptedPeer.Timeout, output, folder);

        await CheckAsync(room, Reported(run), carol, run.ToString());
    }

    [Fact]
    public async Task Chat_PythonWebSockets_TwoMembersSeeEachOthersMessagesAndNotices()
    {
        const string python = "/usr/bin/python3";
        var probe = await PeerProcess.RunAsync(python, new[] { "-c", "import websockets" }, ScriptedPeer.Timeout, output);
        Assert.True(probe.ExitCode == 0, $"python3-websockets is missing for {python}: {PeerProcess.InstallHint}; {probe}");
        string room = ChatServerFixture.NewRoom("python");
        using var carol = await JoinAsync(room, Carol);

        var run = await PeerProcess.RunAsync(
            python, new[] { Path.Combine(InteropPaths.Peers, "websockets_chat.py"), chat.WsBase, room }, ScriptedPeer.Timeout, output);

        await CheckAsync(room, Reported(run), carol, run.ToString());
    }

    /// <summary>What alice and bob must each have received, in order.</summary>
    internal static (ChatMessage[] Alice, ChatMessage[] Bob) ExpectedConversation(string room) =>
    (
        [
            ChatMessage.Join(room, "alice"),
            ChatMessage.Join(room, "bob"),
            ChatMessage.Message(room, "bob", "hello from bob"),
            ChatMessage.Message(room, "alice", "hello from alice"),
            ChatMessage.Leave(room, "bob"),
        ],
        [
            ChatMessage.Join(room, "bob"),
            ChatMessage.Message(room, "bob", "hello from bob"),
            ChatMessage.Message(room, "alice", "hello from alice"),
        ]);

    /// <summary>Parses the JSON text frames a member logged.</summary>
    internal static ChatMessage[] Messages(JsonNode? log, string context)
    {
        Assert.True(log is JsonArray, $"no message log; {context}");
        return log!.AsArray().Select(text => ChatMessage.FromJson(text!.GetValue<string>())).ToArray();
    }

    private static JsonObject Reported(PeerResult run)
    {
        string? line = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        var reported = line is null ? null : JsonNode.Parse(line) as JsonObject;
        Assert.True(reported is not null, $"the peer printed no JSON results; {run}");
        Assert.True(run.ExitCode == 0 && !reported!.ContainsKey("error"), $"the peer failed: {reported["error"]}; {run}");
        return reported;
    }

    private async Task CheckAsync(string room, JsonObject results, ChatMember carol, string context)
    {
        output.WriteLine($"peer: {results["peer"]}; results: {results.ToJsonString()}");
        var (alice, bob) = ExpectedConversation(room);
        Assert.Equal(alice, Messages(results["alice"], context));
        Assert.Equal(bob, Messages(results["bob"], context));
        var bye = Expectations.Close(1000, "bye");
        Assert.True(JsonNode.DeepEquals(bye, results["bobClose"]), $"bob's Close came back as {results["bobClose"]?.ToJsonString()}; {context}");
        Assert.True(JsonNode.DeepEquals(bye, results["aliceClose"]), $"alice's Close came back as {results["aliceClose"]?.ToJsonString()}; {context}");

        // carol, in the room before either, sees the whole conversation, ending with alice's leave.
        await carol.UntilAsync(ChatMessage.Leave(room, "alice"));
        Assert.Equal(
            new[] { ChatMessage.Join(room, Carol), ChatMessage.Join(room, "alice") }
                .Concat(alice.Skip(1))
                .Append(ChatMessage.Leave(room, "alice")),
            Messages(carol.Log, context));
        await carol.CloseAsync();
    }

    private Task<ClientWebSocket> ConnectAsync(string room, string nick) => chat.ConnectAsync(room, nick);

    /// <summary>
    /// Connects and waits for the member's own join notice: the 101 reaches the client before the server's handler joins
    /// the room, so only the notice says the member is in.
    /// </summary>
    private async Task<ChatMember> JoinAsync(string room, string nick)
    {
        var member = new ChatMember(await ConnectAsync(room, nick));
        await member.UntilAsync(ChatMessage.Join(room, nick));
        return member;
    }
}

/// <summary>A ClientWebSocket member: reads frames in order, keeping each text frame in <see cref="Log"/>. Disposing it aborts the connection.</summary>
internal sealed class ChatMember(ClientWebSocket socket) : IDisposable
{
    public JsonArray Log { get; } = new();

    public async Task UntilAsync(ChatMessage expected)
    {
        if (Log.Any(t => ChatMessage.FromJson(t!.GetValue<string>()) == expected))
        {
            return;
        }

        using var cts = new CancellationTokenSource(ChatServerFixture.Timeout);
        var buffer = new byte[8192];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, cts.Token);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            string text = Encoding.UTF8.GetString(message.ToArray());
            Log.Add(text);
            if (ChatMessage.FromJson(text) == expected)
            {
                return;
            }
        }
    }

    public Task SendAsync(string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).WaitAsync(ChatServerFixture.Timeout);

    public async Task<JsonObject> CloseAsync()
    {
        using var cts = new CancellationTokenSource(ChatServerFixture.Timeout);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        var close = Expectations.Close((int)socket.CloseStatus!, socket.CloseStatusDescription);
        socket.Dispose();
        return close;
    }

    public void Dispose() => socket.Dispose();
}
