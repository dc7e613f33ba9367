using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>RFC 6455 §7.1.7 Fail the WebSocket Connection: the decoder's code is sent with a fixed message and reported.</summary>
public class ProtocolErrorTests
{
    [Fact]
    public async Task UnmaskedFrameFromClient_Fails1002()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var incomingEnd = server.Incoming.Termination();
        server.Start();

        // RFC 6455 §5.1: "a server MUST close the connection upon receiving a frame that is not masked".
        await peer.SendBytesAsync(Hex.Parse("81 02 68 69"));

        await AssertFailed(peer, server, incomingEnd, CloseCode.ProtocolError, "Protocol error");
    }

    [Fact]
    public async Task InvalidUtf8Text_Fails1007()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var incomingEnd = server.Incoming.Termination();
        server.Start();

        await peer.SendAsync(Frame.Text(new byte[] { 0x68, 0xFF }));

        await AssertFailed(peer, server, incomingEnd, CloseCode.NotConsistent, "Invalid payload");
    }

    [Fact]
    public async Task FrameOverMaxFrameSize_Fails1009()
    {
        var options = new WebSocketOptions { PingInterval = null, Limits = new FrameLimits { MaxFrameSize = 10 } };
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler(), options);
        var incomingEnd = server.Incoming.Termination();
        server.Start();

        await peer.SendAsync(Frame.Binary(new byte[11]));

        var error = await AssertFailed(peer, server, incomingEnd, CloseCode.TooBig, "Message too big");
        Assert.IsType<FrameTooBigException>(error);
    }

    [Fact]
    public async Task FragmentedMessageOverMaxMessageSize_Fails1009()
    {
        var options = new WebSocketOptions { PingInterval = null, Limits = new FrameLimits { MaxMessageSize = 10 } };
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler(), options);
        var incomingEnd = server.Incoming.Termination();
        server.Start();

        await peer.SendAsync(Frame.Binary(new byte[6], isFinal: false));
        await peer.SendAsync(Frame.Continuation(new byte[6], isFinal: true));

        await AssertFailed(peer, server, incomingEnd, CloseCode.TooBig, "Message too big");
    }

    [Fact]
    public async Task ProtocolError_FramesBeforeItAreDelivered()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var first = server.Incoming.FirstValue();
        server.Start();

        await peer.SendAsync(Frame.Text("fine"));
        await peer.SendBytesAsync(Hex.Parse("81 02 68 69"));

        Assert.Equal(Frame.Text("fine"), await first);
        Assert.Equal(CloseCode.ProtocolError, (await server.CloseReason.Within())!.Code);
    }

    private static async Task<Exception> AssertFailed(
        Rx.WebSockets.Session.Testing.WebSocketTestPeer peer, IWebSocketSession server, Task<Exception?> incomingEnd, CloseCode code, string message)
    {
        var expected = new CloseReason(code, message);
        var close = Assert.IsType<CloseFrame>(await peer.ReceiveFrameAsync());
        Assert.Equal(expected, close.Reason); // a short fixed text, never the exception's
        await peer.ReceiveEndAsync(); // failing does not wait for the peer's Close
        Assert.Equal(expected, await server.CloseReason.Within());
        var error = Assert.IsAssignableFrom<WebSocketProtocolException>(await incomingEnd);
        Assert.Equal(code, error.CloseCode);
        return error;
    }
}
