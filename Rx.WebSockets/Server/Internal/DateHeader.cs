using System.Globalization;
using System.Text;
using System.Threading;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// The value of the <c>Date</c> response header, formatted once per second and shared by every connection.
/// </summary>
/// <remarks>
/// RFC 9110 §6.6.1: "An origin server with a clock ... MUST generate a Date header field in non-1xx (Informational)
/// responses", as an IMF-fixdate (<c>Sun, 06 Nov 1994 08:49:37 GMT</c>, §5.6.7), which is .NET's "r" format. The
/// second's text is cached so that a busy server formats it once per second rather than once per response.
/// Thread-safety: any thread; the cache is one immutable entry swapped atomically.
/// </remarks>
internal sealed class DateHeader
{
    private readonly TimeProvider _time;
    private Entry? _cached;

    public DateHeader(TimeProvider time) => _time = time;

    /// <summary>The current date as an IMF-fixdate.</summary>
    public string Value => Current.Text;

    /// <summary>The whole field line of the current date, <c>Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n</c>, in bytes.</summary>
    /// <remarks>Shared: the caller copies it and never changes it.</remarks>
    public byte[] FieldLine => Current.FieldLine;

    private Entry Current
    {
        get
        {
            var cached = Volatile.Read(ref _cached);
            if (cached is not null && Environment.TickCount64 < cached.ValidUntilTick)
            {
                return cached;
            }

            var now = _time.GetUtcNow();
            long second = now.UtcTicks / TimeSpan.TicksPerSecond;
            if (cached is null || cached.Second != second)
            {
                // With the system clock, the text stays valid until the wall clock's next second, which the cheap
                // millisecond tick count tells without reading the clock; any other TimeProvider (a fake clock) is
                // read every time.
                long validUntil = _time == TimeProvider.System
                    ? Environment.TickCount64 + (TimeSpan.TicksPerSecond - (now.UtcTicks % TimeSpan.TicksPerSecond)) / TimeSpan.TicksPerMillisecond
                    : long.MinValue;
                string text = new DateTimeOffset(second * TimeSpan.TicksPerSecond, TimeSpan.Zero).ToString("r", CultureInfo.InvariantCulture);
                cached = new Entry(second, text, Encoding.ASCII.GetBytes($"Date: {text}\r\n"), validUntil);
                Volatile.Write(ref _cached, cached);
            }

            return cached;
        }
    }

    private sealed record Entry(long Second, string Text, byte[] FieldLine, long ValidUntilTick);
}
