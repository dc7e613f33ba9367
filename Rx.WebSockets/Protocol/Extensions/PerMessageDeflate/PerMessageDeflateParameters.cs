using System.Collections.Generic;
using System.Globalization;

namespace Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;

/// <summary>
/// The agreed parameters of permessage-deflate on one connection (RFC 7692 §7.1): exactly what the server's
/// response element says, from which each end derives how it compresses and decompresses.
/// </summary>
/// <remarks>
/// A window size that the response does not name is 15 bits (RFC 7692 §7.1.2.1 and §7.1.2.2: absent, the peer "can
/// use an LZ77 sliding window size up to 32,768 bytes"); see <see cref="EffectiveServerMaxWindowBits"/> and
/// <see cref="EffectiveClientMaxWindowBits"/>. Immutable.
/// </remarks>
public sealed record PerMessageDeflateParameters
{
    /// <summary>The extension token, <c>permessage-deflate</c> (RFC 7692 §7).</summary>
    public const string ExtensionName = "permessage-deflate";

    /// <summary>The largest LZ77 window, in bits (32 KiB), and the size assumed when none is named.</summary>
    public const int MaxWindowBits = 15;

    /// <summary>The smallest LZ77 window that may be negotiated, in bits (256 bytes).</summary>
    public const int MinWindowBits = 8;

    internal const string ServerNoContextTakeoverName = "server_no_context_takeover";
    internal const string ClientNoContextTakeoverName = "client_no_context_takeover";
    internal const string ServerMaxWindowBitsName = "server_max_window_bits";
    internal const string ClientMaxWindowBitsName = "client_max_window_bits";

    private readonly int? _serverMaxWindowBits;
    private readonly int? _clientMaxWindowBits;

    /// <summary>The server compresses each message with a fresh LZ77 window (<c>server_no_context_takeover</c>).</summary>
    public bool ServerNoContextTakeover { get; init; }

    /// <summary>The client compresses each message with a fresh LZ77 window (<c>client_no_context_takeover</c>).</summary>
    public bool ClientNoContextTakeover { get; init; }

    /// <summary>The <c>server_max_window_bits</c> value of the response, or <see langword="null"/> when it has none.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 8 and 15.</exception>
    public int? ServerMaxWindowBits
    {
        get => _serverMaxWindowBits;
        init => _serverMaxWindowBits = CheckWindowBits(value);
    }

    /// <summary>The <c>client_max_window_bits</c> value of the response, or <see langword="null"/> when it has none.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 8 and 15.</exception>
    public int? ClientMaxWindowBits
    {
        get => _clientMaxWindowBits;
        init => _clientMaxWindowBits = CheckWindowBits(value);
    }

    /// <summary>The largest window the server may compress with: <see cref="ServerMaxWindowBits"/>, or 15.</summary>
    public int EffectiveServerMaxWindowBits => _serverMaxWindowBits ?? MaxWindowBits;

    /// <summary>The largest window the client may compress with: <see cref="ClientMaxWindowBits"/>, or 15.</summary>
    public int EffectiveClientMaxWindowBits => _clientMaxWindowBits ?? MaxWindowBits;

    /// <summary>Builds the response element that states these parameters (RFC 7692 §7.1), in the RFC's order.</summary>
    /// <returns>For example <c>permessage-deflate; server_no_context_takeover; server_max_window_bits=15</c>.</returns>
    public ExtensionHeader ToExtensionHeader()
    {
        var parameters = new List<ExtensionParameter>(4);
        if (ServerNoContextTakeover)
        {
            parameters.Add(new ExtensionParameter(ServerNoContextTakeoverName));
        }

        if (ClientNoContextTakeover)
        {
            parameters.Add(new ExtensionParameter(ClientNoContextTakeoverName));
        }

        if (_serverMaxWindowBits is { } server)
        {
            parameters.Add(new ExtensionParameter(ServerMaxWindowBitsName, FormatBits(server)));
        }

        if (_clientMaxWindowBits is { } client)
        {
            parameters.Add(new ExtensionParameter(ClientMaxWindowBitsName, FormatBits(client)));
        }

        return new ExtensionHeader(ExtensionName, parameters);
    }

    /// <summary>The response element as text (see <see cref="ToExtensionHeader"/>).</summary>
    /// <returns>The element's wire form.</returns>
    public override string ToString() => ToExtensionHeader().ToString();

    /// <summary>
    /// Parses a window-size value: RFC 7692 §7.1.2.1 "a decimal integer value without leading zeroes between 8 to 15,
    /// inclusive" (the same words in §7.1.2.2).
    /// </summary>
    /// <param name="value">The parameter's value.</param>
    /// <param name="bits">The number of bits.</param>
    /// <returns><see langword="false"/> for anything else, e.g. <c>08</c>, <c>16</c>, <c>+9</c> or <c>1e1</c>.</returns>
    internal static bool TryParseWindowBits(string value, out int bits)
    {
        bits = value switch
        {
            "8" => 8,
            "9" => 9,
            "10" => 10,
            "11" => 11,
            "12" => 12,
            "13" => 13,
            "14" => 14,
            "15" => 15,
            _ => 0,
        };
        return bits != 0;
    }

    private static string FormatBits(int bits) => bits.ToString(CultureInfo.InvariantCulture);

    private static int? CheckWindowBits(int? value, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        if (value is { } bits && (bits < MinWindowBits || bits > MaxWindowBits))
        {
            throw new ArgumentOutOfRangeException(name, bits, $"{name} must be between {MinWindowBits} and {MaxWindowBits} (RFC 7692 §7.1.2).");
        }

        return value;
    }
}
