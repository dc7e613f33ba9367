using System.Collections.Generic;
using System.Reactive.Linq;
using System.Text;
using Microsoft.Reactive.Testing;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Tests.Session;

/// <summary>RFC 6455 §5.4 Fragmentation: reassembly of Text/Binary + Continuation frames, with the message size limit.</summary>
public class MessageAssemblerTests : ReactiveTest
{
    [Fact]
    public void Assembler_UnfragmentedFrame_PassesThroughUncopied()
    {
        using var assembler = new MessageAssembler(100);
        var frame = Frame.Text("hello");

        Assert.True(assembler.TryAdd(frame, out var message));

        Assert.Same(frame, message);
    }

    [Fact]
    public void Assembler_ThreeTextFragments_OneFinalTextFrame()
    {
        using var assembler = new MessageAssembler(100);

        Assert.False(assembler.TryAdd(Frame.Text(Utf8("Hel"), isFinal: false), out _));
        Assert.True(assembler.IsMessageInProgress);
        Assert.False(assembler.TryAdd(Frame.Continuation(Utf8("lo, "), isFinal: false), out _));
        Assert.True(assembler.TryAdd(Frame.Continuation(Utf8("world"), isFinal: true), out var message));

        Assert.Equal(Frame.Text("Hello, world"), message);
        Assert.False(assembler.IsMessageInProgress);
    }

    [Fact]
    public void Assembler_Utf8CharacterSplitAcrossFragments_ReassemblesText()
    {
        using var assembler = new MessageAssembler(100);
        var euro = Encoding.UTF8.GetBytes("€"); // E2 82 AC

        assembler.TryAdd(Frame.Text(euro.AsMemory(0, 1), isFinal: false), out _);
        assembler.TryAdd(Frame.Continuation(euro.AsMemory(1, 2), isFinal: true), out var message);

        Assert.Equal("€", ((TextFrame)message!).GetText());
    }

    [Fact]
    public void Assembler_FirstFragmentRsv1_KeptOnMessage()
    {
        using var assembler = new MessageAssembler(100);

        assembler.TryAdd((DataFrame)Frame.Create(Opcode.Binary, false, rsv1: true, false, false, new byte[] { 1 }), out _);
        assembler.TryAdd(Frame.Continuation(new byte[] { 2, 3 }, isFinal: true), out var message);

        Assert.Equal(Frame.Create(Opcode.Binary, true, rsv1: true, false, false, new byte[] { 1, 2, 3 }), message);
    }

    [Fact]
    public void Assembler_ManyFragmentsBeyondInitialBuffer_Concatenates()
    {
        using var assembler = new MessageAssembler(100_000);
        var expected = new List<byte>();
        assembler.TryAdd(Frame.Binary(new byte[] { 0 }, isFinal: false), out _);
        expected.Add(0);
        DataFrame? message = null;
        for (int i = 1; i <= 300; i++)
        {
            var chunk = new byte[i];
            Array.Fill(chunk, (byte)i);
            expected.AddRange(chunk);
            assembler.TryAdd(Frame.Continuation(chunk, isFinal: i == 300), out message);
        }

        Assert.Equal(expected.ToArray(), message!.Payload.ToArray());
    }

    [Fact]
    public void Assembler_MessageExactlyAtLimit_Accepted()
    {
        using var assembler = new MessageAssembler(4);

        assembler.TryAdd(Frame.Binary(new byte[2], isFinal: false), out _);

        Assert.True(assembler.TryAdd(Frame.Continuation(new byte[2], isFinal: true), out var message));
        Assert.Equal(4, message.Payload.Length);
    }

    [Fact]
    public void Assembler_FragmentsExceedLimit_Throws1009()
    {
        using var assembler = new MessageAssembler(4);
        assembler.TryAdd(Frame.Binary(new byte[3], isFinal: false), out _);

        var e = Assert.Throws<FrameTooBigException>(() => assembler.TryAdd(Frame.Continuation(new byte[2], isFinal: false), out _));

        Assert.Equal(CloseCode.TooBig, e.CloseCode);
        Assert.Equal(5, e.Size);
        Assert.Equal(4, e.Limit);
    }

    [Fact]
    public void Assembler_UnfragmentedFrameOverLimit_Throws1009()
    {
        using var assembler = new MessageAssembler(4);

        Assert.Throws<FrameTooBigException>(() => assembler.TryAdd(Frame.Binary(new byte[5]), out _));
    }

    [Fact]
    public void Assembler_ContinuationWithoutStart_Throws1002()
    {
        using var assembler = new MessageAssembler(100);

        var e = Assert.Throws<WebSocketProtocolException>(() => assembler.TryAdd(Frame.Continuation(new byte[1], isFinal: true), out _));

        Assert.Equal(CloseCode.ProtocolError, e.CloseCode);
    }

    [Fact]
    public void Assembler_NewMessageInsideFragmentedOne_Throws1002()
    {
        using var assembler = new MessageAssembler(100);
        assembler.TryAdd(Frame.Text(Utf8("a"), isFinal: false), out _);

        var e = Assert.Throws<WebSocketProtocolException>(() => assembler.TryAdd(Frame.Binary(new byte[1]), out _));

        Assert.Equal(CloseCode.ProtocolError, e.CloseCode);
    }

    [Fact]
    public void Assemble_ControlFramesBetweenFragments_AreDroppedAndDoNotDisturbReassembly()
    {
        var scheduler = new TestScheduler();
        var frames = scheduler.CreateHotObservable<Frame>(
            OnNext<Frame>(210, Frame.Text(Utf8("ab"), isFinal: false)),
            OnNext<Frame>(220, Frame.Ping(Utf8("p"))),
            OnNext<Frame>(230, Frame.Continuation(Utf8("cd"), isFinal: true)),
            OnNext<Frame>(240, Frame.Binary(new byte[] { 9 })),
            OnCompleted<Frame>(250));

        var result = scheduler.Start(() => MessageAssembler.Assemble(frames, 100));

        result.Messages.AssertEqual(
            OnNext<DataFrame>(230, Frame.Text("abcd")),
            OnNext<DataFrame>(240, Frame.Binary(new byte[] { 9 })),
            OnCompleted<DataFrame>(250));
        frames.Subscriptions.AssertEqual(Subscribe(200, 250));
    }

    [Fact]
    public void Assemble_TooBigMessage_ErrorsWith1009AndUnsubscribes()
    {
        var scheduler = new TestScheduler();
        var frames = scheduler.CreateHotObservable<Frame>(
            OnNext<Frame>(210, Frame.Binary(new byte[3], isFinal: false)),
            OnNext<Frame>(220, Frame.Continuation(new byte[3], isFinal: true)));

        var result = scheduler.Start(() => MessageAssembler.Assemble(frames, 4));

        result.Messages.AssertEqual(OnError<DataFrame>(220, e => e is FrameTooBigException));
        frames.Subscriptions.AssertEqual(Subscribe(200, 220));
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
