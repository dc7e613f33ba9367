using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net.WebSockets;
using System.Reactive;
using System.Reactive.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Rx.WebSockets.Hosting;

namespace Rx.WebSockets.Tests.Hosting;

/// <summary>The metrics of <see cref="WebSocketMetrics"/>, observed with a MeterListener scoped to one server's meter factory.</summary>
public sealed class MetricsTests
{
    private static readonly TimeSpan s_timeout = HostingTestServer.Timeout;

    [Fact]
    public async Task Sessions_AreCountedOpenedActiveAndClosedByCode_WithFramesAndBytesBothWays()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.WebSocket(
            "/echo", session => session.Incoming.Do(session.Outgoing.OnNext).IgnoreElements().Select(_ => Unit.Default)));
        using var recorder = new MetricsRecorder(server.Services.GetRequiredService<IMeterFactory>());

        using var a = await server.ConnectAsync("/echo");
        using var b = await server.ConnectAsync("/echo");
        await a.SendTextAsync("hello");
        Assert.Equal("hello", await a.ReceiveTextAsync());
        using (var cts = new CancellationTokenSource(s_timeout))
        {
            await b.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, endOfMessage: true, cts.Token);
        }

        await b.ReceiveMessageAsync();
        recorder.RecordObservables();
        Assert.True(recorder.Last(WebSocketMetrics.ActiveConnections) >= 2);
        Assert.Equal(2, recorder.Sum(WebSocketMetrics.ActiveSessions));
        Assert.Equal(2, recorder.Sum(WebSocketMetrics.SessionsOpened, (WebSocketMetrics.RouteTag, "/echo")));

        var closed = recorder.WaitForAsync(WebSocketMetrics.SessionsClosed, m => Equals(m.Tag(WebSocketMetrics.CloseCodeTag), 1000));
        using (var cts = new CancellationTokenSource(s_timeout))
        {
            await a.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
        }

        await closed;
        Assert.Equal(1, recorder.Sum(WebSocketMetrics.ActiveSessions));
        Assert.Equal(1, recorder.Sum(WebSocketMetrics.FramesReceived, (WebSocketMetrics.FrameTypeTag, "text")));
        Assert.Equal(1, recorder.Sum(WebSocketMetrics.FramesSent, (WebSocketMetrics.FrameTypeTag, "text")));
        Assert.Equal(1, recorder.Sum(WebSocketMetrics.FramesReceived, (WebSocketMetrics.FrameTypeTag, "binary")));
        Assert.Equal(5 + 3, recorder.Sum(WebSocketMetrics.BytesReceived));
        Assert.Equal(5 + 3, recorder.Sum(WebSocketMetrics.BytesSent));
    }

    [Fact]
    public async Task PingRoundTrip_PongsFromARealClient_AreRecordedInSecondsPerRoute()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.WebSocket(
            "/pinged",
            session => session.Incoming.IgnoreElements().Select(_ => Unit.Default),
            options => options.PingInterval = TimeSpan.FromMilliseconds(20)));
        using var recorder = new MetricsRecorder(server.Services.GetRequiredService<IMeterFactory>());
        var measured = recorder.WaitForAsync(WebSocketMetrics.PingRoundTrip, m => Equals(m.Tag(WebSocketMetrics.RouteTag), "/pinged"));

        using var client = await server.ConnectAsync("/pinged");
        // ClientWebSocket answers pings only while a receive is pending; this one ends with the server's Close reply.
        var receiving = client.ReceiveMessageAsync();
        await measured;
        using (var cts = new CancellationTokenSource(s_timeout))
        {
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
        }

        await receiving;
        var roundTrip = recorder.Measurements(WebSocketMetrics.PingRoundTrip).First();
        // Seconds, not milliseconds or ticks: a loopback pong answers well within the 10 s the test allows.
        Assert.InRange(roundTrip.Value, 0, s_timeout.TotalSeconds);
        Assert.Equal("s", recorder.Units[WebSocketMetrics.PingRoundTrip]);
        Assert.Equal(0, recorder.Sum(WebSocketMetrics.FramesSent, (WebSocketMetrics.FrameTypeTag, "ping")));
    }

    [Fact]
    public async Task PingRoundTrip_ClientPongsThatAnswerNoPing_AreNotRecorded()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.WebSocket(
            "/pinged",
            session => session.Incoming.IgnoreElements().Select(_ => Unit.Default),
            options =>
            {
                options.PingInterval = TimeSpan.FromMilliseconds(20);
                options.Timeout = TimeSpan.FromMinutes(1);
            }));
        using var recorder = new MetricsRecorder(server.Services.GetRequiredService<IMeterFactory>());

        // No receive is ever pending, so ClientWebSocket never reads the server's pings and never answers them: the
        // server's ping stays outstanding while the unsolicited pongs of the client's keep-alive (RFC 6455 §5.5.3 "A Pong
        // frame MAY be sent unsolicited") arrive, with a payload that matches no ping.
        using var client = new ClientWebSocket();
        client.Options.KeepAliveInterval = TimeSpan.FromMilliseconds(10);
        using (var cts = new CancellationTokenSource(s_timeout))
        {
            await client.ConnectAsync(server.WebSocketUri("/pinged"), cts.Token);
        }

        await recorder.WaitForAsync(WebSocketMetrics.FramesReceived, _ => recorder.Sum(WebSocketMetrics.FramesReceived, (WebSocketMetrics.FrameTypeTag, "pong")) >= 2);
        var closed = recorder.WaitForAsync(WebSocketMetrics.SessionsClosed, _ => true);
        client.Abort();
        await closed;

        Assert.Empty(recorder.Measurements(WebSocketMetrics.PingRoundTrip));
    }

    [Fact]
    public async Task HttpRequests_AreCountedByOutcome()
    {
        await using var server = await HostingTestServer.StartAsync(app => app.Get("/a", _ => ValueTask.CompletedTask));
        using var recorder = new MetricsRecorder(server.Services.GetRequiredService<IMeterFactory>());

        await server.Http.GetAsync("/a");
        await server.Http.GetAsync("/missing");
        await server.Http.DeleteAsync("/a");

        Assert.Equal(1, recorder.Sum(WebSocketMetrics.HttpRequests, (WebSocketMetrics.RouteMatchTag, "http")));
        Assert.Equal(1, recorder.Sum(WebSocketMetrics.HttpRequests, (WebSocketMetrics.RouteMatchTag, "not_found")));
        Assert.Equal(1, recorder.Sum(WebSocketMetrics.HttpRequests, (WebSocketMetrics.RouteMatchTag, "method_not_allowed")));
    }

    [Fact]
    public async Task Meter_IsNamedRxWebSockets_AndPerContainer()
    {
        await using var one = await HostingTestServer.StartAsync(app => app.Get("/a", _ => ValueTask.CompletedTask));
        await using var two = await HostingTestServer.StartAsync(app => app.Get("/a", _ => ValueTask.CompletedTask));
        using var recorder = new MetricsRecorder(one.Services.GetRequiredService<IMeterFactory>());

        await two.Http.GetAsync("/a");

        Assert.Equal(0, recorder.Sum(WebSocketMetrics.HttpRequests));
        Assert.Contains(WebSocketMetrics.SessionsClosed, recorder.PublishedInstruments);
        Assert.All(recorder.PublishedMeters, name => Assert.Equal("Rx.WebSockets", name));
    }

    /// <summary>A measurement and its tags.</summary>
    private sealed record Measurement(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)
    {
        public object? Tag(string name) => Tags.FirstOrDefault(t => t.Key == name).Value;
    }

    /// <summary>Records the measurements of the meters made by one <see cref="IMeterFactory"/>.</summary>
    private sealed class MetricsRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<Measurement> _measurements = new();
        private readonly ConcurrentQueue<(string Instrument, Func<Measurement, bool> Predicate, TaskCompletionSource Signal)> _waiters = new();

        public MetricsRecorder(IMeterFactory scope)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    PublishedInstruments.Add(instrument.Name);
                    Units[instrument.Name] = instrument.Unit;
                    PublishedMeters.Add(instrument.Meter.Name);
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(new Measurement(instrument.Name, value, tags.ToArray())));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(new Measurement(instrument.Name, value, tags.ToArray())));
            _listener.Start();
        }

        public ConcurrentBag<string> PublishedInstruments { get; } = new();

        public ConcurrentBag<string> PublishedMeters { get; } = new();

        public ConcurrentDictionary<string, string?> Units { get; } = new();

        public Measurement[] Measurements(string instrument) => _measurements.Where(m => m.Instrument == instrument).ToArray();

        public void RecordObservables() => _listener.RecordObservableInstruments();

        public long Sum(string instrument, params (string Key, object Value)[] tags) => _measurements
            .Where(m => m.Instrument == instrument && tags.All(t => Equals(m.Tag(t.Key), t.Value)))
            .Sum(m => (long)m.Value);

        public long Last(string instrument) => (long)_measurements.Last(m => m.Instrument == instrument).Value;

        public Task WaitForAsync(string instrument, Func<Measurement, bool> predicate)
        {
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue((instrument, predicate, signal));
            if (_measurements.Any(m => m.Instrument == instrument && predicate(m)))
            {
                signal.TrySetResult();
            }

            return signal.Task.WaitAsync(s_timeout);
        }

        public void Dispose() => _listener.Dispose();

        private void Add(Measurement measurement)
        {
            _measurements.Enqueue(measurement);
            foreach (var waiter in _waiters)
            {
                if (waiter.Instrument == measurement.Instrument && waiter.Predicate(measurement))
                {
                    waiter.Signal.TrySetResult();
                }
            }
        }
    }
}
