using System.Buffers.Binary;
using System.Linq;
using System.Reactive.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Tests.Robustness;

/// <summary>
/// A client that never reads (RFC 6455 §10.4, "implementations ... should impose limits"): the server's outgoing buffer
/// (<see cref="FrameLimits.MaxOutgoingBufferSize"/>) caps what a session holds for it, whichever
/// <see cref="OutgoingOverflowPolicy"/> applies, and the other sessions of the server keep working.
/// </summary>
public sealed class NeverReadingClientTests
{
    private const int ChunkSize = 16 * 1024;

    // 32 MiB in all: several times what the kernel's socket buffers and the transport pipe can absorb on loopback.
    private const int ChunkCount = 2000;
    private const long OutgoingLimit = 256 * 1024;
    // Four times the largest send buffer Linux gives a socket (tcp_wmem's maximum, 4 MiB by default), while the client's
    // receive buffer is pinned small: the frame cannot leave the server while the client does not read.
    private const int StuckFrameSize = 16 * 1024 * 1024;
    private const int PinnedReceiveBuffer = 64 * 1024;
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task NeverReadingClient_FailSessionPolicy_BufferNeverAboveTheLimit_1008_OtherSessionUnaffected()
    {
        var scheduler = new TestScheduler();
        var flood = new FloodRecord();
        await using var server = WsServer.Start(
            _ => new WebSocketOptions { PingInterval = null, CloseTimeout = s_closeTimeout, Limits = new FrameLimits { MaxOutgoingBufferSize = OutgoingLimit } },
            scheduler,
            session => session.Call.Path == "/flood" ? FloodThroughOutgoing(session, flood) : session.Run(frames => frames));

        await using var reader = await server.ConnectAsync();
        await reader.UpgradeAsync("/flood");
        var flooded = await server.NextSessionAsync();

        // The application kept sending until the session refused: the buffer hit its cap, not the process's memory.
        Assert.InRange(flood.HighWater, 1, OutgoingLimit);
        Assert.True(flood.Sent < ChunkCount, $"All {flood.Sent} chunks fit: the client read them, the test proves nothing.");
        Assert.True(flood.Sent * (long)ChunkSize > OutgoingLimit);
        Assert.NotEqual(WebSocketState.Open, flooded.Session.State);
        Assert.True(flooded.Session.UnsentFrameCount >= 1);

        // Another session on the same server, while the first is stuck: its echo round trip completes.
        await using (var other = await server.ConnectAsync())
        {
            await other.UpgradeAsync("/echo");
            var echo = await server.NextSessionAsync();
            await other.SendBytes(WsWire.ClientFrame(WsWire.OpText, "unaffected"u8));
            var (opcode, _, payload) = await other.ReadFrameAsync();
            Assert.Equal(WsWire.OpText, opcode);
            Assert.Equal("unaffected", Encoding.UTF8.GetString(payload));
            await other.SendBytes(WsWire.ClientClose(1000));
            Assert.Equal((1000, string.Empty), await other.ReadCloseAsync());
            Assert.Equal(CloseCode.Normal, (await echo.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
        }

        // Whether the 1008 Close still fitted the kernel's buffers depends on the machine; the close timeout ends the
        // session either way (the test below makes sure the socket is full).
        scheduler.AdvanceBy(s_closeTimeout.Ticks);
        var reason = await flooded.Session.CloseReason.WaitAsync(WsWire.Timeout);
        Assert.Equal(new CloseReason(CloseCode.ViolatedPolicy, "Outgoing buffer overflow"), reason);
        Assert.Equal(0, WsServer.QueueOf(flooded.Session).BufferedBytes);
        await server.AssertNoConnectionLeftAsync();
    }

    [Fact]
    public async Task NeverReadingClient_SocketFull_CloseTimeoutFreesTheConnectionAlthoughTheClientHoldsItOpen()
    {
        var scheduler = new TestScheduler();
        await using var server = WsServer.Start(
            _ => new WebSocketOptions { PingInterval = null, CloseTimeout = s_closeTimeout, Limits = new FrameLimits { MaxOutgoingBufferSize = OutgoingLimit } },
            scheduler,
            session =>
            {
                session.Start();
                // One frame always fits an empty buffer; this one is larger than every kernel buffer between the two
                // ends, so its flush cannot finish while the client does not read.
                session.Send(new byte[StuckFrameSize]);
                return session.Closed;
            });
        await using var client = await server.ConnectAsync();
        client.Socket.ReceiveBufferSize = PinnedReceiveBuffer; // setting it also stops the kernel from growing it
        await client.UpgradeAsync();
        var stuck = await server.NextSessionAsync();

        // Its first bytes reaching the client mean the write loop has taken the big frame: the lane is empty, the
        // flush is blocked. (A failing Close queued before that would overtake the frame, which is the design.)
        Assert.True(client.Socket.Poll((int)WsWire.Timeout.TotalMicroseconds, System.Net.Sockets.SelectMode.SelectRead));
        stuck.Session.Outgoing.OnNext(Frame.Binary(new byte[1])); // overflows: 1008, whose Close waits behind the flush
        Assert.Equal(1, stuck.Session.UnsentFrameCount);
        Assert.False(stuck.Session.CloseReason.IsCompleted);

        scheduler.AdvanceBy(s_closeTimeout.Ticks);

        Assert.Equal(new CloseReason(CloseCode.ViolatedPolicy, "Outgoing buffer overflow"), await stuck.Session.CloseReason.WaitAsync(WsWire.Timeout));
        await server.AssertNoConnectionLeftAsync();
        Assert.True(client.Socket.Connected);
    }

    [Fact]
    public async Task NeverReadingClient_WaitPolicy_SendsWaitBufferNeverAboveTheLimit_NothingLostOnceItReads()
    {
        var flood = new FloodRecord();
        await using var server = WsServer.Start(
            _ => new WebSocketOptions
            {
                PingInterval = null,
                OutgoingOverflowPolicy = OutgoingOverflowPolicy.Wait,
                Limits = new FrameLimits { MaxOutgoingBufferSize = OutgoingLimit },
            },
            run: session => FloodThroughSendAsync(session, flood));
        await using var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var accepted = await server.NextSessionAsync();

        Assert.InRange(flood.HighWater, 1, OutgoingLimit);
        Assert.Contains(flood.Sends, t => !t.IsCompleted);
        Assert.Equal(WebSocketState.Open, accepted.Session.State);

        // The client starts reading: every waiting send is admitted in turn, in order, and completes.
        for (int i = 0; i < ChunkCount; i++)
        {
            var (opcode, _, payload) = await client.ReadFrameAsync();
            Assert.Equal(WsWire.OpBinary, opcode);
            Assert.Equal(ChunkSize, payload.Length);
            Assert.Equal(i, BinaryPrimitives.ReadInt32BigEndian(payload));
        }

        await Task.WhenAll(flood.Sends).WaitAsync(WsWire.Timeout);
        Assert.InRange(flood.HighWater, 1, OutgoingLimit);
        await client.SendBytes(WsWire.ClientClose(1000));
        Assert.Equal((1000, string.Empty), await client.ReadCloseAsync());
        Assert.Equal(CloseCode.Normal, (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
        await server.AssertNoConnectionLeftAsync();
    }

    // Sends through Outgoing (never blocks) until the session refuses, sampling the buffer after every frame.
    private static IObservable<CloseReason> FloodThroughOutgoing(IWebSocketServerSession session, FloodRecord record)
    {
        session.Start();
        var queue = WsServer.QueueOf(session);
        var chunk = new byte[ChunkSize];
        while (session.State == WebSocketState.Open && record.Sent < ChunkCount)
        {
            session.Send(chunk);
            record.Sent++;
            record.HighWater = Math.Max(record.HighWater, queue.BufferedBytes);
        }

        return session.Closed;
    }

    private static IObservable<CloseReason> FloodThroughSendAsync(IWebSocketServerSession session, FloodRecord record)
    {
        session.Start();
        var queue = WsServer.QueueOf(session);
        record.Sends = Enumerable.Range(0, ChunkCount).Select(i =>
        {
            var chunk = new byte[ChunkSize];
            BinaryPrimitives.WriteInt32BigEndian(chunk, i);
            var send = session.SendAsync(Frame.Binary(chunk));
            record.HighWater = Math.Max(record.HighWater, queue.BufferedBytes);
            return send;
        }).ToArray();

        // Keep sampling while the sends drain, until the session ends.
        return session.Closed.Do(_ => record.HighWater = Math.Max(record.HighWater, queue.BufferedBytes));
    }

    private sealed class FloodRecord
    {
        public int Sent { get; set; }

        public long HighWater { get; set; }

        public Task[] Sends { get; set; } = Array.Empty<Task>();
    }
}
