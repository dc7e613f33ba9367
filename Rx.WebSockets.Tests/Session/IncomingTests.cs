using System.Collections.Generic;
using System.IO.Pipelines;
using System.Linq;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>Incoming: reassembly (RFC 6455 §5.4), backpressure, the async-enumerable view, messages, and LINQ over frames.</summary>
public class IncomingTests : ReactiveTest
{
    [Fact]
    public async Task Incoming_FragmentedMessageWithPingInside_OneWholeFrameAndAPong()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var first = server.Incoming.FirstValue();
        server.Start();

        await peer.SendAsync(Frame.Text(Encoding.UTF8.GetBytes("Hel"), isFinal: false));
        await peer.SendAsync(Frame.Ping(new byte[] { 7 }));
        await peer.SendAsync(Frame.Continuation(Encoding.UTF8.GetBytes("lo"), isFinal: true));

        Assert.Equal(Frame.Text("Hello"), await first);
        Assert.Equal(Frame.Pong(new byte[] { 7 }), await peer.ReceiveFrameAsync());
    }

    [Fact]
    public async Task Incoming_NextFrameNotReadUntilOnNextReturns()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        using var release = new SemaphoreSlim(0);
        var order = new List<string>();
        var entered = new TaskCompletionSource();
        server.Incoming.OfType<TextFrame>().Subscribe(f =>
        {
            lock (order)
            {
                order.Add("start " + f.GetText());
            }

            if (f.GetText() == "1")
            {
                entered.SetResult();
                release.Wait(); // a slow observer: the read loop waits for it
            }

            lock (order)
            {
                order.Add("end " + f.GetText());
            }
        });
        var second = server.Incoming.Skip(1).FirstValue();
        server.Start();

        await peer.SendAsync(Frame.Text("1"));
        await peer.SendAsync(Frame.Text("2"));
        await entered.Task.Within();
        lock (order)
        {
            Assert.Equal(new[] { "start 1" }, order);
        }

        release.Release();
        await second;
        Assert.Equal(new[] { "start 1", "end 1", "start 2", "end 2" }, order);
    }

    [Fact]
    public async Task Incoming_ObserverThrows_Closes1011AndIncomingErrors()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var end = server.Incoming.Termination();
        server.Incoming.Subscribe(_ => throw new InvalidOperationException("bug"));
        server.Start();

        await peer.SendAsync(Frame.Text("x"));

        Assert.Equal(CloseCode.InternalError, Assert.IsType<CloseFrame>(await peer.ReceiveFrameAsync()).Reason!.Code);
        Assert.IsType<InvalidOperationException>(await end);
    }

    [Fact]
    public async Task ReadAllAsync_WithAnIxOperator_BuffersPairs()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        for (int i = 1; i <= 4; i++)
        {
            await peer.SendAsync(Frame.Text(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        await peer.SendAsync(Frame.Close(CloseReason.Normal));

        var pairs = new List<string>();
        // System.Interactive.Async's Buffer over the session's async view.
        await foreach (var pair in AsyncEnumerableEx.Buffer(server.ReadAllAsync(bufferCapacity: 2), 2))
        {
            pairs.Add(string.Concat(pair.Select(f => ((TextFrame)f).GetText())));
        }

        Assert.Equal(new[] { "12", "34" }, pairs);
        Assert.Equal(CloseReason.Normal, await server.CloseReason.Within());
    }

    [Fact]
    public async Task ReadAllAsync_BufferFull_StopsReadingTheTransport()
    {
        // A tiny pipe: the peer's flush waits until the session consumes what it sent.
        var transport = new InMemoryTransport(new PipeOptions(pauseWriterThreshold: 64, resumeWriterThreshold: 32, useSynchronizationContext: false));
        var server = WebSocketSession.Create(transport.Server, Side.Server, new WebSocketOptions { PingInterval = null }, new TestScheduler());
        var peer = new WebSocketTestPeer(transport.Client, Side.Client);
        await using var frames = server.ReadAllAsync(bufferCapacity: 1).GetAsyncEnumerator();
        var firstMove = frames.MoveNextAsync().AsTask(); // starts the session; one frame fits the buffer

        var sending = Task.Run(async () =>
        {
            for (int i = 0; i < 10; i++)
            {
                await peer.SendAsync(Frame.Binary(Enumerable.Repeat((byte)i, 50).ToArray()));
            }
        });

        Assert.True(await firstMove.Within());
        // The consumer holds frame 0; the buffer takes frame 1; frame 2 waits on the read loop; the pipe holds ~64 bytes.
        // So the peer cannot have flushed all ten 56-byte frames.
        Assert.False(sending.IsCompleted);

        for (int i = 0; i < 10; i++)
        {
            Assert.Equal((byte)i, frames.Current.Payload.Span[0]);
            if (i < 9)
            {
                Assert.True(await frames.MoveNextAsync().AsTask().Within());
            }
        }

        await sending.Within();
    }

    [Fact]
    public async Task ReadAllAsync_PeerVanishes_ThrowsConnectionClosed()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        await peer.SendAsync(Frame.Text("last"));
        peer.CompleteOutput();

        var seen = new List<Frame>();
        var error = await Assert.ThrowsAsync<ConnectionClosedException>(async () =>
        {
            await foreach (var frame in server.ReadAllAsync())
            {
                seen.Add(frame);
            }
        }).Within();

        Assert.Equal(new Frame[] { Frame.Text("last") }, seen);
        Assert.Null(error.Received);
    }

    [Fact]
    public async Task Messages_RawSessionFragments_AreAssembled()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler(), raw: true);
        var message = server.Messages().FirstValue();
        server.Start();

        await peer.SendAsync(Frame.Binary(new byte[] { 1 }, isFinal: false));
        await peer.SendAsync(Frame.Continuation(new byte[] { 2 }, isFinal: true));

        Assert.Equal(Frame.Binary(new byte[] { 1, 2 }), await message);
    }

    [Fact]
    public async Task Linq_EchoOfUpperCasedTextFramesOnly()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        server.Incoming.OfType<TextFrame>()
            .Where(f => f.GetText().Length > 0)
            .Select(f => Frame.Text(f.GetText().ToUpperInvariant()))
            .Subscribe(server.Outgoing);
        server.Start();

        await peer.SendAsync(Frame.Binary(new byte[] { 0 }));
        await peer.SendAsync(Frame.Text("rx"));

        Assert.Equal(Frame.Text("RX"), await peer.ReceiveFrameAsync());
    }

    [Fact]
    public async Task Linq_BufferFramesOverVirtualTime()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler);
        var batches = scheduler.CreateObserver<IList<Frame>>();
        server.Incoming.Buffer(TimeSpan.FromSeconds(1), scheduler).Where(b => b.Count > 0).Subscribe(batches);
        var threeArrived = server.Incoming.Take(3).ToTask();
        server.Start();

        foreach (var text in new[] { "a", "b", "c" })
        {
            await peer.SendAsync(Frame.Text(text));
        }

        await threeArrived.Within();
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        var batch = Assert.Single(batches.Messages).Value.Value;
        Assert.Equal(new Frame[] { Frame.Text("a"), Frame.Text("b"), Frame.Text("c") }, batch);
        Assert.Equal(TimeSpan.FromSeconds(1).Ticks, batches.Messages[0].Time);
    }

    [Fact]
    public async Task Linq_ThrottleFramesOverVirtualTime()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler);
        var settled = scheduler.CreateObserver<Frame>();
        server.Incoming.Throttle(TimeSpan.FromMilliseconds(500), scheduler).Subscribe(settled);
        var burst = server.Incoming.Take(3).ToTask();
        server.Start();

        foreach (var text in new[] { "typing", "typing.", "typing.." })
        {
            await peer.SendAsync(Frame.Text(text));
        }

        await burst.Within();
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(500).Ticks);

        Assert.Equal(Frame.Text("typing.."), Assert.Single(settled.Messages).Value.Value);
    }
}
