using System.Collections.Generic;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Examples.Ticker;

/// <summary>One price of a symbol, sent as a JSON text frame: <c>{"symbol":"ABC","seq":1,"price":101.23,"time":"..."}</c>.</summary>
/// <param name="Symbol">The symbol.</param>
/// <param name="Seq">0 for the opening quote, then 1, 2, 3 ... one per period.</param>
/// <param name="Price">The price, two decimals, never below 0.01.</param>
/// <param name="Time">The scheduler's clock when the price was made.</param>
public sealed record Tick(string Symbol, long Seq, decimal Price, DateTimeOffset Time);

/// <summary>Source-generated JSON for the ticks (camelCase).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Tick))]
public sealed partial class TickerJsonContext : JsonSerializerContext;

/// <summary>
/// The ticker's application module: WebSocket <c>/ticker?symbol=ABC</c> pushes a simulated price of the symbol every
/// period. The prices are a pseudo-random walk seeded by the symbol, so the same symbol always walks the same way; the
/// timer runs on <see cref="Application.Scheduler"/>, so a <c>TestScheduler</c> drives it in virtual time.
/// </summary>
public static class TickerModule
{
    /// <summary>The symbol of a session whose query names none.</summary>
    public const string DefaultSymbol = "ABC";

    /// <summary>The longest symbol.</summary>
    public const int MaxSymbolLength = 8;

    /// <summary>Maps <c>/ticker</c> onto <paramref name="app"/>.</summary>
    /// <param name="app">The application; its <see cref="Application.Scheduler"/> runs the timer.</param>
    /// <param name="period">The time between two ticks.</param>
    /// <exception cref="ArgumentNullException"><paramref name="app"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is not positive.</exception>
    public static void Configure(Application app, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        var scheduler = app.Scheduler;
        app.WebSocket("/ticker", session =>
        {
            string? symbol = NormalizeSymbol(Query(session.Call.Query, "symbol"));
            if (symbol is null)
            {
                session.Close(new CloseReason(CloseCode.ViolatedPolicy, $"symbol must be 1-{MaxSymbolLength} letters or digits"));
                return Observable.Empty<Unit>();
            }

            return Handle(session, symbol, period, scheduler);
        });
    }

    /// <summary>
    /// Runs one ticker session: sends the opening quote (<c>seq</c> 0) once the timer is scheduled, then one tick per
    /// <paramref name="period"/>, until the peer closes. Incoming messages are ignored.
    /// </summary>
    /// <param name="session">The session.</param>
    /// <param name="symbol">The symbol (see <see cref="NormalizeSymbol"/>).</param>
    /// <param name="period">The time between two ticks.</param>
    /// <param name="scheduler">Runs the timer.</param>
    /// <returns>The session's work; it completes when the peer closes.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IObservable<Unit> Handle(IWebSocketSession session, string symbol, TimeSpan period, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(symbol);
        ArgumentNullException.ThrowIfNull(scheduler);
        return Observable.Create<Unit>(observer =>
        {
            var ticking = Ticks(symbol, period, scheduler)
                .Select(ToFrame)
                .Subscribe(session.Outgoing.OnNext, observer.OnError);
            // Sent after the timer is scheduled: a client that has seen seq 0 knows that the ticks are under way (a test
            // advancing virtual time waits for it).
            session.Outgoing.OnNext(ToFrame(new Tick(symbol, 0, Walk.Start(symbol).Price, scheduler.Now)));
            var reading = session.Incoming.IgnoreElements().Subscribe(_ => { }, observer.OnError, observer.OnCompleted);
            return new CompositeDisposable(ticking, reading);
        });
    }

    /// <summary>The ticks of <paramref name="symbol"/> after its opening quote: <c>seq</c> 1 at one period, 2 at two, and so on.</summary>
    /// <param name="symbol">The symbol.</param>
    /// <param name="period">The time between two ticks.</param>
    /// <param name="scheduler">Runs the timer.</param>
    /// <returns>The ticks; cold: each subscription walks from the start.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IObservable<Tick> Ticks(string symbol, TimeSpan period, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        ArgumentNullException.ThrowIfNull(scheduler);
        return Observable.Interval(period, scheduler)
            .Scan(Walk.Start(symbol), (walk, _) => walk.Next())
            .Select((walk, index) => new Tick(symbol, index + 1, walk.Price, scheduler.Now));
    }

    /// <summary>Validates a symbol: trimmed, upper-cased; missing gives <see cref="DefaultSymbol"/>; 1-8 ASCII letters or digits.</summary>
    /// <param name="value">The symbol as sent, or null.</param>
    /// <returns>The symbol, or null when it is invalid.</returns>
    public static string? NormalizeSymbol(string? value)
    {
        string symbol = value?.Trim().ToUpperInvariant() ?? string.Empty;
        if (symbol.Length == 0)
        {
            return DefaultSymbol;
        }

        return symbol.Length <= MaxSymbolLength && symbol.AsSpan().IndexOfAnyExcept("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") < 0 ? symbol : null;
    }

    private static Frame ToFrame(Tick tick) => Frame.Text(JsonSerializer.Serialize(tick, TickerJsonContext.Default.Tick));

    private static string? Query(string query, string name)
    {
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string key = equals < 0 ? pair : pair[..equals];
            if (string.Equals(Uri.UnescapeDataString(key), name, StringComparison.Ordinal))
            {
                return equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            }
        }

        return null;
    }

    /// <summary>
    /// The price walk: a xorshift64* generator seeded with the symbol's FNV-1a hash (string.GetHashCode differs per
    /// process), a start between 50.00 and 149.99, and steps of -1.00 to +1.00, floored at 0.01.
    /// </summary>
    private readonly record struct Walk(ulong State, long Cents)
    {
        public decimal Price => Cents / 100m;

        public static Walk Start(string symbol)
        {
            ulong hash = 14695981039346656037UL;
            foreach (byte b in Encoding.UTF8.GetBytes(symbol))
            {
                hash = (hash ^ b) * 1099511628211UL;
            }

            // xorshift must not start at 0.
            ulong state = hash == 0 ? 1 : hash;
            return new Walk(state, 5000 + (long)(hash % 10000));
        }

        public Walk Next()
        {
            ulong x = State;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            long step = (long)((x * 0x2545F4914F6CDD1DUL) >> 33) % 201 - 100;
            return new Walk(x, Math.Max(1, Cents + step));
        }
    }
}
