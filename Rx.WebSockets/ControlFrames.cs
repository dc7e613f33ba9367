using System.Text;

namespace Rx.WebSockets;

/// <summary>A control frame (RFC 6455 §5.5): final, at most 125 bytes of payload, no RSV bits.</summary>
public abstract class ControlFrame : Frame
{
    private protected ControlFrame(Opcode opcode, ReadOnlyMemory<byte> payload)
        : base(opcode, isFinal: true, rsv1: false, rsv2: false, rsv3: false, payload)
    {
    }
}

/// <summary>A Ping frame (RFC 6455 §5.5.2); the peer answers with a Pong carrying the same payload.</summary>
public sealed class PingFrame : ControlFrame
{
    internal PingFrame(ReadOnlyMemory<byte> payload)
        : base(Opcode.Ping, payload)
    {
    }
}

/// <summary>A Pong frame (RFC 6455 §5.5.3): the answer to a Ping, or an unsolicited heartbeat.</summary>
public sealed class PongFrame : ControlFrame
{
    internal PongFrame(ReadOnlyMemory<byte> payload)
        : base(Opcode.Pong, payload)
    {
    }
}

/// <summary>A Close frame (RFC 6455 §5.5.1): an optional code and UTF-8 message.</summary>
public sealed class CloseFrame : ControlFrame
{
    internal CloseFrame(ReadOnlyMemory<byte> payload, CloseReason? reason)
        : base(Opcode.Close, payload)
    {
        Reason = reason;
    }

    /// <summary>The code and message, or <see langword="null"/> when the payload is empty (the peer sent no status: 1005).</summary>
    public CloseReason? Reason { get; }

    /// <inheritdoc/>
    private protected override void AppendPreview(StringBuilder builder) =>
        builder.Append(Reason is null ? "no status" : $"{Reason.Code} \"{Reason.Message}\"");
}
