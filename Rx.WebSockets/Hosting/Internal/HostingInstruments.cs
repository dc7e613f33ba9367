using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;

namespace Rx.WebSockets.Hosting.Internal;

/// <summary>The instruments of <see cref="WebSocketMetrics"/> on one <see cref="Meter"/> (one per service provider).</summary>
/// <remarks>
/// Made through <see cref="IMeterFactory"/> when the container has one, so that each host gets its own meter (and a
/// <c>MeterListener</c> can tell hosts apart by <see cref="Meter.Scope"/>); otherwise it owns a meter of its own.
/// Thread-safety: every member may be called from any thread.
/// </remarks>
internal sealed class HostingInstruments : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly ConcurrentDictionary<Func<int>, byte> _connectionSources = new();

    // Seconds; from 100 µs (loopback) to 10 s (past any sensible ping timeout).
    private static readonly double[] s_roundTripBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public HostingInstruments(IMeterFactory? meterFactory)
    {
        if (meterFactory is null)
        {
            _meter = new Meter(WebSocketMetrics.MeterName);
            _ownsMeter = true;
        }
        else
        {
            _meter = meterFactory.Create(WebSocketMetrics.MeterName);
        }

        _meter.CreateObservableUpDownCounter(
            WebSocketMetrics.ActiveConnections,
            () => (long)_connectionSources.Keys.Sum(count => count()),
            unit: "{connection}",
            description: "Open TCP connections, HTTP and upgraded.");
        ActiveSessions = _meter.CreateUpDownCounter<long>(WebSocketMetrics.ActiveSessions, "{session}", "Live WebSocket sessions.");
        SessionsOpened = _meter.CreateCounter<long>(WebSocketMetrics.SessionsOpened, "{session}", "WebSocket sessions opened.");
        SessionsClosed = _meter.CreateCounter<long>(WebSocketMetrics.SessionsClosed, "{session}", "WebSocket sessions ended, by close code.");
        FramesReceived = _meter.CreateCounter<long>(WebSocketMetrics.FramesReceived, "{frame}", "Frames received by the application.");
        FramesSent = _meter.CreateCounter<long>(WebSocketMetrics.FramesSent, "{frame}", "Frames sent by the application.");
        BytesReceived = _meter.CreateCounter<long>(WebSocketMetrics.BytesReceived, "By", "Payload bytes received by the application.");
        BytesSent = _meter.CreateCounter<long>(WebSocketMetrics.BytesSent, "By", "Payload bytes sent by the application.");
        HttpRequests = _meter.CreateCounter<long>(WebSocketMetrics.HttpRequests, "{request}", "HTTP requests dispatched, by outcome.");
        PingRoundTrip = _meter.CreateHistogram(
            WebSocketMetrics.PingRoundTrip,
            unit: "s",
            description: "Round trip of the pings sent by the sessions' pingers, until the matching pong.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_roundTripBuckets });
    }

    public Meter Meter => _meter;

    public UpDownCounter<long> ActiveSessions { get; }

    public Counter<long> SessionsOpened { get; }

    public Counter<long> SessionsClosed { get; }

    public Counter<long> FramesReceived { get; }

    public Counter<long> FramesSent { get; }

    public Counter<long> BytesReceived { get; }

    public Counter<long> BytesSent { get; }

    public Counter<long> HttpRequests { get; }

    public Histogram<double> PingRoundTrip { get; }

    /// <summary>Adds an engine's connection count to <see cref="WebSocketMetrics.ActiveConnections"/> until disposed.</summary>
    public IDisposable AddConnectionSource(Func<int> count)
    {
        _connectionSources.TryAdd(count, 0);
        return new Removal(this, count);
    }

    public void OnFrame(Frame frame, bool sent)
    {
        if (frame.Opcode == Opcode.Close)
        {
            // Closes are counted per session by close code; a Close the application asks for may also be dropped
            // (the session was already closing), so counting it as sent would overstate.
            return;
        }

        var tag = new KeyValuePair<string, object?>(WebSocketMetrics.FrameTypeTag, FrameType(frame.Opcode));
        if (sent)
        {
            FramesSent.Add(1, tag);
            BytesSent.Add(frame.Payload.Length, tag);
        }
        else
        {
            FramesReceived.Add(1, tag);
            BytesReceived.Add(frame.Payload.Length, tag);
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static string FrameType(Opcode opcode) => opcode switch
    {
        Opcode.Text => "text",
        Opcode.Binary => "binary",
        Opcode.Continuation => "continuation",
        Opcode.Ping => "ping",
        Opcode.Pong => "pong",
        _ => "other",
    };

    private sealed class Removal : IDisposable
    {
        private readonly HostingInstruments _owner;
        private readonly Func<int> _count;

        public Removal(HostingInstruments owner, Func<int> count)
        {
            _owner = owner;
            _count = count;
        }

        public void Dispose() => _owner._connectionSources.TryRemove(_count, out _);
    }
}
