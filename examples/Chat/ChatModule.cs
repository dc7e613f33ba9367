using System.Buffers;
using System.Collections.Generic;
using System.Reactive;
using System.Reactive.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Http;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Examples.Chat;

/// <summary>
/// The chat's application module: the page at <c>/</c>, the room list at <c>/rooms</c> and the WebSocket
/// <c>/chat?room=NAME&amp;nick=NICK</c>, where every text message a member sends reaches every member of its room.
/// </summary>
public static class ChatModule
{
    /// <summary>The room a session joins when its query names none.</summary>
    public const string DefaultRoom = "lobby";

    /// <summary>The nickname of a session whose query names none.</summary>
    public const string DefaultNick = "anon";

    /// <summary>The longest nickname or room name, in UTF-16 code units, after trimming.</summary>
    public const int MaxNameLength = 32;

    /// <summary>The longest message text relayed; longer messages are dropped.</summary>
    public const int MaxTextLength = 4000;

    private const string IndexResource = "Rx.WebSockets.Examples.Chat.index.html";

    /// <summary>Maps the chat's routes onto <paramref name="app"/>.</summary>
    /// <param name="app">The application.</param>
    /// <param name="rooms">The rooms; null: the <see cref="ChatRooms"/> registered in the application's services, or a new one.</param>
    /// <exception cref="ArgumentNullException"><paramref name="app"/> is null.</exception>
    public static void Configure(Application app, ChatRooms? rooms = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var chat = rooms ?? app.Services.GetService<ChatRooms>() ?? new ChatRooms();
        app.Get("/", IndexAsync)
            .Get("/rooms", exchange => RoomsAsync(exchange, chat))
            .WebSocket("/chat", session => Handle(session, chat));
    }

    /// <summary>
    /// Runs one chat session: joins the room the query names, relays the room's messages into the session's Outgoing, and
    /// publishes each incoming text message to the room until the peer closes; then leaves. A nickname or room name that
    /// is too long closes the session with 1008.
    /// </summary>
    /// <param name="session">The session.</param>
    /// <param name="rooms">The rooms.</param>
    /// <returns>The session's work; it completes when the peer closes.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IObservable<Unit> Handle(IWebSocketServerSession session, ChatRooms rooms)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(rooms);
        var query = ParseQuery(session.Call.Query);
        string? nick = NormalizeName(query.GetValueOrDefault("nick"), DefaultNick);
        string? room = NormalizeName(query.GetValueOrDefault("room"), DefaultRoom);
        if (nick is null || room is null)
        {
            session.Close(new CloseReason(CloseCode.ViolatedPolicy, $"nick and room must be 1-{MaxNameLength} characters"));
            return Observable.Empty<Unit>();
        }

        var deliver = Observer.Create<ChatMessage>(message => session.Outgoing.OnNext(Frame.Text(message.ToJson())));
        return Observable.Using(
            () => rooms.Join(room, nick, deliver),
            member => session.Incoming
                .OfType<TextFrame>()
                .Select(frame => frame.GetText())
                .Where(text => !string.IsNullOrWhiteSpace(text) && text.Length <= MaxTextLength)
                .Select(text => ChatMessage.Message(room, nick, text))
                .Do(member.Publish)
                .IgnoreElements()
                .Select(_ => Unit.Default));
    }

    /// <summary>
    /// Validates a nickname or room name: trimmed; missing or blank gives <paramref name="fallback"/>; longer than
    /// <see cref="MaxNameLength"/> or containing control characters is invalid.
    /// </summary>
    /// <param name="value">The name as sent, or null.</param>
    /// <param name="fallback">The name used when none was sent.</param>
    /// <returns>The name, or null when it is invalid.</returns>
    public static string? NormalizeName(string? value, string fallback)
    {
        string trimmed = value?.Trim() ?? string.Empty;
        if (trimmed.Length == 0)
        {
            return fallback;
        }

        return trimmed.Length > MaxNameLength || trimmed.AsSpan().ContainsAnyInRange('\0', '\u001f') ? null : trimmed;
    }

    /// <summary>Parses <c>a=1&amp;b=x%20y</c> (form encoding: <c>+</c> is a space); the first of repeated keys wins.</summary>
    /// <param name="query">The query without <c>?</c>.</param>
    /// <returns>The parameters.</returns>
    public static IReadOnlyDictionary<string, string> ParseQuery(string? query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in (query ?? string.Empty).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string key = Decode(equals < 0 ? pair : pair[..equals]);
            string value = equals < 0 ? string.Empty : Decode(pair[(equals + 1)..]);
            result.TryAdd(key, value);
        }

        return result;

        static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
    }

    private static ValueTask RoomsAsync(HttpExchange exchange, ChatRooms rooms)
    {
        var response = exchange.Response;
        response.Headers.Set("Content-Type", "application/json");
        response.Headers.Set("Cache-Control", "no-cache");
        response.Body.Write(JsonSerializer.SerializeToUtf8Bytes(rooms.Snapshot(), ChatJsonContext.Default.RoomInfoArray));
        return ValueTask.CompletedTask;
    }

    private static async ValueTask IndexAsync(HttpExchange exchange)
    {
        var response = exchange.Response;
        response.Headers.Set("Content-Type", "text/html; charset=utf-8");
        response.Headers.Set("Cache-Control", "no-cache");
        await using var page = typeof(ChatModule).Assembly.GetManifestResourceStream(IndexResource)
            ?? throw new InvalidOperationException($"The resource {IndexResource} is missing.");
        response.Headers.Set("Content-Length", page.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (exchange.Request.Method != HttpMethods.Head)
        {
            await page.CopyToAsync(response.BodyStream).ConfigureAwait(false);
        }
    }
}
