using System.Reactive.Linq;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests;

/// <summary>The frame model: RFC 6455 §5.2 opcodes and flags, content equality, close payloads.</summary>
public sealed class FrameTests : ReactiveTest
{
    [Fact]
    public void Frames_WithEqualContent_AreEqual()
    {
        Assert.Equal(Frame.Text("hi"), Frame.Text("hi"));
        Assert.Equal(Frame.Binary(new byte[] { 1, 2 }), Frame.Binary(new byte[] { 1, 2 }));
        Assert.NotEqual<Frame>(Frame.Text("hi"), Frame.Binary("hi"u8.ToArray()));
        Assert.NotEqual(Frame.Text("hi", isFinal: false), Frame.Text("hi"));
        Assert.Equal(Frame.Text("hi").GetHashCode(), Frame.Text("hi").GetHashCode());
    }

    [Fact]
    public void Frames_CompareByContent_InVirtualTimeMessageLists()
    {
        var scheduler = new TestScheduler();
        var source = scheduler.CreateColdObservable(OnNext<Frame>(10, Frame.Text("hi")), OnCompleted<Frame>(20));
        var result = scheduler.Start(() => source.Select(f => f));
        result.Messages.AssertEqual(OnNext<Frame>(210, Frame.Text("hi")), OnCompleted<Frame>(220));
    }

    [Fact]
    public void ControlFrame_PayloadOver125Bytes_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => Frame.Ping(new byte[126]));
        Assert.Equal(125, Frame.Pong(new byte[125]).Payload.Length);
    }

    [Fact]
    public void CloseFrame_EncodesCodeBigEndianThenUtf8Message()
    {
        Hex.AssertEqual("03 E8", Frame.Close(CloseReason.Normal).Payload.Span);
        Hex.AssertEqual("03 E9 62 79 65", Frame.Close(new CloseReason(CloseCode.GoingAway, "bye")).Payload.Span);
        Assert.Equal(0, Frame.Close().Payload.Length);
        Assert.Null(Frame.Close().Reason);
    }

    [Theory]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    public void CloseFrame_WithReservedCode_IsRejected(int code) =>
        Assert.Throws<ArgumentException>(() => Frame.Close(new CloseReason((ushort)code)));

    [Fact]
    public void Create_ReadsCloseReasonFromPayload()
    {
        var frame = Assert.IsType<CloseFrame>(Frame.Create(Opcode.Close, true, false, false, false, Hex.Parse("03 F3 6F 6B")));
        Assert.Equal(new CloseReason(CloseCode.InternalError, "ok"), frame.Reason);
    }

    [Fact]
    public void ToString_ShowsOpcodeFlagsLengthAndPreview()
    {
        Assert.Equal("Text(fin, 5 bytes: \"Hello\")", Frame.Text("Hello").ToString());
        Assert.Equal("Binary(more, 2 bytes: 0102)", Frame.Binary(new byte[] { 1, 2 }, isFinal: false).ToString());
        Assert.Equal("Close(fin, 2 bytes: 1000 Normal \"\")", Frame.Close(CloseReason.Normal).ToString());
    }

    [Fact]
    public void GetText_OnFragment_Throws() =>
        Assert.Throws<InvalidOperationException>(() => Frame.Text("a", isFinal: false).GetText());
}
