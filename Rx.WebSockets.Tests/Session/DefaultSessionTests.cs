using System.Linq;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>The default session end to end over an in-memory transport: echo, reading start, close handshake (RFC 6455 §7).</summary>
public class DefaultSessionTests
{
    [Fact]
    public async Task Echo_LinqOverIncoming_RepliesAndClosesNormally()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler);
        server.Incoming.OfType<TextFrame>().Select(f => Frame.Text(f.GetText().ToUpperInvariant())).Subscribe(server.Outgoing);
        server.Start();

        await peer.SendAsync(Frame.Text("hello"));
        Assert.Equal(Frame.Text("HELLO"), await peer.ReceiveFrameAsync());

        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        Assert.Equal(Frame.Close(CloseReason.Normal), await peer.ReceiveFrameAsync());
        await peer.ReceiveEndAsync();
        Assert.Equal(CloseReason.Normal, await server.CloseReason.Within());
        Assert.Equal(WebSocketState.Closed, server.State);
    }

    [Fact]
    public async Task Reading_PeerSendsBeforeAnyoneSubscribes_NoFrameLost()
    {
        var scheduler = new TestScheduler();
        var (peer, server) = SessionTesting.ServerWithPeer(scheduler);

        // The client sends at once; the server's handler subscribes later. The bytes wait in the pipe until Start.
        await peer.SendAsync(Frame.Text("one"));
        await peer.SendAsync(Frame.Text("two"));
        await peer.SendAsync(Frame.Text("three"));
        var received = server.Incoming.OfType<TextFrame>().Select(f => f.GetText()).Take(3).ToArray().ToTask();
        server.Start();

        Assert.Equal(new[] { "one", "two", "three" }, await received.Within());
    }
}
