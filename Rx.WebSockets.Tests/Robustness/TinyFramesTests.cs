using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;

namespace Rx.WebSockets.Tests.Robustness;

/// <summary>RFC 6455 §5.4 framing under load: many minimal frames in one TCP write are each decoded, delivered and echoed, in order.</summary>
public sealed class TinyFramesTests
{
    private const int FrameCount = 10_000;

    [Fact]
    public async Task TenThousandTinyFrames_InOneWrite_AllEchoedInOrder()
    {
        await using var server = WsServer.Start();
        await using var client = await server.ConnectAsync();
        await client.UpgradeAsync();
        var accepted = await server.NextSessionAsync();
        var wire = Enumerable.Range(0, FrameCount)
            .SelectMany(i => WsWire.ClientFrame(WsWire.OpText, Encoding.ASCII.GetBytes(i.ToString(CultureInfo.InvariantCulture))))
            .ToArray();

        // Read while writing: the echoes must not have to wait for the whole write (nor the write for the echoes).
        var reading = Task.Run(async () =>
        {
            for (int i = 0; i < FrameCount; i++)
            {
                var (opcode, fin, payload) = await client.ReadFrameAsync();
                Assert.Equal(WsWire.OpText, opcode);
                Assert.True(fin);
                Assert.Equal(i.ToString(CultureInfo.InvariantCulture), Encoding.ASCII.GetString(payload));
            }
        });
        await client.SendBytes(wire);
        await reading.WaitAsync(TimeSpan.FromSeconds(30));

        await client.SendBytes(WsWire.ClientClose(1000));
        Assert.Equal((1000, string.Empty), await client.ReadCloseAsync());
        await client.AssertClosedCleanly();
        Assert.Equal(CloseCode.Normal, (await accepted.Session.CloseReason.WaitAsync(WsWire.Timeout))!.Code);
        Assert.Equal(0, accepted.Session.UnsentFrameCount);
    }
}
