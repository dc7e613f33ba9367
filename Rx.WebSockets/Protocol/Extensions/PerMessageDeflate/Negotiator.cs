using System.Collections.Generic;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;

/// <summary>
/// The server side of permessage-deflate negotiation (RFC 7692 §5, §7.1): picks the first offer of the client that
/// this server can honour and states the agreed parameters, or declines them all. Declining never fails the
/// handshake: the connection then simply uses no compression.
/// </summary>
/// <remarks>
/// <para>
/// Rules, per offer (RFC 7692 §5: "A server MUST decline an extension negotiation offer for this extension if any of
/// the following conditions are met: The negotiation offer contains an extension parameter not defined for use in an
/// offer. The negotiation offer contains an extension parameter with an invalid value. The negotiation offer contains
/// multiple extension parameters with the same name. The server doesn't support the offered configuration."):
/// </para>
/// <list type="bullet">
/// <item><c>server_no_context_takeover</c> (no value): accepted and answered (§7.1.1.1 "MUST include").</item>
/// <item><c>client_no_context_takeover</c> (no value): accepted and answered, so that the server may drop its
/// decompressor between messages; the client said it would not take over its window anyway (Ktor and ASP.NET Core
/// answer it too).</item>
/// <item><c>server_max_window_bits=N</c>: accepted and answered with the same N (§7.1.2.1: the response MUST carry
/// it "with the same or smaller value as the offer") when this process can compress with that window
/// (<see cref="PerMessageDeflateExtension.CanCompressWithWindow"/>): 15 always, 9–14 when the system zlib is loaded
/// (.NET 10's <c>System.IO.Compression</c> has no window setting; ADR 0006). Otherwise the offer is declined, as
/// "A server declines an extension negotiation offer with this parameter if the server doesn't support it": 9–14
/// without zlib, and 8 always, because zlib's raw deflate refuses an 8-bit window and compressing with 9 instead
/// would break the agreement (Node's zlib, under npm <c>ws</c>, silently does that).</item>
/// <item><c>client_max_window_bits</c> with or without a value 8–15: accepted and not answered. The server inflates
/// with a 15-bit window, which reads any stream made with 15 bits or fewer, so it has no reason to ask the client
/// for less (§7.1.2.2 lets the server "either ignore this value or use this value"), and omitting the parameter is
/// valid for every offer (§7.1.2.2: without it in the offer the response "MUST NOT include" it).</item>
/// <item>Any other parameter, a parameter with a value where none is allowed (or without one where one is needed),
/// a value outside 8–15 or with a leading zero, or a parameter named twice: the offer is declined.</item>
/// </list>
/// <para>
/// <see cref="PerMessageDeflateOptions.ServerNoContextTakeover"/> and
/// <see cref="PerMessageDeflateOptions.ClientNoContextTakeover"/> add their parameter to any accepted offer, which
/// §7.1.1.1 and §7.1.1.2 allow ("A server MAY include ... even if the extension negotiation offer received doesn't
/// include"). Names of the extension and of parameters compare case-insensitively; the answer uses the RFC's
/// spelling. A malformed <c>Sec-WebSocket-Extensions</c> field (see <see cref="ExtensionHeader"/>) declines every
/// offer; answering 400 would also be allowed, but refusing a connection over an optional feature helps nobody.
/// </para>
/// <para>Thread-safety: stateless.</para>
/// </remarks>
public static class Negotiator
{
    /// <summary>Negotiates from the <c>Sec-WebSocket-Extensions</c> lines of an opening handshake request.</summary>
    /// <param name="requestHeaders">The request's header fields; every <c>Sec-WebSocket-Extensions</c> line counts.</param>
    /// <param name="options">What the server asks for on top of the offer.</param>
    /// <returns>
    /// The agreed parameters — send <see cref="PerMessageDeflateParameters.ToExtensionHeader"/> in the response's
    /// <c>Sec-WebSocket-Extensions</c> — or <see langword="null"/> when no offer is acceptable, there is none, or the
    /// field is malformed.
    /// </returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static PerMessageDeflateParameters? Negotiate(HttpHeaders requestHeaders, PerMessageDeflateOptions options)
    {
        ArgumentNullException.ThrowIfNull(requestHeaders);
        ArgumentNullException.ThrowIfNull(options);
        if (!requestHeaders.Contains(ExtensionHeader.HeaderName)
            || !ExtensionHeader.TryParseList(requestHeaders.GetValues(ExtensionHeader.HeaderName), out var offers))
        {
            return null;
        }

        return Negotiate(offers, options);
    }

    /// <summary>Negotiates from already parsed offers, in the client's order of preference.</summary>
    /// <param name="offers">The elements of the request's extension list; other extensions are skipped.</param>
    /// <param name="options">What the server asks for on top of the offer.</param>
    /// <returns>The parameters agreed from the first acceptable permessage-deflate offer, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument or one of the offers is null.</exception>
    public static PerMessageDeflateParameters? Negotiate(IEnumerable<ExtensionHeader> offers, PerMessageDeflateOptions options) =>
        Negotiate(offers, options, PerMessageDeflateExtension.CanCompressWithWindow);

    /// <summary>Negotiates with a stated compressor capability (tests use it to negotiate as if zlib were missing).</summary>
    /// <param name="offers">The elements of the request's extension list.</param>
    /// <param name="options">What the server asks for on top of the offer.</param>
    /// <param name="canCompressWithWindow">Whether the server can compress with a window of the given number of bits.</param>
    /// <returns>The parameters agreed from the first acceptable offer, or <see langword="null"/>.</returns>
    internal static PerMessageDeflateParameters? Negotiate(IEnumerable<ExtensionHeader> offers, PerMessageDeflateOptions options, Func<int, bool> canCompressWithWindow)
    {
        ArgumentNullException.ThrowIfNull(offers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(canCompressWithWindow);
        foreach (var offer in offers)
        {
            ArgumentNullException.ThrowIfNull(offer, nameof(offers));

            // RFC 7692 §5: the client "MAY offer multiple PMCE choices to the server by including multiple elements
            // in the |Sec-WebSocket-Extensions| header, one for each PMCE offered", in its order of preference;
            // RFC 6455 §9.1: the server accepts by answering one of them.
            if (string.Equals(offer.Name, PerMessageDeflateParameters.ExtensionName, StringComparison.OrdinalIgnoreCase)
                && TryAccept(offer, options, canCompressWithWindow) is { } accepted)
            {
                return accepted;
            }
        }

        return null;
    }

    private static PerMessageDeflateParameters? TryAccept(ExtensionHeader offer, PerMessageDeflateOptions options, Func<int, bool> canCompressWithWindow)
    {
        // One flag per defined parameter: whether the offer named it. `seen` points at the current parameter's flag,
        // so that a second occurrence is caught in one place.
        bool serverNoContextTakeover = false;
        bool clientNoContextTakeover = false;
        bool serverMaxWindowBits = false;
        bool clientMaxWindowBits = false;
        int serverWindowBits = PerMessageDeflateParameters.MaxWindowBits;
        foreach (var parameter in offer.Parameters)
        {
            bool valid;
            ref bool seen = ref serverNoContextTakeover;
            if (Is(parameter, PerMessageDeflateParameters.ServerNoContextTakeoverName))
            {
                // RFC 7692 §7.1.1.1: "The "server_no_context_takeover" extension parameter has no value."
                valid = parameter.Value is null;
            }
            else if (Is(parameter, PerMessageDeflateParameters.ClientNoContextTakeoverName))
            {
                // RFC 7692 §7.1.1.2: "The "client_no_context_takeover" extension parameter has no value."
                seen = ref clientNoContextTakeover;
                valid = parameter.Value is null;
            }
            else if (Is(parameter, PerMessageDeflateParameters.ServerMaxWindowBitsName))
            {
                // RFC 7692 §7.1.2.1: a value is required, and once the offer is accepted "the server MUST NOT use an
                // LZ77 sliding window size greater than the size" the client named: only a window the compressor can
                // really be limited to is accepted.
                seen = ref serverMaxWindowBits;
                valid = parameter.Value is { } serverBits
                    && PerMessageDeflateParameters.TryParseWindowBits(serverBits, out serverWindowBits)
                    && canCompressWithWindow(serverWindowBits);
            }
            else if (Is(parameter, PerMessageDeflateParameters.ClientMaxWindowBitsName))
            {
                // RFC 7692 §7.1.2.2: "This parameter has no value or a decimal integer value without leading zeroes
                // between 8 to 15 inclusive". Any such window is one our 15-bit inflater can read.
                seen = ref clientMaxWindowBits;
                valid = parameter.Value is null || PerMessageDeflateParameters.TryParseWindowBits(parameter.Value, out _);
            }
            else
            {
                // RFC 7692 §5: "an extension parameter not defined for use in an offer".
                return null;
            }

            // RFC 7692 §5: "an extension parameter with an invalid value", "multiple extension parameters with the
            // same name".
            if (!valid || seen)
            {
                return null;
            }

            seen = true;
        }

        return new PerMessageDeflateParameters
        {
            ServerNoContextTakeover = serverNoContextTakeover || options.ServerNoContextTakeover,
            ClientNoContextTakeover = clientNoContextTakeover || options.ClientNoContextTakeover,
            // RFC 7692 §7.1.2.1: answered "with the same or smaller value as the offer"; the same, since a smaller
            // window only costs ratio.
            ServerMaxWindowBits = serverMaxWindowBits ? serverWindowBits : null,
        };
    }

    private static bool Is(ExtensionParameter parameter, string name) =>
        string.Equals(parameter.Name, name, StringComparison.OrdinalIgnoreCase);
}
