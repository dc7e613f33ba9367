using System.Text;

namespace Rx.WebSockets;

/// <summary>A data frame (RFC 6455 §5.6): Text, Binary or Continuation.</summary>
public abstract class DataFrame : Frame
{
    private protected DataFrame(Opcode opcode, ReadOnlyMemory<byte> payload, bool isFinal, bool rsv1, bool rsv2, bool rsv3)
        : base(opcode, isFinal, rsv1, rsv2, rsv3, payload)
    {
    }
}

/// <summary>A text frame: its payload is UTF-8 (RFC 6455 §5.6), validated by the decoder across fragments.</summary>
public sealed class TextFrame : DataFrame
{
    internal TextFrame(ReadOnlyMemory<byte> payload, bool isFinal, bool rsv1, bool rsv2 = false, bool rsv3 = false)
        : base(Opcode.Text, payload, isFinal, rsv1, rsv2, rsv3)
    {
    }

    /// <summary>Decodes the payload as UTF-8.</summary>
    /// <returns>The text.</returns>
    /// <exception cref="InvalidOperationException">The frame is a fragment (<see cref="Frame.IsFinal"/> is false): a character may be split across fragments.</exception>
    public string GetText()
    {
        if (!IsFinal)
        {
            throw new InvalidOperationException("Text can only be read from a final frame; reassemble the message first.");
        }

        return Encoding.UTF8.GetString(Payload.Span);
    }

    /// <inheritdoc/>
    private protected override void AppendPreview(StringBuilder builder) => AppendTextPreview(builder);
}

/// <summary>A binary frame: its payload is arbitrary bytes.</summary>
public sealed class BinaryFrame : DataFrame
{
    internal BinaryFrame(ReadOnlyMemory<byte> payload, bool isFinal, bool rsv1, bool rsv2 = false, bool rsv3 = false)
        : base(Opcode.Binary, payload, isFinal, rsv1, rsv2, rsv3)
    {
    }
}

/// <summary>A continuation frame: a later fragment of the message started by a Text or Binary frame (RFC 6455 §5.4).</summary>
public sealed class ContinuationFrame : DataFrame
{
    internal ContinuationFrame(ReadOnlyMemory<byte> payload, bool isFinal, bool rsv1, bool rsv2 = false, bool rsv3 = false)
        : base(Opcode.Continuation, payload, isFinal, rsv1, rsv2, rsv3)
    {
    }
}
