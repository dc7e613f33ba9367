using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using Rx.WebSockets.Protocol;

namespace Rx.WebSockets.Tests.TestSupport;

/// <summary>
/// Assertions about <see cref="FrameDecoder"/> named after RFC 6455's procedures: input that decodes (in every
/// segment shape, prefix by prefix, and arriving byte by byte) and input that makes the decoder
/// "_Fail the WebSocket Connection_" (§7.1.7) with a given close code. Also builds wire frames.
/// </summary>
public static class DecoderAssert
{
    /// <summary>The masking key of the RFC 6455 §5.7 examples, used for frames a client sends.</summary>
    public const string Rfc6455MaskKey = "37 FA 21 3D";

    /// <summary>Limits that never get in the way.</summary>
    public static FrameLimits Unlimited { get; } = new()
    {
        MaxFrameSize = FrameLimits.MaxSupportedSize,
        MaxMessageSize = FrameLimits.MaxSupportedSize,
    };

    /// <summary>Builds one frame's bytes; masked with <paramref name="maskKey"/> (hex, wire order) when given.</summary>
    public static byte[] Wire(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, string? maskKey = null, bool rsv1 = false, bool rsv2 = false, bool rsv3 = false)
    {
        uint key = maskKey is null ? 0 : Masking.ReadMaskKey(Hex.Parse(maskKey));
        var header = new FrameHeader(fin, rsv1, rsv2, rsv3, opcode, maskKey is not null, payload.Length, key);
        var wire = new byte[header.HeaderLength + payload.Length];
        int headerLength = header.Write(wire);
        Masking.Apply(payload, wire.AsSpan(headerLength), key, 0); // key 0 = plain copy
        return wire;
    }

    /// <summary>A frame as a client sends it to a server: masked with the RFC 6455 §5.7 key.</summary>
    public static byte[] FromClient(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true) =>
        Wire(opcode, payload, fin, Rfc6455MaskKey);

    /// <summary>Concatenates byte arrays.</summary>
    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>Decodes frames until the decoder needs more data.</summary>
    public static List<Frame> DecodeAvailable(FrameDecoder decoder, ReadOnlySequence<byte> input, out long consumed)
    {
        var frames = new List<Frame>();
        var reader = new SequenceReader<byte>(input);
        while (true)
        {
            long before = reader.Consumed;
            var status = decoder.TryDecode(ref reader, out var frame);
            if (status == OperationStatus.NeedMoreData)
            {
                Assert.Null(frame);
                Assert.Equal(before, reader.Consumed);
                consumed = reader.Consumed;
                return frames;
            }

            Assert.Equal(OperationStatus.Done, status);
            Assert.NotNull(frame);
            Assert.True(reader.Consumed > before, "Done must consume the frame.");
            frames.Add(frame);
        }
    }

    /// <summary>Decodes <paramref name="hex"/> with unlimited limits; see <see cref="Decodes(Side, FrameLimits, byte[], Frame[])"/>.</summary>
    public static void Decodes(Side side, string hex, params Frame[] expected) => Decodes(side, Unlimited, Hex.Parse(hex), expected);

    /// <summary>
    /// Asserts that <paramref name="wire"/> decodes to exactly <paramref name="expected"/>, consuming everything:
    /// in one segment, in one-byte segments and split at every index; that every strict prefix yields the frames it
    /// wholly contains and then NeedMoreData without consuming the incomplete frame; and that one decoder fed the
    /// input as it arrives, byte by byte, re-presenting unconsumed bytes (the PipeReader contract), agrees.
    /// </summary>
    public static void Decodes(Side side, FrameLimits limits, byte[] wire, params Frame[] expected)
    {
        foreach (var (name, sequence) in Sequences.AllShapes(wire))
        {
            var frames = DecodeAvailable(new FrameDecoder(side, limits), sequence, out long consumed);
            AssertFrames(expected, frames, name);
            Assert.Equal(wire.Length, consumed);
        }

        // Frame boundaries, from the one-segment decode.
        var ends = new List<long>();
        var boundaryReader = new SequenceReader<byte>(new ReadOnlySequence<byte>(wire));
        var boundaryDecoder = new FrameDecoder(side, limits);
        while (boundaryDecoder.TryDecode(ref boundaryReader, out _) == OperationStatus.Done)
        {
            ends.Add(boundaryReader.Consumed);
        }

        for (int length = 0; length < wire.Length; length++)
        {
            var frames = DecodeAvailable(new FrameDecoder(side, limits), new ReadOnlySequence<byte>(wire, 0, length), out long consumed);
            int whole = ends.Count(end => end <= length);
            AssertFrames(expected.Take(whole).ToList(), frames, $"prefix of {length} bytes");
            Assert.Equal(whole == 0 ? 0 : ends[whole - 1], consumed);
        }

        var arriving = Arrive(new FrameDecoder(side, limits), wire, out long total);
        AssertFrames(expected, arriving, "arriving byte by byte");
        Assert.Equal(wire.Length, total);
    }

    /// <summary>
    /// Feeds <paramref name="wire"/> to one decoder as if it arrived one byte at a time: each call sees the
    /// unconsumed bytes plus the new one.
    /// </summary>
    public static List<Frame> Arrive(FrameDecoder decoder, byte[] wire, out long consumed)
    {
        var frames = new List<Frame>();
        consumed = 0;
        for (int arrived = 0; arrived <= wire.Length; arrived++)
        {
            frames.AddRange(DecodeAvailable(decoder, new ReadOnlySequence<byte>(wire, (int)consumed, arrived - (int)consumed), out long step));
            consumed += step;
        }

        return frames;
    }

    /// <summary>
    /// Asserts that decoding <paramref name="wire"/> fails the connection with <paramref name="code"/> and an
    /// exception of exactly <typeparamref name="TException"/>, in every segment shape and when the bytes arrive one
    /// at a time. Returns the exception from the one-segment decode.
    /// </summary>
    public static TException FailsConnection<TException>(Side side, byte[] wire, CloseCode code, FrameLimits? limits = null)
        where TException : WebSocketProtocolException
    {
        limits ??= Unlimited;
        TException? first = null;
        foreach (var (name, sequence) in Sequences.AllShapes(wire))
        {
            var exception = Record.Exception(() => DecodeAvailable(new FrameDecoder(side, limits), sequence, out _));
            var failure = CheckFailure<TException>(exception, code, name);
            first ??= failure;
        }

        var arriving = Record.Exception(() => Arrive(new FrameDecoder(side, limits), wire, out _));
        CheckFailure<TException>(arriving, code, "arriving byte by byte");
        return first!;
    }

    /// <summary><see cref="FailsConnection{TException}"/> for a <see cref="WebSocketProtocolException"/> (1002, 1007).</summary>
    public static WebSocketProtocolException FailsConnection(Side side, byte[] wire, CloseCode code, FrameLimits? limits = null) =>
        FailsConnection<WebSocketProtocolException>(side, wire, code, limits);

    /// <summary>Asserts that decoding <paramref name="wire"/> fails with <see cref="FrameTooBigException"/> (1009).</summary>
    public static FrameTooBigException FailsTooBig(Side side, byte[] wire, FrameLimits limits) =>
        FailsConnection<FrameTooBigException>(side, wire, CloseCode.TooBig, limits);

    private static TException CheckFailure<TException>(Exception? exception, CloseCode code, string shape)
        where TException : WebSocketProtocolException
    {
        if (exception is null)
        {
            Assert.Fail($"{shape}: expected the connection to fail with {code}, but decoding needed more data.");
        }

        if (exception.GetType() != typeof(TException))
        {
            Assert.Fail($"{shape}: expected {typeof(TException).Name} with {code}, got {exception}");
        }

        var protocolException = (TException)exception;
        Assert.Equal(code, protocolException.CloseCode);
        return protocolException;
    }

    private static void AssertFrames(IReadOnlyList<Frame> expected, IReadOnlyList<Frame> actual, string shape)
    {
        if (!expected.SequenceEqual(actual))
        {
            Assert.Fail($"{shape}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
        }
    }
}
