using System.Collections.Generic;
using System.Linq;
using System.Net.WebSockets;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Examples.Ticker;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;

namespace Rx.WebSockets.Tests.Examples;

/// <summary>The Ticker example on a TestScheduler: ticks come exactly once per period of virtual time, with deterministic prices.</summary>
public sealed class TickerTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_period = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Handle_ThreePeriodsOfVirtualTime_SendsOpeningQuoteAndExactlyThreeTicks()
    {
        var scheduler = new TestScheduler();
        var options = new WebSocketOptions { PingInterval = null };
        await using var pair = WebSocketTestPair.Create(scheduler, options, options);
        var texts = pair.Client.Incoming.OfType<TextFrame>().Select(frame => Tick(frame.GetText())).Replay();
        using var connection = texts.Connect();
        var all = texts.ToList().ToTask();
        using var run = pair.Server.Run(session => TickerModule.Handle(session, "ABC", s_period, scheduler)).Subscribe();
        pair.Client.Start();

        var opening = await texts.FirstAsync().ToTask().WaitAsync(s_timeout);
        scheduler.AdvanceBy(s_period.Ticks * 3);
        await texts.Skip(3).FirstAsync().ToTask().WaitAsync(s_timeout);
        // No virtual time passes from here on: whatever else arrives before the close was sent during the three periods.
        await pair.Client.SendAsync(Frame.Close(CloseReason.Normal)).WaitAsync(s_timeout);
        var ticks = await all.WaitAsync(s_timeout);

        Assert.Equal(opening, ticks[0]);
        AssertExpectedWalk(ticks.ToArray());
    }

    [Fact]
    public async Task Configure_OverLoopbackOnApplicationScheduler_TicksOnlyWhenVirtualTimeAdvances()
    {
        var scheduler = new TestScheduler();
        await using var services = new ServiceCollection()
            .AddSingleton<IScheduler>(scheduler)
            .AddRxWebSockets(o => o.PingInterval = null)
            .BuildServiceProvider();
        await using var server = EmbeddedServer.Create(
            Engines.Cio, 0, "127.0.0.1", services: services, module: app => TickerModule.Configure(app, s_period));
        await server.StartAsync().WaitAsync(s_timeout);
        Assert.Same(scheduler, server.Application.Scheduler);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.LocalEndPoints[0].Port}/ticker?symbol=abc"), CancellationToken.None).WaitAsync(s_timeout);

        var ticks = new List<Tick> { await ReceiveAsync(client) };
        scheduler.AdvanceBy(s_period.Ticks * 3);
        for (int i = 0; i < 3; i++)
        {
            ticks.Add(await ReceiveAsync(client));
        }

        // Anything sent after the third tick would arrive before the server's Close.
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(s_timeout);
        var end = await client.ReceiveAsync(new byte[1024], CancellationToken.None).WaitAsync(s_timeout);
        Assert.Equal(WebSocketMessageType.Close, end.MessageType);
        AssertExpectedWalk(ticks);
    }

    [Fact]
    public void Ticks_SameSymbol_SameWalk_OtherSymbol_OtherWalk()
    {
        static IList<Tick> Walk(string symbol)
        {
            var scheduler = new TestScheduler();
            var ticks = new List<Tick>();
            using var subscription = TickerModule.Ticks(symbol, s_period, scheduler).Subscribe(ticks.Add);
            scheduler.AdvanceBy(s_period.Ticks * 20);
            return ticks;
        }

        var abc = Walk("ABC");
        Assert.Equal(20, abc.Count);
        Assert.Equal(abc, Walk("ABC"));
        Assert.NotEqual(abc.Select(t => t.Price), Walk("XYZ").Select(t => t.Price));
        Assert.All(abc.Zip(abc.Skip(1)), p => Assert.InRange(Math.Abs(p.Second.Price - p.First.Price), 0m, 1m));
    }

    [Theory]
    [InlineData(null, "ABC")]
    [InlineData(" msft ", "MSFT")]
    [InlineData("ABCDEFGH", "ABCDEFGH")]
    [InlineData("ABCDEFGHI", null)]
    [InlineData("A-B", null)]
    public void NormalizeSymbol_Value_UppercasesDefaultsAndValidates(string? value, string? expected) =>
        Assert.Equal(expected, TickerModule.NormalizeSymbol(value));

    /// <summary>
    /// The walk of ABC, checked against an independent re-implementation (FNV-1a("ABC") gives the start, xorshift64* the steps). A
    /// change here means every ABC client sees other prices.
    /// </summary>
    private static void AssertExpectedWalk(IReadOnlyList<Tick> ticks)
    {
        var expected = new[] { 134.75m, 134.72m, 134.59m, 134.04m };
        Assert.Equal(4, ticks.Count);
        for (int i = 0; i < ticks.Count; i++)
        {
            Assert.Equal("ABC", ticks[i].Symbol);
            Assert.Equal(i, ticks[i].Seq);
            Assert.Equal(new DateTimeOffset(s_period.Ticks * i, TimeSpan.Zero), ticks[i].Time);
        }

        Assert.Equal(expected, ticks.Select(t => t.Price));
    }

    private static Tick Tick(string json) => JsonSerializer.Deserialize(json, TickerJsonContext.Default.Tick)!;

    private static async Task<Tick> ReceiveAsync(ClientWebSocket client)
    {
        var buffer = new byte[4096];
        var result = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(s_timeout);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        Assert.True(result.EndOfMessage);
        return Tick(Encoding.UTF8.GetString(buffer, 0, result.Count));
    }
}
