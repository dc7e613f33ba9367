using System.Collections.Generic;
using System.Linq;
using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace Rx.WebSockets.Examples.Chat;

/// <summary>
/// The chat's rooms: one synchronised <see cref="Subject{T}"/> per room, created by the first member and removed when the
/// last one leaves. Thread-safe: sessions join, leave and publish from any thread.
/// </summary>
public sealed class ChatRooms
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Room> _rooms = new(StringComparer.Ordinal);

    /// <summary>The rooms that have members, with their member counts, ordered by name.</summary>
    /// <returns>A snapshot.</returns>
    public RoomInfo[] Snapshot()
    {
        lock (_gate)
        {
            return _rooms.Values.Select(r => new RoomInfo(r.Name, r.Members)).OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>
    /// Joins <paramref name="nick"/> to <paramref name="room"/>: <paramref name="deliver"/> receives every message of the
    /// room from now on (the member's own included), then the room hears the join notice.
    /// </summary>
    /// <param name="room">The room's name (already validated).</param>
    /// <param name="nick">The member's nickname (already validated).</param>
    /// <param name="deliver">Where the room's messages go, e.g. into a session's Outgoing.</param>
    /// <returns>The membership: publish through it; disposing it stops the delivery, then announces the leave.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public Membership Join(string room, string nick, IObserver<ChatMessage> deliver)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(nick);
        ArgumentNullException.ThrowIfNull(deliver);
        Room entry;
        lock (_gate)
        {
            if (!_rooms.TryGetValue(room, out entry!))
            {
                entry = new Room(room);
                _rooms.Add(room, entry);
            }

            entry.Members++;
        }

        // Subscribed before the join notice is published: a member sees its own join.
        var delivery = entry.Messages.Subscribe(deliver);
        var membership = new Membership(this, entry, nick, delivery);
        entry.Publish(ChatMessage.Join(room, nick));
        return membership;
    }

    private void Leave(Room room, string nick)
    {
        room.Publish(ChatMessage.Leave(room.Name, nick));
        lock (_gate)
        {
            if (--room.Members == 0)
            {
                _rooms.Remove(room.Name);
            }
        }
    }

    /// <summary>A room with members and its member count.</summary>
    /// <param name="Name">The room's name.</param>
    /// <param name="Members">How many sessions are in it.</param>
    public sealed record RoomInfo(string Name, int Members);

    /// <summary>One session's place in a room.</summary>
    public sealed class Membership : IDisposable
    {
        private readonly ChatRooms _owner;
        private readonly Room _room;
        private readonly IDisposable _delivery;
        private int _disposed;

        internal Membership(ChatRooms owner, Room room, string nick, IDisposable delivery)
        {
            _owner = owner;
            _room = room;
            Nick = nick;
            _delivery = delivery;
        }

        /// <summary>The room's name.</summary>
        public string Room => _room.Name;

        /// <summary>The member's nickname.</summary>
        public string Nick { get; }

        /// <summary>Publishes <paramref name="message"/> to every member of the room, this one included.</summary>
        /// <param name="message">The message.</param>
        /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
        public void Publish(ChatMessage message)
        {
            ArgumentNullException.ThrowIfNull(message);
            _room.Publish(message);
        }

        /// <summary>Stops the delivery to this member and tells the others it left. Idempotent.</summary>
        public void Dispose()
        {
            if (System.Threading.Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                // The leaver's own delivery ends first: its session is closing and would not read the notice.
                _delivery.Dispose();
                _owner.Leave(_room, Nick);
            }
        }
    }

    internal sealed class Room
    {
        // Subject.Synchronize: members publish from their own threads, and Rx observers must not be called concurrently.
        private readonly ISubject<ChatMessage> _subject = Subject.Synchronize(new Subject<ChatMessage>());

        public Room(string name) => Name = name;

        public string Name { get; }

        public int Members { get; set; }

        public IObservable<ChatMessage> Messages => _subject.AsObservable();

        public void Publish(ChatMessage message) => _subject.OnNext(message);
    }
}
