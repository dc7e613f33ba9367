namespace Rx.WebSockets;

/// <summary>
/// The frame opcodes of RFC 6455 §5.2 ("Opcode: 4 bits"). Values 0x3–0x7 and 0xB–0xF are reserved and are
/// rejected by the decoder with <see cref="CloseCode.ProtocolError"/>.
/// </summary>
public enum Opcode : byte
{
    /// <summary>%x0 denotes a continuation frame.</summary>
    Continuation = 0x0,

    /// <summary>%x1 denotes a text frame.</summary>
    Text = 0x1,

    /// <summary>%x2 denotes a binary frame.</summary>
    Binary = 0x2,

    /// <summary>%x8 denotes a connection close.</summary>
    Close = 0x8,

    /// <summary>%x9 denotes a ping.</summary>
    Ping = 0x9,

    /// <summary>%xA denotes a pong.</summary>
    Pong = 0xA,
}

/// <summary>Classification helpers for <see cref="Opcode"/>.</summary>
public static class OpcodeExtensions
{
    /// <summary>Whether the opcode denotes a control frame (RFC 6455 §5.5: the most significant bit of the opcode is 1).</summary>
    /// <param name="opcode">The opcode.</param>
    /// <returns><see langword="true"/> for Close, Ping, Pong and the reserved control opcodes 0xB–0xF.</returns>
    public static bool IsControl(this Opcode opcode) => ((byte)opcode & 0x8) != 0;

    /// <summary>Whether the opcode denotes a data frame (RFC 6455 §5.6): Continuation, Text or Binary.</summary>
    /// <param name="opcode">The opcode.</param>
    /// <returns><see langword="true"/> for 0x0, 0x1 and 0x2.</returns>
    public static bool IsData(this Opcode opcode) => (byte)opcode <= 0x2;

    /// <summary>Whether the opcode is reserved for further frames (RFC 6455 §5.2: %x3-7 and %xB-F).</summary>
    /// <param name="opcode">The opcode.</param>
    /// <returns><see langword="true"/> when no frame type is defined for the value.</returns>
    public static bool IsReserved(this Opcode opcode) =>
        opcode is not (Opcode.Continuation or Opcode.Text or Opcode.Binary or Opcode.Close or Opcode.Ping or Opcode.Pong);
}
