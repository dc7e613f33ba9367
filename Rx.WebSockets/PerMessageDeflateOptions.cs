using System.IO.Compression;

namespace Rx.WebSockets;

/// <summary>
/// Options of the permessage-deflate extension (RFC 7692 §7) as a server offers it: what it asks of the client on
/// top of the client's offer, how hard it compresses, and which messages it leaves uncompressed (Ktor's
/// <c>WebSocketDeflateExtension.Config</c>). Mutable, for binding through Microsoft.Extensions.Options; a session
/// copies the values it starts with.
/// </summary>
/// <remarks>
/// <para>
/// Defaults and their reasons: context takeover stays on in both directions (what the client asks for wins; it
/// gives the best ratio on the repetitive JSON that real-time apps send), <see cref="CompressionLevel.Optimal"/>
/// (zlib level 6, the level of Ktor, the .NET runtime's <c>ManagedWebSocket</c> and python-websockets), and every
/// non-empty message is compressed (<see cref="MinimumSizeToCompress"/> 0, as in Ktor and the runtime).
/// </para>
/// <para>
/// Window bits are not an option: the server uses the window the client asks it for (RFC 7692 §7.1.2.1). A
/// <c>server_max_window_bits</c> of 15 is answered as is (<c>System.IO.Compression</c>); 9 to 14 is answered with
/// the same value and compressed through the system zlib (<c>libz.so.1</c>), because .NET 10's
/// <c>System.IO.Compression</c> has no window setting; where that library cannot be loaded, and always for 8 (zlib's
/// raw deflate refuses an 8-bit window), the offer is declined and the client's next offer, if any, is tried (see
/// ADR 0006). The server never asks the client for a smaller window: its 15-bit inflater reads any window.
/// </para>
/// <para>
/// Memory: with context takeover each connection keeps a compressor (about 245 KiB of native zlib state at 15 bits,
/// less with a smaller agreed window) and a decompressor (about 57 KiB) for its whole life. <see cref="ServerNoContextTakeover"/> and
/// <see cref="ClientNoContextTakeover"/> release them between messages, at the cost of ratio and of setting up
/// zlib again for every message.
/// </para>
/// </remarks>
public sealed class PerMessageDeflateOptions
{
    /// <summary>The default of <see cref="CompressionLevel"/>: <see cref="System.IO.Compression.CompressionLevel.Optimal"/>.</summary>
    public const CompressionLevel DefaultCompressionLevel = CompressionLevel.Optimal;

    /// <summary>The default of <see cref="MinimumSizeToCompress"/>: 0, every non-empty message is compressed.</summary>
    public const int DefaultMinimumSizeToCompress = 0;

    private CompressionLevel _compressionLevel = DefaultCompressionLevel;
    private int _minimumSizeToCompress = DefaultMinimumSizeToCompress;

    /// <summary>
    /// Whether the server compresses every message with a fresh LZ77 window (RFC 7692 §7.1.1.1): when true the
    /// response always carries <c>server_no_context_takeover</c>, whether the client offered it or not. The server
    /// also does so, whatever this is, when the client's offer asks for it. Default false.
    /// </summary>
    public bool ServerNoContextTakeover { get; set; }

    /// <summary>
    /// Whether the server requires the client to compress every message with a fresh LZ77 window (RFC 7692
    /// §7.1.1.2): when true the response always carries <c>client_no_context_takeover</c>, and the server drops its
    /// decompressor between messages. It is also answered, whatever this is, when the client offers it (the client
    /// has said it will not use context takeover anyway). Default false.
    /// </summary>
    public bool ClientNoContextTakeover { get; set; }

    /// <summary>How hard outgoing messages are compressed. Default <see cref="System.IO.Compression.CompressionLevel.Optimal"/> (zlib level 6).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="System.IO.Compression.CompressionLevel"/>.</exception>
    public CompressionLevel CompressionLevel
    {
        get => _compressionLevel;
        set => _compressionLevel = Enum.IsDefined(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown compression level.");
    }

    /// <summary>
    /// The smallest payload, in bytes, of a message that is compressed; shorter messages are sent as they are, with
    /// RSV1 clear, which RFC 7692 allows for any message (Ktor's <c>compressIfBiggerThan(n)</c> is
    /// <c>MinimumSizeToCompress = n + 1</c>). Empty messages are never compressed. A message that the application
    /// fragments itself is judged by its first fragment. Default 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MinimumSizeToCompress
    {
        get => _minimumSizeToCompress;
        set => _minimumSizeToCompress = value < 0
            ? throw new ArgumentOutOfRangeException(nameof(value), value, "The minimum size must not be negative.")
            : value;
    }

    /// <summary>Creates an independent copy (sessions copy their options when they start).</summary>
    /// <returns>The copy.</returns>
    public PerMessageDeflateOptions Clone() => new()
    {
        ServerNoContextTakeover = ServerNoContextTakeover,
        ClientNoContextTakeover = ClientNoContextTakeover,
        _compressionLevel = _compressionLevel,
        _minimumSizeToCompress = _minimumSizeToCompress,
    };
}
