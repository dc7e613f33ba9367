using System.Reactive;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Threading.Tasks;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Session;

/// <summary>Run(handler): reading starts after the handler subscribed; completion closes 1000, failure 1011 without exception text.</summary>
public class RunTests
{
    [Fact]
    public async Task Run_HandlerCompletes_Closes1000()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        await peer.SendAsync(Frame.Text("only one")); // sent before the handler exists: waits in the pipe

        var closed = server.Run(s => s.Incoming.Take(1).Do(f => s.Outgoing.OnNext(f)).Select(_ => Unit.Default)).ToTask();

        Assert.Equal(Frame.Text("only one"), await peer.ReceiveFrameAsync());
        Assert.Equal(Frame.Close(CloseReason.Normal), await peer.ReceiveFrameAsync());
        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        Assert.Equal(CloseReason.Normal, await closed.Within());
    }

    [Fact]
    public async Task Run_HandlerErrors_Closes1011WithoutExceptionText()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());

        server.Run(_ => Observable.Throw<Unit>(new InvalidOperationException("db password is hunter2"))).Subscribe();

        var close = Assert.IsType<CloseFrame>(await peer.ReceiveFrameAsync());
        Assert.Equal(new CloseReason(CloseCode.InternalError, "Internal error"), close.Reason);
    }

    [Fact]
    public async Task Run_HandlerThrowsSynchronously_Closes1011()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());

        server.Run((Func<IWebSocketSession, IObservable<Unit>>)(_ => throw new InvalidOperationException("boom"))).Subscribe();

        Assert.Equal(CloseCode.InternalError, Assert.IsType<CloseFrame>(await peer.ReceiveFrameAsync()).Reason!.Code);
    }

    [Fact]
    public async Task Run_FrameHandler_EchoServer()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        var closed = server.Run(frames => frames).ToTask();

        await peer.SendAsync(Frame.Text("ping?"));
        await peer.SendAsync(Frame.Binary(new byte[] { 1, 2 }));

        Assert.Equal(Frame.Text("ping?"), await peer.ReceiveFrameAsync());
        Assert.Equal(Frame.Binary(new byte[] { 1, 2 }), await peer.ReceiveFrameAsync());
        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        Assert.Equal(CloseReason.Normal, await closed.Within());
    }

    [Fact]
    public async Task Run_FrameHandlerCompletes_Closes1000()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());

        server.Run(frames => frames.Take(2)).Subscribe();
        await peer.SendAsync(Frame.Text("1"));
        await peer.SendAsync(Frame.Text("2"));

        await peer.ReceiveFrameAsync();
        await peer.ReceiveFrameAsync();
        Assert.Equal(Frame.Close(CloseReason.Normal), await peer.ReceiveFrameAsync());
    }

    [Fact]
    public async Task Run_SessionEndsFirst_HandlerSubscriptionDisposed()
    {
        var (peer, server) = SessionTesting.ServerWithPeer(new TestScheduler());
        int subscribed = 0;
        int disposed = 0;
        var handler = Observable.Create<Unit>(_ =>
        {
            subscribed++;
            return Disposable.Create(() => disposed++);
        });

        var closed = server.Run(_ => handler).ToTask();
        await peer.SendAsync(Frame.Close(CloseReason.Normal));
        await closed.Within();

        Assert.Equal(1, subscribed);
        Assert.Equal(1, disposed);
    }
}
