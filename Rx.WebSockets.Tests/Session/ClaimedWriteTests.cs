using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>
/// The read loop writing the answers to one read itself (issue 6: one flush per read, no write-loop wake-up): the queue
/// hands it the write side only while the write loop is parked, defers the write loop's wake-ups meanwhile, and leaves
/// a Close (RFC 6455 §5.5.1: nothing may follow it) to the write loop.
/// </summary>
public class ClaimedWriteTests
{
    [Fact]
    public void Claim_WriteLoopNotParked_IsRefused()
    {
        var queue = new OutgoingQueue(1000);

        Assert.False(queue.TryClaimWriter());
    }

    [Fact]
    public async Task Claim_WriteLoopParked_DefersItsWakeUpUntilFramesAreLeftOnRelease()
    {
        var queue = new OutgoingQueue(1000);
        var wait = queue.WaitToReadAsync();
        Assert.True(queue.TryClaimWriter());
        Assert.False(queue.TryClaimWriter());

        queue.Post(Frame.Text("echo"));
        Assert.False(wait.IsCompleted);
        Assert.True(queue.TryDequeueClaimed(out var item));
        Assert.Equal(Frame.Text("echo"), item.Frame);
        queue.ReleaseWriter(wake: false);
        // Nothing left: the write loop sleeps on.
        Assert.False(wait.IsCompleted);

        queue.Post(Frame.Text("later"));
        Assert.True(wait.IsCompleted);
        Assert.True(await wait);
    }

    [Fact]
    public async Task Claim_ReleaseWithFramesLeft_WakesTheWriteLoop()
    {
        var queue = new OutgoingQueue(1000);
        var wait = queue.WaitToReadAsync();
        Assert.True(queue.TryClaimWriter());
        queue.Post(Frame.Text("one"));
        queue.Post(Frame.Text("two"));
        Assert.True(queue.TryDequeueClaimed(out _));

        queue.ReleaseWriter(wake: false);

        Assert.True(wait.IsCompleted);
        Assert.True(await wait);
        Assert.True(queue.TryDequeue(out var item));
        Assert.Equal(Frame.Text("two"), item.Frame);
    }

    [Fact]
    public async Task Claim_ReleaseWithWake_WakesTheWriteLoopWithoutFrames()
    {
        var queue = new OutgoingQueue(1000);
        var wait = queue.WaitToReadAsync();
        Assert.True(queue.TryClaimWriter());

        queue.ReleaseWriter(wake: true);

        Assert.True(wait.IsCompleted);
        Assert.True(await wait);
    }

    [Fact]
    public async Task ClaimedDequeue_GracefulClose_IsLeftToTheWriteLoop()
    {
        var queue = new OutgoingQueue(1000);
        var wait = queue.WaitToReadAsync();
        Assert.True(queue.TryClaimWriter());
        queue.Post(Frame.Text("last words"));
        queue.SealWithClose(Frame.Close(CloseReason.Normal));

        Assert.True(queue.TryDequeueClaimed(out var item));
        Assert.Equal(Frame.Text("last words"), item.Frame);
        Assert.False(queue.TryDequeueClaimed(out _));
        queue.ReleaseWriter(wake: false);

        Assert.True(await wait);
        Assert.True(queue.TryDequeue(out item));
        Assert.IsType<CloseFrame>(item.Frame);
    }

    [Fact]
    public void ClaimedDequeue_FailingCloseOnControlLane_IsLeftToTheWriteLoopAheadOfData()
    {
        var queue = new OutgoingQueue(1000);
        _ = queue.WaitToReadAsync();
        Assert.True(queue.TryClaimWriter());
        queue.Post(Frame.Text("queued"));
        queue.Seal(new WebSocketException("failing"));
        queue.PostControl(Frame.Close(new CloseReason(CloseCode.ProtocolError)));

        Assert.False(queue.TryDequeueClaimed(out _));
    }

    [Fact]
    public async Task Claim_AbortWhileClaimed_WakesTheWriteLoopOnlyOnRelease()
    {
        var queue = new OutgoingQueue(1000);
        var wait = queue.WaitToReadAsync();
        Assert.True(queue.TryClaimWriter());

        queue.Abort(new WebSocketException("gone"));
        // The holder may still be writing into the transport: the write loop must not complete it under its feet.
        Assert.False(wait.IsCompleted);
        Assert.False(queue.TryDequeueClaimed(out _));
        queue.ReleaseWriter(wake: false);

        Assert.True(wait.IsCompleted);
        Assert.False(await wait);
    }

    [Fact]
    public async Task Claim_SendBeforeTheHolderWrites_TakesTheClaimBackAndWakesTheWriteLoop()
    {
        var queue = new OutgoingQueue(1000);
        var wait = queue.WaitToReadAsync();
        Assert.True(queue.TryClaimWriter());
        queue.Post(Frame.Text("posted"));
        Assert.False(wait.IsCompleted);

        // A task someone may block on, even the read loop's own observer: the write loop must write it, not the holder.
        queue.Send(Frame.Text("sent"), wait: false, default, out var written);

        Assert.True(wait.IsCompleted);
        Assert.True(await wait);
        Assert.False(queue.TryDequeueClaimed(out _));
        Assert.True(queue.TryDequeue(out var first));
        Assert.Equal(Frame.Text("posted"), first.Frame);
        Assert.True(queue.TryDequeue(out var second));
        Assert.Equal(Frame.Text("sent"), second.Frame);
        Assert.False(written.IsCompleted);
    }

    [Fact]
    public void Claim_SendWhileTheHolderWrites_KeepsTheClaim()
    {
        var queue = new OutgoingQueue(1000);
        var wait = queue.WaitToReadAsync();
        Assert.True(queue.TryClaimWriter());
        queue.Post(Frame.Text("posted"));
        Assert.True(queue.TryDequeueClaimed(out _));

        queue.Send(Frame.Text("sent"), wait: false, default, out _);

        // The holder is writing (no application code runs on it): it picks the frame up in the same flush.
        Assert.False(wait.IsCompleted);
        Assert.True(queue.TryDequeueClaimed(out var item));
        Assert.Equal(Frame.Text("sent"), item.Frame);
    }

    [Fact]
    public async Task Session_ObserverBlockingOnItsOwnSendAsync_DoesNotDeadlock()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        // Blocking in OnNext is poor Rx style, but it must not hang the session: the read loop holds the write side
        // while it delivers, and would only write after this observer returned.
        var timedOut = 0;
        using var echo = server.Incoming.Subscribe(f =>
        {
            if (!server.SendAsync(Frame.Text(((TextFrame)f).GetText())).Wait(SessionTesting.EventTimeout))
            {
                Interlocked.Increment(ref timedOut);
            }
        });
        server.Start();
        var texts = Enumerable.Range(0, 8).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

        await peer.SendBytesAsync(EncodeClientFrames(texts.Select(t => (Frame)Frame.Text(t))));

        var received = new List<string>();
        for (int i = 0; i < texts.Length; i++)
        {
            received.Add(Assert.IsType<TextFrame>(await peer.ReceiveFrameAsync().Within()).GetText());
        }

        Assert.Equal(texts, received);
        Assert.Equal(0, Volatile.Read(ref timedOut));
        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        Assert.Equal(CloseReason.Normal, await server.CloseReason.Within());
    }

    [Fact]
    public async Task Session_ManyFramesInOneRead_AreEchoedInOrderAndTheCloseFollowsThem()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        using var echo = server.Incoming.Subscribe(f => server.Outgoing.OnNext(Frame.Text(((TextFrame)f).GetText())));
        server.Start();
        // A first round trip, so that later reads usually find the write loop idle and write their answers themselves.
        await peer.SendAsync(Frame.Text("warm-up"));
        Assert.Equal("warm-up", Assert.IsType<TextFrame>(await peer.ReceiveFrameAsync()).GetText());

        var texts = Enumerable.Range(0, 16).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        await peer.SendBytesAsync(EncodeClientFrames(texts.Select(t => (Frame)Frame.Text(t)).Append(Frame.Close(CloseReason.Normal))));

        var received = new List<string>();
        for (int i = 0; i < texts.Length; i++)
        {
            received.Add(Assert.IsType<TextFrame>(await peer.ReceiveFrameAsync()).GetText());
        }

        Assert.Equal(texts, received);
        Assert.Equal(CloseReason.Normal, Assert.IsType<CloseFrame>(await peer.ReceiveFrameAsync()).Reason);
        Assert.Equal(CloseReason.Normal, await server.CloseReason.Within());
    }

    [Fact]
    public async Task Session_ConsumerAwaitingItsOwnSends_IsNotBlockedByTheReadLoopsWrite()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var texts = Enumerable.Range(0, 8).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        // All in one read: the read loop holds the write side while the one-frame buffer fills, and must let go of it
        // before it waits for the consumer, which waits for its own send to be written.
        await peer.SendBytesAsync(EncodeClientFrames(texts.Select(t => (Frame)Frame.Text(t))));
        var consuming = Task.Run(async () =>
        {
            await foreach (var frame in server.ReadAllAsync(bufferCapacity: 1))
            {
                await server.SendAsync(Frame.Text(((TextFrame)frame).GetText()));
            }
        });

        var received = new List<string>();
        for (int i = 0; i < texts.Length; i++)
        {
            received.Add(Assert.IsType<TextFrame>(await peer.ReceiveFrameAsync()).GetText());
        }

        Assert.Equal(texts, received);
        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        await consuming.Within();
        Assert.Equal(CloseReason.Normal, await server.CloseReason.Within());
    }

    private static ReadOnlyMemory<byte> EncodeClientFrames(IEnumerable<Frame> frames)
    {
        var encoder = new FrameEncoder(Side.Client, new FixedMaskKeySource("01020304"));
        var output = new ArrayBufferWriter<byte>();
        foreach (var frame in frames)
        {
            encoder.Encode(frame, output);
        }

        return output.WrittenMemory;
    }
}
