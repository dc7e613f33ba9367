using System.Collections.Generic;

namespace Rx.WebSockets.Protocol;

/// <summary>Splits outgoing messages into fragments (RFC 6455 §5.4).</summary>
/// <remarks>
/// <para>
/// Fragments are cut at exact byte counts, so a Text fragment may end inside a UTF-8 character. RFC 6455 §5.6
/// allows it ("a particular text frame might include a partial UTF-8 sequence; however, the whole message MUST
/// contain valid UTF-8"), receivers validate across fragments (Autobahn cases 6.x check exactly that), and it is
/// the only rule that also works for compressed payloads (RSV1 under permessage-deflate), whose bytes are not
/// text, and for a <c>fragmentSize</c> smaller than a four-byte character. It also makes every fragment but the
/// last exactly <c>fragmentSize</c> bytes. Ktor's frames behave the same ("Fragment boundaries may split UTF-8
/// characters").
/// </para>
/// <para>Thread-safety: stateless.</para>
/// </remarks>
public static class Fragmentation
{
    /// <summary>
    /// Splits a whole Text or Binary message into frames of at most <paramref name="fragmentSize"/> payload bytes:
    /// the first keeps the message's opcode with <see cref="Frame.IsFinal"/> false, the rest are
    /// <see cref="ContinuationFrame"/>s, and only the last is final. A message that fits (including an empty one)
    /// is returned as is, as the only element.
    /// </summary>
    /// <param name="message">A final <see cref="TextFrame"/> or <see cref="BinaryFrame"/>.</param>
    /// <param name="fragmentSize">The largest payload of one fragment, at least 1.</param>
    /// <returns>
    /// The fragments, produced lazily. Their payloads are slices of the message's payload (nothing is copied), so
    /// they are valid as long as that memory is.
    /// </returns>
    /// <remarks>
    /// The first fragment keeps the message's RSV bits and the continuations carry none: extensions that mark a
    /// whole message, like permessage-deflate's "Per-Message Compressed" bit (RFC 7692 §6), mark its first frame
    /// only. An extension must therefore transform the message before it is fragmented.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="message"/> is a continuation frame or is not final (it is already a fragment).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fragmentSize"/> is less than 1.</exception>
    public static IEnumerable<DataFrame> Fragment(DataFrame message, int fragmentSize)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentOutOfRangeException.ThrowIfLessThan(fragmentSize, 1);
        if (message.Opcode is not (Opcode.Text or Opcode.Binary))
        {
            throw new ArgumentException("Only a Text or Binary frame starts a message; a continuation is already a fragment.", nameof(message));
        }

        if (!message.IsFinal)
        {
            throw new ArgumentException("The frame is already the first fragment of a message; pass the whole message.", nameof(message));
        }

        // Checked eagerly, iterated lazily: the argument errors above surface at the call, not at the first MoveNext.
        return message.Payload.Length <= fragmentSize ? [message] : Split(message, fragmentSize);
    }

    private static IEnumerable<DataFrame> Split(DataFrame message, int fragmentSize)
    {
        ReadOnlyMemory<byte> payload = message.Payload;
        yield return message.Opcode == Opcode.Text
            ? new TextFrame(payload[..fragmentSize], isFinal: false, message.Rsv1, message.Rsv2, message.Rsv3)
            : new BinaryFrame(payload[..fragmentSize], isFinal: false, message.Rsv1, message.Rsv2, message.Rsv3);

        // Advance by the slice just taken, never by fragmentSize: offset + length stays within the payload, so
        // the sum cannot overflow however large fragmentSize is.
        int offset = fragmentSize;
        while (offset < payload.Length)
        {
            int length = Math.Min(fragmentSize, payload.Length - offset);
            bool isFinal = offset + length == payload.Length;
            yield return new ContinuationFrame(payload.Slice(offset, length), isFinal, rsv1: false);
            offset += length;
        }
    }
}
