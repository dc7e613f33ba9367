using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rx.WebSockets.Examples.Chat;

/// <summary>What the chat sends to its clients, as JSON: <c>{"type":"message"|"join"|"leave","nick":..,"text":..,"room":..}</c>.</summary>
/// <param name="Type"><c>message</c>, <c>join</c> or <c>leave</c>.</param>
/// <param name="Nick">Who sent the message, joined or left.</param>
/// <param name="Text">The message's text; null for join and leave notices.</param>
/// <param name="Room">The room.</param>
public sealed record ChatMessage(string Type, string Nick, string? Text, string Room)
{
    /// <summary>A member's message.</summary>
    /// <param name="room">The room.</param>
    /// <param name="nick">The sender.</param>
    /// <param name="text">The text.</param>
    /// <returns>The message.</returns>
    public static ChatMessage Message(string room, string nick, string text) => new("message", nick, text, room);

    /// <summary>A join notice.</summary>
    /// <param name="room">The room.</param>
    /// <param name="nick">Who joined.</param>
    /// <returns>The notice.</returns>
    public static ChatMessage Join(string room, string nick) => new("join", nick, null, room);

    /// <summary>A leave notice.</summary>
    /// <param name="room">The room.</param>
    /// <param name="nick">Who left.</param>
    /// <returns>The notice.</returns>
    public static ChatMessage Leave(string room, string nick) => new("leave", nick, null, room);

    /// <summary>The message as JSON text.</summary>
    /// <returns>The JSON.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, ChatJsonContext.Default.ChatMessage);

    /// <summary>Reads a message written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON.</param>
    /// <returns>The message.</returns>
    /// <exception cref="JsonException">The text is not a chat message.</exception>
    public static ChatMessage FromJson(string json) =>
        JsonSerializer.Deserialize(json, ChatJsonContext.Default.ChatMessage) ?? throw new JsonException("null is not a chat message.");
}

/// <summary>Source-generated JSON for the chat (camelCase, nulls written).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ChatMessage))]
[JsonSerializable(typeof(ChatRooms.RoomInfo[]))]
public sealed partial class ChatJsonContext : JsonSerializerContext;
