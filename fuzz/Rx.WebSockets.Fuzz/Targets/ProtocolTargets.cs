using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Protocol.Extensions;
using Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;

namespace Rx.WebSockets.Fuzz.Targets;

/// <summary>Fuzz targets for the RFC 6455 / RFC 7692 parsers (Rx.WebSockets.Protocol).</summary>
public static class ProtocolTargets
{
    // Small limits, so that the fuzzer reaches the 1009 paths with small inputs.
    internal static readonly FrameLimits Limits = new() { MaxFrameSize = 2048, MaxMessageSize = 4096 };

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// RFC 6455 §5: the input is the byte stream a client sends, decoded server side by <see cref="FrameDecoder"/>,
    /// once plain and once with RSV1 allowed and every frame passed through <see cref="PerMessageDeflateExtension.Decode"/>.
    /// Each delivered text message is cross-checked against a strict UTF-8 decoder.
    /// </summary>
    /// <param name="input">The fuzz input.</param>
    public static void Frames(ReadOnlySpan<byte> input)
    {
        StreamingHarness.Run("frame", input, () => new FrameParser(deflate: false));
        StreamingHarness.Run("frame+deflate", input, () => new FrameParser(deflate: true));
    }

    /// <summary>
    /// RFC 3629 / RFC 6455 §8.1: <see cref="Utf8Validator"/> fed the input in chunks (every delivery shape) must agree
    /// with <see cref="UTF8Encoding"/> (throwOnInvalidBytes) on the whole input, and with <see cref="Utf8Validator.IsValid"/>.
    /// Also checks the incomplete-at-end state: valid so far but unfinished means the strict decoder fails only for
    /// lack of bytes.
    /// </summary>
    /// <param name="input">The fuzz input.</param>
    /// <exception cref="FuzzFindingException">The validators disagree.</exception>
    public static void Utf8(ReadOnlySpan<byte> input)
    {
        bool expected = IsStrictUtf8(input);
        bool oneShot = Utf8Validator.IsValid(input);
        if (oneShot != expected)
        {
            throw new FuzzFindingException($"utf8: Utf8Validator.IsValid says {oneShot}, UTF8Encoding says {expected}.");
        }

        foreach (var (name, chunks) in Delivery.Shapes(input))
        {
            var validator = default(Utf8Validator);
            bool ok = true;
            int offset = 0;
            int failedAt = -1;
            foreach (int chunk in chunks)
            {
                if (!validator.Advance(input.Slice(offset, chunk)))
                {
                    ok = false;
                    failedAt = offset;
                    if (!validator.HasFailed)
                    {
                        throw new FuzzFindingException($"utf8 ({name}): Advance returned false but HasFailed is false.");
                    }

                    break;
                }

                offset += chunk;
            }

            bool incremental = ok && validator.IsComplete;
            if (incremental != expected)
            {
                throw new FuzzFindingException(
                    $"utf8 ({name}): incremental validation says {incremental} (failed at chunk offset {failedAt}), UTF8Encoding says {expected}.");
            }

            if (ok && !validator.IsComplete)
            {
                // Valid so far: some completion must exist, i.e. the pending bytes are the start of a valid character.
                // The strict decoder must then accept the input up to the last lead byte.
                int lead = input.Length - 1;
                while (lead > 0 && (input[lead] & 0xC0) == 0x80)
                {
                    lead--;
                }

                if (!IsStrictUtf8(input[..lead]))
                {
                    throw new FuzzFindingException($"utf8 ({name}): the validator is waiting for more bytes, but the input before the last lead byte is invalid.");
                }
            }
        }
    }

    /// <summary>
    /// RFC 6455 §5.5.1, §7.4: the input is a Close payload, sent in a masked Close frame to a server-side
    /// <see cref="FrameDecoder"/> (so it is parsed exactly where received close payloads are parsed). Acceptance must
    /// match an independent oracle (empty, or a 2-byte code valid on receive plus strict UTF-8, at most 125 bytes); an
    /// accepted payload must give the same code and text, and <see cref="CloseHandshake.OnCloseReceived"/> must answer it.
    /// </summary>
    /// <param name="input">The fuzz input.</param>
    /// <exception cref="FuzzFindingException">The decoder and the oracle disagree.</exception>
    public static void ClosePayload(ReadOnlySpan<byte> input)
    {
        // The frame below uses the 16-bit extended length; anything longer is rejected as over 125 bytes anyway.
        input = input[..Math.Min(input.Length, ushort.MaxValue)];
        var wire = new List<byte> { 0x88 };
        if (input.Length <= 125)
        {
            wire.Add((byte)(0x80 | input.Length));
        }
        else
        {
            wire.Add(0x80 | 126);
            wire.Add((byte)(input.Length >> 8));
            wire.Add((byte)input.Length);
        }

        uint hash = Delivery.Hash(input);
        Span<byte> mask = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(mask, hash);
        wire.AddRange(mask.ToArray());
        for (int i = 0; i < input.Length; i++)
        {
            wire.Add((byte)(input[i] ^ mask[i & 3]));
        }

        var transcript = StreamingHarness.Run("close", wire.ToArray(), () => new FrameParser(deflate: false));
        bool expected = input.Length == 0
            || (input.Length >= 2 && input.Length <= 125 && IsValidCloseCode(BinaryPrimitives.ReadUInt16BigEndian(input)) && IsStrictUtf8(input[2..]));
        bool accepted = transcript.Count > 0 && transcript[0].StartsWith("Close ", StringComparison.Ordinal);
        if (accepted != expected)
        {
            throw new FuzzFindingException($"close: the decoder {(accepted ? "accepted" : "rejected")} a payload the RFC says to {(expected ? "accept" : "reject")}: {transcript.FirstOrDefault()}");
        }

        if (!accepted)
        {
            return;
        }

        // Decode again to inspect the frame object itself.
        var decoder = new FrameDecoder(Side.Server, Limits);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(wire.ToArray()));
        decoder.TryDecode(ref reader, out var frame);
        if (frame is not CloseFrame close)
        {
            throw new FuzzFindingException($"close: decoded {frame?.GetType().Name ?? "nothing"} instead of a CloseFrame.");
        }

        if (input.Length == 0 ? close.Reason is not null : close.Reason is null
            || close.Reason.Code.Value != BinaryPrimitives.ReadUInt16BigEndian(input)
            || close.Reason.Message != s_strictUtf8.GetString(input[2..]))
        {
            throw new FuzzFindingException($"close: the reason {close.Reason} does not match the payload.");
        }

        var handshake = new CloseHandshake();
        if (handshake.OnCloseReceived(close.Reason, out var reply) != CloseDecision.Reply || reply is null)
        {
            throw new FuzzFindingException("close: an open handshake did not answer a received Close.");
        }

        if (close.Reason is { } reason && reply.Reason != reason)
        {
            throw new FuzzFindingException($"close: the reply {reply.Reason} does not echo {reason}.");
        }
    }

    /// <summary>
    /// RFC 7692 §7.2.2: bounded inflate through <see cref="PerMessageDeflateExtension.Decode"/>. The input is a series of
    /// records <c>[flags][length][payload]</c> (flags: bit 0 FIN, bit 1 binary, bit 2 RSV1 on a first frame, bit 3
    /// no-context-takeover on the first record). Every message must end in a result no longer than MaxMessageSize or in
    /// a <see cref="WebSocketProtocolException"/>; and a message must inflate to the same bytes whether its compressed
    /// payload arrives in the given fragments or in one frame.
    /// </summary>
    /// <param name="input">The fuzz input.</param>
    /// <exception cref="FuzzFindingException">An invariant failed.</exception>
    public static void Inflate(ReadOnlySpan<byte> input)
    {
        bool noContext = input.Length > 0 && (input[0] & 8) != 0;
        var frames = new List<Frame>();
        bool open = false;
        for (int i = 0; i + 1 < input.Length && frames.Count < 64;)
        {
            byte flags = input[i];
            int length = Math.Min(input[i + 1], input.Length - i - 2);
            var payload = input.Slice(i + 2, length).ToArray();
            i += 2 + length;
            bool fin = (flags & 1) != 0;
            frames.Add(open
                ? Frame.Create(Opcode.Continuation, fin, rsv1: false, rsv2: false, rsv3: false, payload)
                : Frame.Create((flags & 2) != 0 ? Opcode.Binary : Opcode.Text, fin, (flags & 4) != 0, rsv2: false, rsv3: false, payload));
            open = !fin;
        }

        // The same messages, each in one frame (a trailing unfinished message stays as it is).
        var whole = new List<Frame>();
        for (int start = 0; start < frames.Count;)
        {
            int end = start;
            while (end < frames.Count - 1 && !frames[end].IsFinal)
            {
                end++;
            }

            if (!frames[end].IsFinal)
            {
                whole.AddRange(frames.Skip(start));
                break;
            }

            var bytes = frames.Skip(start).Take(end - start + 1).SelectMany(f => f.Payload.ToArray()).ToArray();
            whole.Add(Frame.Create(frames[start].Opcode, true, frames[start].Rsv1, false, false, bytes));
            start = end + 1;
        }

        var fragmented = InflateAll(frames, noContext);
        var joined = InflateAll(whole, noContext);
        Delivery.AssertSame("inflate", fragmented, "fragments", joined, "one frame per message");
    }

    /// <summary>
    /// RFC 6455 §9.1 / RFC 7692 §5: <see cref="ExtensionHeader.TryParseList(string)"/> on the input as a Latin-1 field
    /// value must not throw; an accepted list must format and parse back to the same list; negotiating
    /// permessage-deflate from it must not throw, and what it agrees must build a server-side extension.
    /// </summary>
    /// <param name="input">The fuzz input.</param>
    /// <exception cref="FuzzFindingException">An invariant failed.</exception>
    public static void ExtensionHeaders(ReadOnlySpan<byte> input)
    {
        string value = Encoding.Latin1.GetString(input);
        // Several field lines of the same name form one list (RFC 9110 §5.3): a NUL byte separates lines here.
        var lines = value.Split('\0');
        bool parsed = lines.Length == 1 ? ExtensionHeader.TryParseList(value, out var elements) : ExtensionHeader.TryParseList(lines, out elements);
        if (!parsed)
        {
            return;
        }

        string formatted = ExtensionHeader.FormatList(elements);
        if (!ExtensionHeader.TryParseList(formatted, out var again))
        {
            throw new FuzzFindingException($"extension: the formatted list '{formatted}' does not parse.");
        }

        if (ExtensionHeader.FormatList(again) != formatted || again.Count != elements.Count)
        {
            throw new FuzzFindingException($"extension: '{formatted}' does not round-trip.");
        }

        foreach (var options in new[] { new PerMessageDeflateOptions(), new PerMessageDeflateOptions { ServerNoContextTakeover = true, ClientNoContextTakeover = true } })
        {
            var agreed = Negotiator.Negotiate(elements, options);
            if (agreed is null)
            {
                continue;
            }

            using var extension = new PerMessageDeflateExtension(Side.Server, agreed, options, Limits);
            if (!ExtensionHeader.TryParseList(agreed.ToExtensionHeader().ToString(), out var response) || response.Count != 1)
            {
                throw new FuzzFindingException($"extension: the agreement '{agreed}' does not parse as one element.");
            }
        }
    }

    internal static bool IsStrictUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            s_strictUtf8.GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    // RFC 6455 §7.4.1/§7.4.2 and the IANA registry: 1000–1003, 1007–1014 defined and sendable, 3000–4999 for
    // libraries and applications; 1004–1006 and 1015 never on the wire, everything else undefined.
    private static bool IsValidCloseCode(int code) => code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    private static List<string> InflateAll(List<Frame> frames, bool noContextTakeover)
    {
        var transcript = new List<string>();
        var parameters = new PerMessageDeflateParameters { ClientNoContextTakeover = noContextTakeover };
        using var extension = new PerMessageDeflateExtension(Side.Server, parameters, limits: Limits);
        var message = new List<byte>();
        bool text = false;
        bool compressed = false;
        try
        {
            foreach (var frame in frames)
            {
                var decoded = extension.Decode(frame);
                if (decoded.Rsv1)
                {
                    throw new FuzzFindingException("inflate: a decoded frame still has RSV1 set.");
                }

                if (frame.Opcode != Opcode.Continuation)
                {
                    message.Clear();
                    text = frame.Opcode == Opcode.Text;
                    compressed = frame.Rsv1;
                }

                message.AddRange(decoded.Payload.ToArray());
                if (compressed && message.Count > Limits.MaxMessageSize)
                {
                    throw new FuzzFindingException($"inflate: a message inflated to {message.Count} bytes, over the {Limits.MaxMessageSize}-byte limit.");
                }

                if (decoded.IsFinal)
                {
                    var bytes = message.ToArray();
                    // The extension validates what it inflates; an uncompressed message is the decoder's to validate.
                    if (text && compressed && !IsStrictUtf8(bytes))
                    {
                        throw new FuzzFindingException("inflate: an inflated text message that is not UTF-8 was delivered.");
                    }

                    transcript.Add((text ? "text " : "binary ") + Convert.ToHexStringLower(bytes));
                }
            }

            transcript.Add("open=" + (frames.Count > 0 && !frames[^1].IsFinal));
        }
        catch (WebSocketProtocolException e)
        {
            transcript.Add($"error {e.GetType().Name} {e.CloseCode.Value}");
        }

        return transcript;
    }

    /// <summary>A server-side <see cref="FrameDecoder"/>, optionally followed by permessage-deflate, as a streaming parser.</summary>
    private sealed class FrameParser : IStreamingParser
    {
        private readonly FrameDecoder _decoder;
        private readonly PerMessageDeflateExtension? _extension;
        private readonly List<byte> _message = [];
        private bool _messageIsText;
        private long _messageLength;

        public FrameParser(bool deflate)
        {
            _decoder = new FrameDecoder(Side.Server, Limits) { AllowRsv1OnFirstDataFrame = deflate };
            _extension = deflate ? new PerMessageDeflateExtension(Side.Server, new PerMessageDeflateParameters(), limits: Limits) : null;
        }

        public bool ConsumesNothingOnNeedMoreData => true;

        public OperationStatus Step(ref SequenceReader<byte> reader, List<string> transcript)
        {
            long before = reader.Consumed;
            var status = _decoder.TryDecode(ref reader, out var frame);
            if (status != OperationStatus.Done)
            {
                return status;
            }

            if (frame is null || reader.Consumed - before < 2)
            {
                throw new FuzzFindingException($"frame: Done with {(frame is null ? "no frame" : "fewer than 2 bytes consumed")}.");
            }

            var delivered = _extension is null ? frame : _extension.Decode(frame);
            transcript.Add(Describe(delivered));
            Track(delivered);
            return status;
        }

        public void Finish(long unconsumed, List<string> transcript)
        {
            transcript.Add($"end unconsumed={unconsumed} open={_decoder.IsMessageInProgress}");
            _extension?.Dispose();
        }

        public string? Classify(Exception exception)
        {
            _extension?.Dispose();
            return exception is WebSocketProtocolException e ? $"error {e.GetType().Name} {e.CloseCode.Value}" : null;
        }

        private static string Describe(Frame frame)
        {
            var text = new StringBuilder();
            text.Append(frame.Opcode).Append(" fin=").Append(frame.IsFinal).Append(" rsv1=").Append(frame.Rsv1).Append(' ')
                .Append(Convert.ToHexStringLower(frame.Payload.Span));
            if (frame is CloseFrame close)
            {
                text.Append(" reason=").Append(close.Reason);
            }

            return text.ToString();
        }

        // Cross-checks every complete text message, as delivered to the application, against a strict decoder.
        // MaxMessageSize holds for what is delivered: the decoder enforces it on plain messages, the extension on
        // inflated ones.
        private void Track(Frame frame)
        {
            if (frame.IsControl)
            {
                return;
            }

            if (frame.Opcode != Opcode.Continuation)
            {
                _message.Clear();
                _messageLength = 0;
                _messageIsText = frame.Opcode == Opcode.Text;
            }

            _messageLength += frame.Payload.Length;
            if (_messageIsText)
            {
                _message.AddRange(frame.Payload.ToArray());
            }

            if (_messageLength > Limits.MaxMessageSize)
            {
                throw new FuzzFindingException($"frame: a message of {_messageLength} bytes passed the {Limits.MaxMessageSize}-byte limit.");
            }

            if (frame.IsFinal && _messageIsText && !IsStrictUtf8(_message.ToArray()))
            {
                throw new FuzzFindingException("frame: a text message that is not valid UTF-8 was delivered.");
            }
        }
    }
}
