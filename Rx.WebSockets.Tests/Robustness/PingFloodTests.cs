using System.Buffers.Binary;
using System.Linq;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Threading.Tasks;

namespace Rx.WebSockets.Tests.Robustness;

/// <summary>
/// RFC 6455 §5.5.3 under a ping flood: "If an endpoint receives a Ping frame and has not yet sent Pong frame(s) in
/// response to previous Ping frame(s), the endpoint MAY elect to send a Pong frame for only the most recently processed
/// Ping frame." Pongs for a peer that does not read replace each other (Ktor queues five pings and then stops reading).
/// </summary>
public sealed class PingFloodTests
{
    private const int PingCount = 100_000;
    // The largest control payload (RFC 6455 §5.5): 12.7 MB of pongs if all were kept, about three times what the kernel
    // buffers between the ends hold (the server's send buffer tops out at tcp_wmem's 4 MiB; the client's receive buffer
    // only grows when it reads).
    private const int PayloadSize = 125;

    [Fact]
    public async Task PingFlood_100000PingsWithoutReading_AtMostOnePongQueued_LastPingAnsweredLast()
    {
        await using var server = WsServer.Start();
        await using var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var accepted = await server.NextSessionAsync();
        var queue = WsServer.QueueOf(accepted.Session);

        // Sampled on the read loop after each ping's pong was offered (the ponger subscribed first).
        int controlHighWater = 0;
        var allPingsRead = accepted.Session.Pings
            .Do(_ => controlHighWater = Math.Max(controlHighWater, queue.ControlCount))
            .Take(PingCount)
            .LastAsync()
            .ToTask();
        var wire = new byte[PingCount * (PayloadSize + 6)];
        for (int i = 0; i < PingCount; i++)
        {
            WsWire.ClientFrame(WsWire.OpPing, Payload(i)).CopyTo(wire, i * (PayloadSize + 6));
        }

        // The server keeps reading pings while its pongs cannot leave (the client reads nothing yet).
        await client.SendBytes(wire);
        await allPingsRead.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, controlHighWater);
        Assert.InRange(queue.ControlCount, 0, 1);
        Assert.Equal(0, queue.BufferedBytes);

        // Draining: pongs in ping order, far fewer than the pings, and the last ping is the one answered last.
        int pongs = 0;
        int previous = -1;
        while (previous != PingCount - 1)
        {
            var (opcode, _, payload) = await client.ReadFrameAsync();
            Assert.Equal(WsWire.OpPong, opcode);
            Assert.Equal(PayloadSize, payload.Length);
            int index = BinaryPrimitives.ReadInt32BigEndian(payload);
            Assert.True(index > previous, $"Pong {index} after pong {previous}.");
            Assert.Equal(Payload(index), payload);
            previous = index;
            pongs++;
        }

        Assert.True(pongs < PingCount, "Every ping got its own pong: the kernel buffered them all and nothing was replaced.");

        // The session is healthy: the next message is echoed right after the last pong.
        await client.SendBytes(WsWire.ClientFrame(WsWire.OpText, "after the flood"u8));
        var (textOpcode, _, text) = await client.ReadFrameAsync();
        Assert.Equal(WsWire.OpText, textOpcode);
        Assert.Equal("after the flood", Encoding.UTF8.GetString(text));
        await client.SendBytes(WsWire.ClientClose(1000));
        Assert.Equal((1000, string.Empty), await client.ReadCloseAsync());
        Assert.Equal(CloseCode.Normal, (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
    }

    private static byte[] Payload(int index)
    {
        var payload = Enumerable.Repeat((byte)'p', PayloadSize).ToArray();
        BinaryPrimitives.WriteInt32BigEndian(payload, index);
        return payload;
    }
}
