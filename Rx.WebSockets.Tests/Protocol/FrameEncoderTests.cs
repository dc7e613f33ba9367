using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Internal;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Protocol;

/// <summary>
/// RFC 6455 §5.2 Base Framing Protocol (header layout, minimal length encoding, RSV bits), §5.3 Client-to-Server
/// Masking, §5.4 Fragmentation order and the §5.7 examples, on the sending side.
/// </summary>
public sealed class FrameEncoderTests
{
    private const string RfcMaskKey = "37 FA 21 3D";

    private static readonly byte[] s_hello = "Hello"u8.ToArray();

    // RFC 6455 §5.7 examples.

    [Fact]
    public void Encode_ServerSendsHello_Rfc6455Section5_7Unmasked()
        => AssertEncodes("81 05 48 65 6c 6c 6f", new FrameEncoder(Side.Server), Frame.Text("Hello"));

    [Fact]
    public void Encode_ClientSendsHello_Rfc6455Section5_7Masked()
        => AssertEncodes("81 85 37 fa 21 3d 7f 9f 4d 51 58", ClientEncoder(), Frame.Text("Hello"));

    [Fact]
    public void Encode_FragmentedHello_Rfc6455Section5_7TwoFrames()
    {
        var encoder = new FrameEncoder(Side.Server);
        AssertEncodes("01 03 48 65 6c", encoder, Frame.Text("Hel"u8.ToArray(), isFinal: false));
        AssertEncodes("80 02 6c 6f", encoder, Frame.Continuation("lo"u8.ToArray(), isFinal: true));
    }

    [Fact]
    public void Encode_UnmaskedPing_Rfc6455Section5_7()
        => AssertEncodes("89 05 48 65 6c 6c 6f", new FrameEncoder(Side.Server), Frame.Ping(s_hello));

    [Fact]
    public void Encode_MaskedPong_Rfc6455Section5_7()
        => AssertEncodes("8a 85 37 fa 21 3d 7f 9f 4d 51 58", ClientEncoder(), Frame.Pong(s_hello));

    [Fact]
    public void Encode_256ByteBinary_Rfc6455Section5_7SixteenBitLength()
    {
        var payload = RandomBytes(256, seed: 256);
        var written = Encode(new FrameEncoder(Side.Server), Frame.Binary(payload));

        Hex.AssertEqual("82 7E 01 00", written.AsSpan(0, 4));
        Assert.Equal(payload, written[4..]);
    }

    [Fact]
    public void Encode_64KiBBinary_Rfc6455Section5_7SixtyFourBitLength()
    {
        var payload = RandomBytes(65536, seed: 65536);
        var written = Encode(new FrameEncoder(Side.Server), Frame.Binary(payload));

        Hex.AssertEqual("82 7F 00 00 00 00 00 01 00 00", written.AsSpan(0, 10));
        Assert.Equal(payload, written[10..]);
    }

    [Fact]
    public void Encode_CloseNormal_CodeInNetworkOrder()
        => AssertEncodes("88 02 03 E8", new FrameEncoder(Side.Server), Frame.Close(CloseReason.Normal));

    [Fact]
    public void Encode_CloseWithoutStatus_EmptyPayload()
        => AssertEncodes("88 00", new FrameEncoder(Side.Server), Frame.Close());

    [Fact]
    public void Encode_ClientEmptyPayload_StillCarriesMaskingKey()
        => AssertEncodes("89 80 37 FA 21 3D", ClientEncoder(), Frame.Ping());

    // RFC 6455 §5.2: minimal length encoding at every boundary.

    [Theory]
    [InlineData(0, "82 00")]
    [InlineData(1, "82 01")]
    [InlineData(125, "82 7D")]
    [InlineData(126, "82 7E 00 7E")]
    [InlineData(127, "82 7E 00 7F")]
    [InlineData(65535, "82 7E FF FF")]
    [InlineData(65536, "82 7F 00 00 00 00 00 01 00 00")]
    [InlineData(1 << 20, "82 7F 00 00 00 00 00 10 00 00")]
    public void Encode_ServerPayloadLength_UsesMinimalEncoding(int length, string header)
    {
        var payload = RandomBytes(length, seed: length);
        var frame = Frame.Binary(payload);
        var written = Encode(new FrameEncoder(Side.Server), frame);

        int headerLength = Hex.Parse(header).Length;
        Hex.AssertEqual(header, written.AsSpan(0, headerLength));
        Assert.Equal(payload, written[headerLength..]);
        Assert.Equal(written.Length, FrameEncoder.GetEncodedLength(frame, masked: false));
    }

    [Theory]
    [InlineData(0, "82 80 37 FA 21 3D")]
    [InlineData(1, "82 81 37 FA 21 3D")]
    [InlineData(125, "82 FD 37 FA 21 3D")]
    [InlineData(126, "82 FE 00 7E 37 FA 21 3D")]
    [InlineData(127, "82 FE 00 7F 37 FA 21 3D")]
    [InlineData(65535, "82 FE FF FF 37 FA 21 3D")]
    [InlineData(65536, "82 FF 00 00 00 00 00 01 00 00 37 FA 21 3D")]
    public void Encode_ClientPayloadLength_UsesMinimalEncodingThenKeyThenMaskedPayload(int length, string header)
    {
        var payload = RandomBytes(length, seed: length);
        var frame = Frame.Binary(payload);
        var written = Encode(ClientEncoder(), frame);

        int headerLength = Hex.Parse(header).Length;
        Hex.AssertEqual(header, written.AsSpan(0, headerLength));
        Assert.Equal(ReferenceMask(payload, Hex.Parse(RfcMaskKey)), written[headerLength..]);
        Assert.Equal(written.Length, FrameEncoder.GetEncodedLength(frame, masked: true));
    }

    [Theory]
    [InlineData(0, false, 2)]
    [InlineData(0, true, 6)]
    [InlineData(125, false, 127)]
    [InlineData(126, false, 130)]
    [InlineData(126, true, 134)]
    [InlineData(65535, false, 65539)]
    [InlineData(65536, false, 65546)]
    [InlineData(65536, true, 65550)]
    public void GetEncodedLength_IsHeaderPlusPayload(int length, bool masked, long expected)
        => Assert.Equal(expected, FrameEncoder.GetEncodedLength(Frame.Binary(new byte[length]), masked));

    // RFC 6455 §5.2: RSV bits belong to extensions and are written as the frame carries them.

    [Theory]
    [InlineData(false, false, false, "81")]
    [InlineData(true, false, false, "C1")]
    [InlineData(false, true, false, "A1")]
    [InlineData(false, false, true, "91")]
    [InlineData(true, true, true, "F1")]
    public void Encode_RsvBits_WrittenAsGiven(bool rsv1, bool rsv2, bool rsv3, string firstByte)
    {
        var frame = Frame.Create(Opcode.Text, isFinal: true, rsv1, rsv2, rsv3, "Hi"u8.ToArray());
        AssertEncodes(firstByte + " 02 48 69", new FrameEncoder(Side.Server), frame);
    }

    [Fact]
    public void Encode_NonFinalBinaryWithRsv1_FinClearRsv1Set()
    {
        var frame = Frame.Create(Opcode.Binary, isFinal: false, rsv1: true, rsv2: false, rsv3: false, new byte[] { 0xAB });
        AssertEncodes("42 01 AB", new FrameEncoder(Side.Server), frame);
    }

    // RFC 6455 §5.1 / §5.3: who masks, with which key.

    [Fact]
    public void Encode_Client_PicksAFreshKeyForEveryFrame()
    {
        var keys = new SequenceMaskKeySource("01 02 03 04", "A0 B0 C0 D0", "FF 00 FF 00");
        var encoder = new FrameEncoder(Side.Client, keys);

        Hex.AssertEqual("81 82 01 02 03 04 68 6B", Encode(encoder, Frame.Text("ii")));
        Hex.AssertEqual("82 81 A0 B0 C0 D0 5A", Encode(encoder, Frame.Binary(new byte[] { 0xFA })));
        Hex.AssertEqual("89 83 FF 00 FF 00 00 01 FD", Encode(encoder, Frame.Ping(new byte[] { 0xFF, 0x01, 0x02 })));
        Assert.Equal(3, keys.Calls);
    }

    [Fact]
    public void Encode_ClientWithDefaultKeySource_MasksWithRandomKeys()
    {
        var encoder = new FrameEncoder(Side.Client);
        Assert.True(encoder.IsMasking);
        var payload = RandomBytes(300, seed: 3);

        var first = Encode(encoder, Frame.Binary(payload));
        var second = Encode(encoder, Frame.Binary(payload));

        Assert.Equal(0xFE, first[1]);
        var firstKey = first.AsSpan(4, 4).ToArray();
        var secondKey = second.AsSpan(4, 4).ToArray();
        Assert.Equal(payload, ReferenceMask(first[8..], firstKey));
        Assert.Equal(payload, ReferenceMask(second[8..], secondKey));

        // Two equal keys from a CSPRNG happen once in 2^32 runs.
        Assert.NotEqual(firstKey, secondKey);
    }

    [Fact]
    public void Encode_Server_NeverMasksAndNeverAsksForAKey()
    {
        var keys = new SequenceMaskKeySource(RfcMaskKey);
        var encoder = new FrameEncoder(Side.Server, keys);

        Assert.False(encoder.IsMasking);
        Assert.Equal(Side.Server, encoder.Side);
        AssertEncodes("82 03 01 02 03", encoder, Frame.Binary(new byte[] { 1, 2, 3 }));
        Assert.Equal(0, keys.Calls);
    }

    [Fact]
    public void Encode_ServerWithMaskingRequested_Masks()
    {
        var encoder = new FrameEncoder(Side.Server, mask: true, new FixedMaskKeySource(RfcMaskKey));

        Assert.True(encoder.IsMasking);
        AssertEncodes("81 85 37 fa 21 3d 7f 9f 4d 51 58", encoder, Frame.Text("Hello"));
    }

    [Fact]
    public void Constructor_ClientWithoutMasking_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FrameEncoder(Side.Client, mask: false, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameEncoder((Side)7));
    }

    [Fact]
    public void Constructor_Client_MasksAndReportsItsSide()
    {
        var encoder = ClientEncoder();

        Assert.Equal(Side.Client, encoder.Side);
        Assert.True(encoder.IsMasking);
        Assert.False(encoder.IsMessageInProgress);
    }

    // RFC 6455 §5.4: fragment order.

    [Fact]
    public void Encode_ContinuationWithoutOpenMessage_ThrowsAndWritesNothing()
    {
        var encoder = new FrameEncoder(Side.Server);
        using var writer = new PooledBufferWriter();

        Assert.Throws<InvalidOperationException>(() => encoder.Encode(Frame.Continuation(s_hello, isFinal: true), writer));
        Assert.Throws<InvalidOperationException>(() => encoder.Encode(Frame.Continuation(s_hello, isFinal: false), writer));

        Assert.Equal(0, writer.WrittenCount);
        Assert.False(encoder.IsMessageInProgress);
    }

    [Fact]
    public void Encode_ContinuationAfterFinalContinuation_Throws()
    {
        var encoder = new FrameEncoder(Side.Server);
        using var writer = new PooledBufferWriter();
        encoder.Encode(Frame.Binary(s_hello, isFinal: false), writer);
        encoder.Encode(Frame.Continuation(s_hello, isFinal: true), writer);
        int written = writer.WrittenCount;

        Assert.Throws<InvalidOperationException>(() => encoder.Encode(Frame.Continuation(s_hello, isFinal: true), writer));
        Assert.Equal(written, writer.WrittenCount);
    }

    [Fact]
    public void Encode_ContinuationAfterUnfragmentedMessage_Throws()
    {
        var encoder = new FrameEncoder(Side.Server);
        using var writer = new PooledBufferWriter();
        encoder.Encode(Frame.Text("whole"), writer);

        Assert.False(encoder.IsMessageInProgress);
        Assert.Throws<InvalidOperationException>(() => encoder.Encode(Frame.Continuation(s_hello, isFinal: true), writer));
    }

    [Theory]
    [InlineData(Opcode.Text, Opcode.Text)]
    [InlineData(Opcode.Text, Opcode.Binary)]
    [InlineData(Opcode.Binary, Opcode.Text)]
    [InlineData(Opcode.Binary, Opcode.Binary)]
    public void Encode_NewMessageWhileFragmentedMessageOpen_ThrowsWritesNothingAndKeepsTheMessageOpen(Opcode open, Opcode next)
    {
        var keys = new SequenceMaskKeySource(RfcMaskKey);
        var encoder = new FrameEncoder(Side.Client, keys);
        using var writer = new PooledBufferWriter();
        encoder.Encode(Frame.Create(open, isFinal: false, false, false, false, s_hello), writer);
        int written = writer.WrittenCount;

        Assert.Throws<InvalidOperationException>(() => encoder.Encode(Frame.Create(next, isFinal: true, false, false, false, s_hello), writer));
        Assert.Throws<InvalidOperationException>(() => encoder.Encode(Frame.Create(next, isFinal: false, false, false, false, s_hello), writer));

        Assert.Equal(written, writer.WrittenCount);
        Assert.Equal(1, keys.Calls);
        Assert.True(encoder.IsMessageInProgress);
        encoder.Encode(Frame.Continuation(s_hello, isFinal: true), writer);
        Assert.False(encoder.IsMessageInProgress);
    }

    [Fact]
    public void Encode_ControlFramesBetweenFragments_AreAllowedAndKeepTheMessageOpen()
    {
        var encoder = new FrameEncoder(Side.Server);
        using var writer = new PooledBufferWriter();
        var trace = new List<bool>();

        foreach (var frame in new Frame[]
        {
            Frame.Text("Hel"u8.ToArray(), isFinal: false),
            Frame.Ping(s_hello),
            Frame.Continuation("l"u8.ToArray(), isFinal: false),
            Frame.Pong(),
            Frame.Close(CloseReason.Normal),
            Frame.Continuation("o"u8.ToArray(), isFinal: true),
            Frame.Ping(),
        })
        {
            encoder.Encode(frame, writer);
            trace.Add(encoder.IsMessageInProgress);
        }

        Assert.Equal(new[] { true, true, true, true, true, false, false }, trace);
        Hex.AssertEqual(
            "01 03 48 65 6c  89 05 48 65 6c 6c 6f  00 01 6c  8a 00  88 02 03 e8  80 01 6f  89 00",
            writer.WrittenSpan);
    }

    [Fact]
    public void Encode_ControlFrameWithNoMessageOpen_LeavesNoMessageOpen()
    {
        var encoder = new FrameEncoder(Side.Server);
        using var writer = new PooledBufferWriter();

        encoder.Encode(Frame.Ping(), writer);

        Assert.False(encoder.IsMessageInProgress);
    }

    [Fact]
    public void Encode_NullArguments_Throw()
    {
        var encoder = new FrameEncoder(Side.Server);
        using var writer = new PooledBufferWriter();

        Assert.Throws<ArgumentNullException>(() => encoder.Encode(null!, writer));
        Assert.Throws<ArgumentNullException>(() => encoder.Encode(Frame.Ping(), null!));
        Assert.Throws<ArgumentNullException>(() => FrameEncoder.GetEncodedLength(null!, masked: false));
    }

    // Output discipline: one exact-size write for ordinary frames, pieces for very large ones.

    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65536)]
    [InlineData((1 << 20) - 14)]
    public void Encode_FrameUpTo1MiB_OneGetSpanAndOneAdvanceOfTheExactLength(int length)
    {
        foreach (var encoder in new[] { new FrameEncoder(Side.Server), ClientEncoder() })
        {
            var frame = Frame.Binary(new byte[length]);
            var writer = new RecordingWriter();

            encoder.Encode(frame, writer);

            long expected = FrameEncoder.GetEncodedLength(frame, encoder.IsMasking);
            Assert.Equal(new[] { (int)expected }, writer.SizeHints);
            Assert.Equal(new[] { (int)expected }, writer.Advances);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Encode_FrameOver1MiB_WrittenInPiecesWithTheKeyResumedAcrossThem(bool masked)
    {
        // Uneven piece lengths put every piece boundary at a different offset into the masking key.
        var payload = RandomBytes((3 << 20) + 5, seed: 11);
        var frame = Frame.Binary(payload);
        var encoder = masked ? ClientEncoder() : new FrameEncoder(Side.Server);
        var writer = new RecordingWriter(extraPerCall: 7);

        encoder.Encode(frame, writer);

        var header = masked ? "82 FF 00 00 00 00 00 30 00 05 37 FA 21 3D" : "82 7F 00 00 00 00 00 30 00 05";
        int headerLength = Hex.Parse(header).Length;
        var written = writer.Written;
        Assert.Equal(FrameEncoder.GetEncodedLength(frame, masked), written.Length);
        Hex.AssertEqual(header, written.AsSpan(0, headerLength));
        var expectedPayload = masked ? ReferenceMask(payload, Hex.Parse(RfcMaskKey)) : payload;
        Assert.True(expectedPayload.AsSpan().SequenceEqual(written.AsSpan(headerLength)), "payload differs");
        Assert.True(writer.SizeHints.Count > 40, $"expected many pieces, got {writer.SizeHints.Count}");
        Assert.All(writer.SizeHints, hint => Assert.InRange(hint, 1, 64 * 1024));
        Assert.False(encoder.IsMessageInProgress);
    }

    // Allocation discipline.

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Encode_MaskedKiBFrameIntoReusedWriter_AllocatesNothing(bool defaultKeySource)
    {
        var encoder = defaultKeySource ? new FrameEncoder(Side.Client) : ClientEncoder();
        var frame = Frame.Binary(RandomBytes(1024, seed: 1024));
        using var writer = new PooledBufferWriter();
        EncodeRepeatedly(encoder, frame, writer, 1000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        EncodeRepeatedly(encoder, frame, writer, 1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(1024 + 8, writer.WrittenCount);
    }

    // An independent reader: the BCL's ManagedWebSocket parses what we wrote.

    [Theory]
    [InlineData(Side.Client)]
    [InlineData(Side.Server)]
    public async Task Encode_ReadByManagedWebSocket_YieldsTheSameMessages(Side side)
    {
        var encoder = new FrameEncoder(side);
        using var writer = new PooledBufferWriter();
        var big = RandomBytes(70_000, seed: 70);
        encoder.Encode(Frame.Text("Hel"u8.ToArray(), isFinal: false), writer);
        encoder.Encode(Frame.Continuation("lo"u8.ToArray(), isFinal: true), writer);
        encoder.Encode(Frame.Binary(big), writer);
        encoder.Encode(Frame.Binary(ReadOnlyMemory<byte>.Empty), writer);
        encoder.Encode(Frame.Close(new CloseReason(CloseCode.GoingAway, "bye")), writer);

        // The BCL peer is the other side: it accepts masked frames only as a server, unmasked ones only as a client.
        using var stream = new InputOnlyStream(writer.WrittenMemory.ToArray());
        using var peer = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = side == Side.Client });
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var (type, data) = await ReceiveMessageAsync(peer, cancellation.Token);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal(s_hello, data);

        (type, data) = await ReceiveMessageAsync(peer, cancellation.Token);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(big, data);

        (type, data) = await ReceiveMessageAsync(peer, cancellation.Token);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Empty(data);

        (type, _) = await ReceiveMessageAsync(peer, cancellation.Token);
        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, peer.CloseStatus);
        Assert.Equal("bye", peer.CloseStatusDescription);
    }

    private static FrameEncoder ClientEncoder() => new(Side.Client, new FixedMaskKeySource(RfcMaskKey));

    private static byte[] Encode(FrameEncoder encoder, Frame frame)
    {
        using var writer = new PooledBufferWriter();
        encoder.Encode(frame, writer);
        return writer.WrittenSpan.ToArray();
    }

    private static void AssertEncodes(string expectedHex, FrameEncoder encoder, Frame frame)
    {
        var written = Encode(encoder, frame);
        Hex.AssertEqual(expectedHex, written);
        Assert.Equal(written.Length, FrameEncoder.GetEncodedLength(frame, encoder.IsMasking));
    }

    private static void EncodeRepeatedly(FrameEncoder encoder, Frame frame, PooledBufferWriter writer, int count)
    {
        for (int i = 0; i < count; i++)
        {
            writer.Reset();
            encoder.Encode(frame, writer);
        }
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>RFC 6455 §5.3 as written: "Octet i of the transformed data is the XOR of octet i of the original data with octet at index i modulo 4 of the masking key".</summary>
    private static byte[] ReferenceMask(byte[] data, byte[] key)
    {
        var result = new byte[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            result[i] = (byte)(data[i] ^ key[i % 4]);
        }

        return result;
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>
    /// An IBufferWriter that records every size hint and advance, and lends spans of exactly the hint plus
    /// <c>extraPerCall</c> times the call number modulo 4, so that callers cannot rely on any particular span length.
    /// </summary>
    private sealed class RecordingWriter(int extraPerCall = 0) : IBufferWriter<byte>
    {
        private byte[] _buffer = new byte[256];
        private int _written;
        private int _lent;

        public List<int> SizeHints { get; } = [];

        public List<int> Advances { get; } = [];

        public byte[] Written => _buffer.AsSpan(0, _written).ToArray();

        public void Advance(int count)
        {
            Assert.InRange(count, 0, _lent);
            Advances.Add(count);
            _written += count;
            _lent = 0;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            SizeHints.Add(sizeHint);
            _lent = Math.Max(sizeHint, 1) + (extraPerCall * (SizeHints.Count % 4));
            if (_buffer.Length - _written < _lent)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _written + _lent));
            }

            return _buffer.AsMemory(_written, _lent);
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    /// <summary>A stream that reads the given bytes and swallows writes, for a WebSocket peer that only receives.</summary>
    private sealed class InputOnlyStream(byte[] input) : Stream
    {
        private readonly MemoryStream _input = new(input, writable: false);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _input.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _input.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
