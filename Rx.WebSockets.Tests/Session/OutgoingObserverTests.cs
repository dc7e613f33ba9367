using System.Collections.Generic;
using System.IO.Pipelines;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>Outgoing and SendAsync: order, the byte limit with both overflow policies, and nothing lost silently.</summary>
public class OutgoingObserverTests
{
    [Fact]
    public async Task SendAsync_CompletesOnceWritten()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());

        await server.SendAsync(Frame.Binary(new byte[] { 1, 2, 3 })).Within();

        Assert.Equal(Frame.Binary(new byte[] { 1, 2, 3 }), await peer.ReceiveFrameAsync());
    }

    [Fact]
    public async Task Outgoing_FromManyThreads_EveryFrameArrivesInPerThreadOrder()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        const int threads = 4;
        const int perThread = 200;

        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < perThread; i++)
            {
                server.Outgoing.OnNext(Frame.Binary(new[] { (byte)t, (byte)(i >> 8), (byte)i }));
            }
        })));

        var next = new int[threads];
        for (int n = 0; n < threads * perThread; n++)
        {
            var payload = (await peer.ReceiveFrameAsync()).Payload.ToArray();
            Assert.Equal(next[payload[0]]++, (payload[1] << 8) | payload[2]);
        }
    }

    [Fact]
    public async Task Overflow_FailSession_Closes1008AndAccountsForEveryFrame()
    {
        // The peer does not read; the pipe pauses the session's writer at 1 KiB, so frames pile up in the outgoing buffer.
        var scheduler = new TestScheduler();
        var transport = new InMemoryTransport(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512, useSynchronizationContext: false));
        var options = new WebSocketOptions { PingInterval = null, Limits = new FrameLimits { MaxOutgoingBufferSize = 1000 } };
        var server = WebSocketSession.Create(transport.Server, Side.Server, options, scheduler);
        var peer = new WebSocketTestPeer(transport.Client, Side.Client);
        var incomingEnd = server.Incoming.Termination();
        const int sent = 200;

        for (int i = 0; i < sent; i++)
        {
            server.Outgoing.OnNext(Frame.Binary(new byte[100]));
        }

        // Failed synchronously on the overflowing OnNext: the session is closing (or, when the write loop has already
        // given up on the full pipe, closed) — never open.
        Assert.True(server.State is WebSocketState.Closing or WebSocketState.Closed, $"state {server.State}");
        scheduler.AdvanceBy(options.CloseTimeout.Ticks); // the Close cannot get past the full pipe: give up on it
        var reason = await server.CloseReason.Within();
        var frames = await peer.ReceiveAllAsync().Within();

        Assert.Equal(new CloseReason(CloseCode.ViolatedPolicy, "Outgoing buffer overflow"), reason);
        Assert.IsType<WebSocketException>(await incomingEnd);
        int written = frames.Count(f => f is BinaryFrame);
        Assert.True(server.UnsentFrameCount > 0);
        Assert.Equal(sent, written + server.UnsentFrameCount);
    }

    [Fact]
    public async Task Overflow_FailSession_SendAsyncOverflowFaults()
    {
        var scheduler = new TestScheduler();
        var transport = new InMemoryTransport(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512, useSynchronizationContext: false));
        var options = new WebSocketOptions { PingInterval = null, Limits = new FrameLimits { MaxOutgoingBufferSize = 1000 } };
        var server = WebSocketSession.Create(transport.Server, Side.Server, options, scheduler);
        var sends = new List<Task>();

        for (int i = 0; i < 50; i++)
        {
            sends.Add(server.SendAsync(Frame.Binary(new byte[100])));
        }

        scheduler.AdvanceBy(options.CloseTimeout.Ticks);
        await server.CloseReason.Within();
        await Task.WhenAny(Task.WhenAll(sends)).Within();

        Assert.Contains(sends, t => t.IsFaulted);
        Assert.Equal(CloseCode.ViolatedPolicy, (await server.CloseReason)!.Code);
    }

    [Fact]
    public async Task Overflow_Wait_SendAsyncWaitsForRoomAndEveryFrameArrivesInOrder()
    {
        var scheduler = new TestScheduler();
        var transport = new InMemoryTransport(new PipeOptions(pauseWriterThreshold: 256, resumeWriterThreshold: 128, useSynchronizationContext: false));
        var options = new WebSocketOptions
        {
            PingInterval = null,
            OutgoingOverflowPolicy = OutgoingOverflowPolicy.Wait,
            Limits = new FrameLimits { MaxOutgoingBufferSize = 300 },
        };
        var server = WebSocketSession.Create(transport.Server, Side.Server, options, scheduler);
        var peer = new WebSocketTestPeer(transport.Client, Side.Client);
        var sends = Enumerable.Range(0, 20).Select(i => server.SendAsync(Frame.Binary(Enumerable.Repeat((byte)i, 100).ToArray()))).ToList();

        // Nobody reads yet: the pipe holds at most ~256 bytes and the buffer 300, so the last sends cannot have completed.
        Assert.False(sends[^1].IsCompleted);
        Assert.Equal(WebSocketState.Open, server.State);

        for (int i = 0; i < 20; i++)
        {
            Assert.Equal((byte)i, (await peer.ReceiveFrameAsync()).Payload.Span[0]);
        }

        await Task.WhenAll(sends).Within();
        Assert.Equal(0, server.UnsentFrameCount);
    }

    [Fact]
    public async Task FragmentsOutOfOrder_FrameRefusedAndReportedSessionGoesOn()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());

        var bad = server.SendAsync(Frame.Continuation(new byte[] { 1 }, isFinal: true));
        await Assert.ThrowsAsync<InvalidOperationException>(() => bad.Within());
        await server.SendAsync(Frame.Text("still open")).Within();

        Assert.Equal(Frame.Text("still open"), await peer.ReceiveFrameAsync());
    }

    [Fact]
    public async Task FragmentedSend_PeerReceivesTheFragments()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());

        server.Outgoing.OnNext(Frame.Text(new byte[] { 0x61 }, isFinal: false));
        server.Outgoing.OnNext(Frame.Continuation(new byte[] { 0x62 }, isFinal: true));

        Assert.Equal(Frame.Text(new byte[] { 0x61 }, isFinal: false), await peer.ReceiveFrameAsync());
        Assert.Equal(Frame.Continuation(new byte[] { 0x62 }, isFinal: true), await peer.ReceiveFrameAsync());
    }

    [Fact]
    public async Task ClientSession_MasksWhatItSends()
    {
        var transport = new InMemoryTransport();
        var client = WebSocketSession.Create(transport.Client, Side.Client, new WebSocketOptions { PingInterval = null }, new TestScheduler());
        var serverPeer = new WebSocketTestPeer(transport.Server, Side.Server);

        client.Send("hi");

        // The server peer's decoder rejects unmasked frames (RFC 6455 §5.1), so receiving it proves the mask.
        Assert.Equal(Frame.Text("hi"), await serverPeer.ReceiveFrameAsync());
        Assert.True(client.Masking);
    }
}
