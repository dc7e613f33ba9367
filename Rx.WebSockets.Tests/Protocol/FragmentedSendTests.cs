using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Rx.WebSockets.Internal;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Protocol;

/// <summary>
/// RFC 6455 §5.4 Fragmentation on the sending side: splitting a message into a first frame and continuations,
/// and sending them (with control frames between) through the encoder; the §5.7 fragmented example.
/// </summary>
public sealed class FragmentedSendTests
{
    [Theory]
    [InlineData(Opcode.Text)]
    [InlineData(Opcode.Binary)]
    public void Fragment_EverySizeFrom1ToBeyondTheLength_GivesOrderedFragmentsThatConcatenateToTheMessage(Opcode opcode)
    {
        for (int length = 0; length <= 40; length++)
        {
            var payload = new byte[length];
            new Random(length).NextBytes(payload);
            var message = (DataFrame)Frame.Create(opcode, isFinal: true, false, false, false, payload);

            for (int size = 1; size <= length + 2; size++)
            {
                var fragments = Fragmentation.Fragment(message, size).ToList();

                int expectedCount = Math.Max(1, (length + size - 1) / size);
                Assert.Equal(expectedCount, fragments.Count);
                for (int i = 0; i < fragments.Count; i++)
                {
                    var fragment = fragments[i];
                    bool isLast = i == fragments.Count - 1;
                    Assert.Equal(i == 0 ? opcode : Opcode.Continuation, fragment.Opcode);
                    Assert.Equal(isLast, fragment.IsFinal);
                    Assert.Equal(isLast ? length - (size * i) : size, fragment.Payload.Length);
                    Assert.False(fragment.Rsv1 || fragment.Rsv2 || fragment.Rsv3);
                }

                Assert.Equal(payload, fragments.SelectMany(f => f.Payload.ToArray()).ToArray());
            }
        }
    }

    [Fact]
    public void Fragment_SlicesThePayloadWithoutCopying()
    {
        var payload = new byte[10];
        var fragments = Fragmentation.Fragment(Frame.Binary(payload), 4).ToList();

        for (int i = 0; i < fragments.Count; i++)
        {
            Assert.True(MemoryMarshal.TryGetArray(fragments[i].Payload, out var segment));
            Assert.Same(payload, segment.Array);
            Assert.Equal(i * 4, segment.Offset);
        }
    }

    [Fact]
    public void Fragment_MessageThatFits_IsReturnedAsIs()
    {
        var message = Frame.Text("Hello");

        Assert.Same(message, Assert.Single(Fragmentation.Fragment(message, 5)));
        Assert.Same(message, Assert.Single(Fragmentation.Fragment(message, int.MaxValue)));
    }

    [Fact]
    public void Fragment_EmptyMessage_IsOneFinalFrame()
    {
        var message = Frame.Binary(ReadOnlyMemory<byte>.Empty);

        var only = Assert.Single(Fragmentation.Fragment(message, 1));

        Assert.True(only.IsFinal);
        Assert.Equal(Opcode.Binary, only.Opcode);
    }

    [Fact]
    public void Fragment_Rsv1OfACompressedMessage_StaysOnTheFirstFragmentOnly()
    {
        // RFC 7692 §6: the "Per-Message Compressed" bit is set on the first frame of a message only.
        var message = (DataFrame)Frame.Create(Opcode.Binary, isFinal: true, rsv1: true, rsv2: false, rsv3: true, new byte[7]);

        var fragments = Fragmentation.Fragment(message, 3).ToList();

        Assert.Equal(3, fragments.Count);
        Assert.True(fragments[0].Rsv1);
        Assert.True(fragments[0].Rsv3);
        Assert.All(fragments.Skip(1), f => Assert.False(f.Rsv1 || f.Rsv2 || f.Rsv3));
    }

    [Fact]
    public void Fragment_TextCutInsideAUtf8Character_SplitsAtTheExactByteCount()
    {
        // "€" is E2 82 AC: cut at byte counts, as RFC 6455 §5.6 allows, and the message is still valid UTF-8 as a whole.
        var fragments = Fragmentation.Fragment(Frame.Text("a€"), 2).ToList();

        Assert.Equal(2, fragments.Count);
        Hex.AssertEqual("61 E2", fragments[0].Payload.Span);
        Hex.AssertEqual("82 AC", fragments[1].Payload.Span);
    }

    [Fact]
    public void Fragment_InvalidArguments_ThrowAtTheCallNotOnEnumeration()
    {
        Assert.Throws<ArgumentNullException>(() => Fragmentation.Fragment(null!, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fragmentation.Fragment(Frame.Text("x"), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fragmentation.Fragment(Frame.Text("x"), -1));
        Assert.Throws<ArgumentException>(() => Fragmentation.Fragment(Frame.Continuation(new byte[4], isFinal: true), 1));
        Assert.Throws<ArgumentException>(() => Fragmentation.Fragment(Frame.Text("abcd", isFinal: false), 1));
    }

    [Fact]
    public void Fragment_FragmentSizeNearIntMax_DoesNotOverflow()
    {
        var message = Frame.Binary(new byte[10]);

        var fragments = Fragmentation.Fragment(message, int.MaxValue - 1).ToList();

        Assert.Same(message, Assert.Single(fragments));
    }

    [Fact]
    public void FragmentedSend_Hello_Rfc6455Section5_7Bytes()
    {
        var written = EncodeAll(new FrameEncoder(Side.Server), Fragmentation.Fragment(Frame.Text("Hello"), 3));

        Hex.AssertEqual("01 03 48 65 6c  80 02 6c 6f", written);
    }

    [Fact]
    public void FragmentedSend_ClientMasksEveryFragmentWithItsOwnKey()
    {
        var keys = new SequenceMaskKeySource("37 FA 21 3D", "01 02 03 04");
        var written = EncodeAll(new FrameEncoder(Side.Client, keys), Fragmentation.Fragment(Frame.Text("Hello"), 3));

        // "Hel" under 37 FA 21 3D (RFC 6455 §5.7), then "lo" (6C 6F) under 01 02 03 04.
        Hex.AssertEqual("01 83 37 FA 21 3D 7F 9F 4D  80 82 01 02 03 04 6D 6D", written);
    }

    [Fact]
    public void FragmentedSend_PingBetweenFragments_GoesOutBetweenThem()
    {
        var encoder = new FrameEncoder(Side.Server);
        using var writer = new PooledBufferWriter();
        var states = new List<bool>();

        foreach (var fragment in Fragmentation.Fragment(Frame.Binary(new byte[] { 1, 2, 3, 4, 5 }), 2))
        {
            encoder.Encode(fragment, writer);
            states.Add(encoder.IsMessageInProgress);
            encoder.Encode(Frame.Ping(new byte[] { 0xEE }), writer);
            states.Add(encoder.IsMessageInProgress);
        }

        Assert.Equal(new[] { true, true, true, true, false, false }, states);
        Hex.AssertEqual("02 02 01 02  89 01 EE  00 02 03 04  89 01 EE  80 01 05  89 01 EE", writer.WrittenSpan);
    }

    [Fact]
    public void FragmentedSend_AnotherMessageBeforeTheLastFragment_IsRefused()
    {
        var encoder = new FrameEncoder(Side.Server);
        using var writer = new PooledBufferWriter();
        using var fragments = Fragmentation.Fragment(Frame.Text("abcdef"), 2).GetEnumerator();
        Assert.True(fragments.MoveNext());
        encoder.Encode(fragments.Current, writer);

        Assert.Throws<InvalidOperationException>(() => encoder.Encode(Frame.Text("interleaved"), writer));

        while (fragments.MoveNext())
        {
            encoder.Encode(fragments.Current, writer);
        }

        Assert.False(encoder.IsMessageInProgress);
        Hex.AssertEqual("01 02 61 62  00 02 63 64  80 02 65 66", writer.WrittenSpan);
    }

    [Fact]
    public void FragmentedSend_ManyMessagesAtManySizes_EncoderEndsWithNoMessageOpen()
    {
        var encoder = new FrameEncoder(Side.Server);
        using var writer = new PooledBufferWriter();
        long expectedLength = 0;
        for (int size = 1; size <= 70; size++)
        {
            foreach (var fragment in Fragmentation.Fragment(Frame.Binary(new byte[64]), size))
            {
                encoder.Encode(fragment, writer);
                expectedLength += FrameEncoder.GetEncodedLength(fragment, masked: false);
            }

            Assert.False(encoder.IsMessageInProgress);
        }

        Assert.Equal(expectedLength, writer.WrittenCount);
    }

    private static byte[] EncodeAll(FrameEncoder encoder, IEnumerable<DataFrame> frames)
    {
        using var writer = new PooledBufferWriter();
        foreach (var frame in frames)
        {
            encoder.Encode(frame, writer);
        }

        Assert.False(encoder.IsMessageInProgress);
        return writer.WrittenSpan.ToArray();
    }
}
