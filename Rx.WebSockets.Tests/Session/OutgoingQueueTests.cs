using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Tests.Session;

/// <summary>The session's outgoing buffer: two lanes, a byte limit, overflow policies, and no frame lost silently.</summary>
public class OutgoingQueueTests
{
    [Fact]
    public void Queue_ControlLane_IsDequeuedBeforeQueuedDataFrames()
    {
        var queue = new OutgoingQueue(1000);
        queue.Post(Frame.Text("one"));
        queue.Post(Frame.Text("two"));
        queue.PostControl(Frame.Pong(new byte[] { 7 }));

        Assert.Equal(new Frame[] { Frame.Pong(new byte[] { 7 }), Frame.Text("one"), Frame.Text("two") }, DrainFrames(queue));
    }

    [Fact]
    public void Queue_UnsentPong_IsReplacedByNewerPong()
    {
        var queue = new OutgoingQueue(1000);
        queue.PostControl(Frame.Pong(new byte[] { 1 }));
        queue.PostControl(Frame.Ping(new byte[] { 9 }));
        queue.PostControl(Frame.Pong(new byte[] { 2 }));
        queue.PostControl(Frame.Pong(new byte[] { 3 }));

        Assert.Equal(new Frame[] { Frame.Pong(new byte[] { 3 }), Frame.Ping(new byte[] { 9 }) }, DrainFrames(queue));
    }

    [Fact]
    public void Queue_PostBeyondLimit_OverflowsAndCountsUnsent()
    {
        var queue = new OutgoingQueue(10);

        Assert.Equal(EnqueueStatus.Accepted, queue.Post(Frame.Binary(new byte[6])));
        Assert.Equal(EnqueueStatus.Accepted, queue.Post(Frame.Binary(new byte[4])));
        Assert.Equal(EnqueueStatus.Overflow, queue.Post(Frame.Binary(new byte[1])));

        Assert.Equal(1, queue.UnsentFrameCount);
        Assert.Equal(10, queue.BufferedBytes);
    }

    [Fact]
    public void Queue_FrameLargerThanLimit_FitsAnEmptyQueue()
    {
        var queue = new OutgoingQueue(10);

        Assert.Equal(EnqueueStatus.Accepted, queue.Post(Frame.Binary(new byte[50])));
        Assert.Equal(EnqueueStatus.Overflow, queue.Post(Frame.Binary(new byte[1])));
    }

    [Fact]
    public void Queue_ControlFrames_DoNotCountAgainstLimit()
    {
        var queue = new OutgoingQueue(4);
        queue.Post(Frame.Binary(new byte[4]));

        Assert.True(queue.PostControl(Frame.Pong(new byte[100])));
        Assert.Equal(4, queue.BufferedBytes);
    }

    [Fact]
    public async Task Queue_SendWritten_CompletesTaskAndFreesBytes()
    {
        var queue = new OutgoingQueue(10);
        Assert.Equal(EnqueueStatus.Accepted, queue.Send(Frame.Binary(new byte[8]), wait: false, default, out var written));

        var batch = Dequeue(queue);
        Assert.False(written.IsCompleted);
        queue.OnWritten(batch);

        await written.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, queue.BufferedBytes);
    }

    [Fact]
    public void Queue_SendBeyondLimitWithoutWait_FaultsAndOverflows()
    {
        var queue = new OutgoingQueue(10);
        queue.Post(Frame.Binary(new byte[10]));

        Assert.Equal(EnqueueStatus.Overflow, queue.Send(Frame.Binary(new byte[1]), wait: false, default, out var written));

        Assert.True(written.IsFaulted);
        Assert.Equal(0, queue.UnsentFrameCount); // reported through the task, not the counter
    }

    [Fact]
    public async Task Queue_SendBeyondLimitWithWait_WaitsForRoomThenKeepsOrder()
    {
        var queue = new OutgoingQueue(10);
        queue.Post(Frame.Binary(new byte[8]));

        Assert.Equal(EnqueueStatus.Waiting, queue.Send(Frame.Binary(new byte[5]), wait: true, default, out var waiting));
        // A frame posted while another waits would overtake it, so it overflows instead.
        Assert.Equal(EnqueueStatus.Overflow, queue.Post(Frame.Binary(new byte[1])));

        var first = Dequeue(queue);
        Assert.Single(first);
        Assert.False(waiting.IsCompleted);
        queue.OnWritten(first); // frees 8 bytes: the waiting frame is admitted

        var second = Dequeue(queue);
        Assert.Equal(Frame.Binary(new byte[5]), Assert.Single(second).Frame);
        queue.OnWritten(second);
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Queue_WaitingSendCancelled_TaskCancelledAndNotSent()
    {
        var queue = new OutgoingQueue(10);
        queue.Post(Frame.Binary(new byte[10]));
        using var cts = new CancellationTokenSource();
        queue.Send(Frame.Binary(new byte[5]), wait: true, cts.Token, out var waiting);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Single(Dequeue(queue));
    }

    [Fact]
    public async Task Queue_Abort_FaultsEverySendAndCountsEveryObserverFrame()
    {
        var queue = new OutgoingQueue(10);
        queue.Post(Frame.Text("a"));
        queue.Send(Frame.Text("b"), wait: false, default, out var queued);
        queue.Post(Frame.Binary(new byte[9]));
        queue.Send(Frame.Binary(new byte[5]), wait: true, default, out var waiting);
        var inFlight = Dequeue(queue, max: 1);
        var reason = new ConnectionClosedException(null, CloseReason.Normal);

        queue.Abort(reason, inFlight);

        Assert.Same(reason, await Assert.ThrowsAsync<ConnectionClosedException>(() => queued.WaitAsync(TimeSpan.FromSeconds(5))));
        Assert.Same(reason, await Assert.ThrowsAsync<ConnectionClosedException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5))));
        Assert.Equal(2, queue.UnsentFrameCount); // "a" (in flight) and the 9-byte frame
        Assert.False(await queue.WaitToReadAsync());
    }

    [Fact]
    public void Queue_AfterAbort_PostCountsUnsentAndSendFaults()
    {
        var queue = new OutgoingQueue(10);
        queue.Abort(new ConnectionClosedException(null, null));

        Assert.Equal(EnqueueStatus.Closed, queue.Post(Frame.Text("late")));
        Assert.Equal(EnqueueStatus.Closed, queue.Send(Frame.Text("late"), wait: false, default, out var written));
        Assert.False(queue.PostControl(Frame.Pong()));

        Assert.Equal(1, queue.UnsentFrameCount);
        Assert.IsType<ConnectionClosedException>(written.Exception!.InnerException);
    }

    [Fact]
    public void Queue_SealWithClose_CloseFollowsQueuedFramesAndLaterFramesAreRefused()
    {
        var queue = new OutgoingQueue(10);
        queue.Post(Frame.Text("last words"));

        Assert.True(queue.SealWithClose(Frame.Close(CloseReason.Normal)));
        Assert.False(queue.SealWithClose(Frame.Close(CloseReason.GoingAway)));
        Assert.Equal(EnqueueStatus.Closed, queue.Post(Frame.Text("too late")));

        Assert.Equal(new Frame[] { Frame.Text("last words"), Frame.Close(CloseReason.Normal) }, DrainFrames(queue));
        Assert.Equal(1, queue.UnsentFrameCount);
    }

    [Fact]
    public async Task Queue_WaitToRead_WakesWhenAFrameArrivesFromAnotherThread()
    {
        var queue = new OutgoingQueue(10);
        var wait = queue.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);

        await Task.Run(() => queue.Post(Frame.Text("x")));

        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Queue_ConcurrentProducers_EveryFrameWrittenOrCounted()
    {
        var queue = new OutgoingQueue(1000);
        const int producers = 4;
        const int perProducer = 500;
        int written = 0;
        var consumer = Task.Run(async () =>
        {
            var batch = new List<OutgoingItem>();
            while (await queue.WaitToReadAsync())
            {
                while (queue.TryDequeue(out var item))
                {
                    batch.Add(item);
                }

                written += batch.Count;
                queue.OnWritten(batch);
                batch.Clear();
            }
        });

        var tasks = new List<Task>();
        for (int p = 0; p < producers; p++)
        {
            tasks.Add(Task.Run(() =>
            {
                for (int i = 0; i < perProducer; i++)
                {
                    queue.Post(Frame.Binary(new byte[10]));
                }
            }));
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
        // Wait for the consumer to catch up, then stop it.
        while (queue.BufferedBytes > 0)
        {
            await Task.Yield();
        }

        queue.Abort(new ConnectionClosedException(null, null));
        await consumer.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(producers * perProducer, written + queue.UnsentFrameCount);
    }

    private static List<OutgoingItem> Dequeue(OutgoingQueue queue, int max = int.MaxValue)
    {
        var items = new List<OutgoingItem>();
        while (items.Count < max && queue.TryDequeue(out var item))
        {
            items.Add(item);
        }

        return items;
    }

    private static List<Frame> DrainFrames(OutgoingQueue queue) => Dequeue(queue).ConvertAll(i => i.Frame);
}
