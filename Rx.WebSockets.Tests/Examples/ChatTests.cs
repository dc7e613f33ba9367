using System.Collections.Generic;
using System.Net.WebSockets;
using System.Reactive;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Examples.Chat;
using Rx.WebSockets.Hosting;

namespace Rx.WebSockets.Tests.Examples;

/// <summary>The Chat example: rooms, broadcast to the sender's room only, join and leave notices, name validation.</summary>
public sealed class ChatTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly ChatRooms _rooms = new();
    private EmbeddedServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = EmbeddedServer.Create(Engines.Cio, 0, "127.0.0.1", module: app => ChatModule.Configure(app, _rooms));
        await _server.StartAsync().WaitAsync(s_timeout);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Chat_TwoRoomsThreeClients_MessagesStayInTheirRoomAndNoticesArrive()
    {
        using var a = await ConnectAsync("room=red&nick=alice");
        Assert.Equal(ChatMessage.Join("red", "alice"), await ReceiveAsync(a));
        using var b = await ConnectAsync("room=red&nick=%20bob%20");
        Assert.Equal(ChatMessage.Join("red", "bob"), await ReceiveAsync(a));
        Assert.Equal(ChatMessage.Join("red", "bob"), await ReceiveAsync(b));
        using var c = await ConnectAsync("room=blue");
        Assert.Equal(ChatMessage.Join("blue", "anon"), await ReceiveAsync(c));

        await SendAsync(a, "hello red");
        Assert.Equal(ChatMessage.Message("red", "alice", "hello red"), await ReceiveAsync(a));
        Assert.Equal(ChatMessage.Message("red", "alice", "hello red"), await ReceiveAsync(b));
        // Had alice's message reached blue, it would come before carol's own, which she sends only now.
        await SendAsync(c, "hello blue");
        Assert.Equal(ChatMessage.Message("blue", "anon", "hello blue"), await ReceiveAsync(c));

        await b.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(s_timeout);
        Assert.Equal(ChatMessage.Leave("red", "bob"), await ReceiveAsync(a));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, b.CloseStatus);
    }

    [Fact]
    public async Task Chat_NickTooLong_ClosesWithPolicyViolation()
    {
        using var client = await ConnectAsync("room=red&nick=" + new string('n', ChatModule.MaxNameLength + 1));
        var buffer = new byte[1024];
        var result = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(s_timeout);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal((WebSocketCloseStatus)1008, client.CloseStatus);
        Assert.Empty(_rooms.Snapshot());
    }

    [Theory]
    [InlineData(null, "anon")]
    [InlineData("", "anon")]
    [InlineData("   ", "anon")]
    [InlineData("  bob ", "bob")]
    [InlineData("x", "x")]
    [InlineData("abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopqrstuvwxyz012345")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", null)]
    [InlineData("a\u0001b", null)]
    public void NormalizeName_Value_TrimsDefaultsAndBoundsLength(string? value, string? expected) =>
        Assert.Equal(expected, ChatModule.NormalizeName(value, ChatModule.DefaultNick));

    [Fact]
    public void ParseQuery_FormEncoded_DecodesAndKeepsFirst()
    {
        var query = ChatModule.ParseQuery("room=a+b&nick=%C3%A9&room=other&flag");
        Assert.Equal("a b", query["room"]);
        Assert.Equal("\u00e9", query["nick"]);
        Assert.Equal(string.Empty, query["flag"]);
    }

    [Fact]
    public void Rooms_LastMemberLeaves_RoomIsRemovedAndOthersHearTheLeave()
    {
        var rooms = new ChatRooms();
        var heardByA = new List<ChatMessage>();
        var heardByB = new List<ChatMessage>();
        var a = rooms.Join("r", "a", Observer.Create<ChatMessage>(heardByA.Add));
        var b = rooms.Join("r", "b", Observer.Create<ChatMessage>(heardByB.Add));
        Assert.Equal(new[] { new ChatRooms.RoomInfo("r", 2) }, rooms.Snapshot());

        b.Publish(ChatMessage.Message("r", "b", "hi"));
        b.Dispose();
        b.Dispose();
        Assert.Equal(new[] { new ChatRooms.RoomInfo("r", 1) }, rooms.Snapshot());
        a.Dispose();

        Assert.Empty(rooms.Snapshot());
        Assert.Equal(
            new[] { ChatMessage.Join("r", "a"), ChatMessage.Join("r", "b"), ChatMessage.Message("r", "b", "hi"), ChatMessage.Leave("r", "b") },
            heardByA);
        Assert.Equal(new[] { ChatMessage.Join("r", "b"), ChatMessage.Message("r", "b", "hi") }, heardByB);
    }

    private async Task<ClientWebSocket> ConnectAsync(string query)
    {
        var client = new ClientWebSocket();
        var uri = new Uri($"ws://127.0.0.1:{_server.LocalEndPoints[0].Port}/chat?{query}");
        await client.ConnectAsync(uri, CancellationToken.None).WaitAsync(s_timeout);
        return client;
    }

    private static async Task SendAsync(ClientWebSocket client, string text) =>
        await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(s_timeout);

    private static async Task<ChatMessage> ReceiveAsync(ClientWebSocket client)
    {
        var buffer = new byte[8192];
        int count = 0;
        while (true)
        {
            var result = await client.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None).AsTask().WaitAsync(s_timeout);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            count += result.Count;
            if (result.EndOfMessage)
            {
                return ChatMessage.FromJson(Encoding.UTF8.GetString(buffer, 0, count));
            }
        }
    }
}
