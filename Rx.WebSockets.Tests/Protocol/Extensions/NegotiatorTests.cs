using Rx.WebSockets.Http;
using Rx.WebSockets.Protocol.Extensions;
using Rx.WebSockets.Protocol.Extensions.PerMessageDeflate;

namespace Rx.WebSockets.Tests.Protocol.Extensions;

/// <summary>
/// RFC 7692 §5 and §7.1 server negotiation: the first acceptable offer wins; offers with unknown, duplicate or
/// invalid parameters, or asking for a server window the codec cannot honour (§7.1.2.1: 8 bits always, 9–14 bits
/// without the system zlib), are declined without failing the handshake; the response never names a parameter the
/// client did not allow.
/// </summary>
public sealed class NegotiatorTests
{
    private const string None = "";

    // Offer → exact response element (None: declined), default options, with the system zlib loaded (windows 9–15).
    public static TheoryData<string, string> DefaultTable => new()
    {
        // Firefox, Safari, npm ws with serverNoContextTakeover etc. off.
        { "permessage-deflate", "permessage-deflate" },

        // Chromium, npm ws, python-websockets (ClientPerMessageDeflateFactory defaults).
        { "permessage-deflate; client_max_window_bits", "permessage-deflate" },

        // ClientWebSocket with DangerousDeflateOptions at their defaults: values named explicitly.
        { "permessage-deflate; client_max_window_bits=15; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15" },
        { "permessage-deflate; client_max_window_bits=9", "permessage-deflate" },
        { "permessage-deflate; client_max_window_bits=8", "permessage-deflate" },
        { "permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover" },
        { "permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover" },
        {
            "permessage-deflate; client_no_context_takeover; server_no_context_takeover; client_max_window_bits",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        },
        { "permessage-deflate; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15" },

        // A smaller server window, 9–14, is honoured through the system zlib and answered with the same value
        // (RFC 7692 §7.1.2.1: "the same or smaller value as the offer").
        { "permessage-deflate; server_max_window_bits=14", "permessage-deflate; server_max_window_bits=14" },
        { "permessage-deflate; server_max_window_bits=13", "permessage-deflate; server_max_window_bits=13" },
        { "permessage-deflate; server_max_window_bits=12", "permessage-deflate; server_max_window_bits=12" },
        { "permessage-deflate; server_max_window_bits=11", "permessage-deflate; server_max_window_bits=11" },
        { "permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10" },
        { "permessage-deflate; server_max_window_bits=9", "permessage-deflate; server_max_window_bits=9" },
        {
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=9"
        },
        { "permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\"", "permessage-deflate; server_max_window_bits=10" },

        // 8 bits: zlib's raw deflate refuses it, and 9 instead would break the agreement: declined, not failed.
        { "permessage-deflate; server_max_window_bits=8", None },
        { "permessage-deflate; server_max_window_bits=8; client_max_window_bits", None },

        // Fallback to the next offer, in the client's order (RFC 7692 §5, python-websockets' example).
        {
            "permessage-deflate; server_max_window_bits=8, permessage-deflate",
            "permessage-deflate"
        },
        {
            "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8, permessage-deflate; server_max_window_bits=12; client_max_window_bits",
            "permessage-deflate; server_max_window_bits=12"
        },
        {
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12, permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_max_window_bits=12"
        },
        {
            "x-webkit-deflate-frame, permessage-deflate; unknown=1, permessage-deflate; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover"
        },
        { "permessage-deflate, permessage-deflate; server_no_context_takeover", "permessage-deflate" },

        // Case-insensitive names; the answer uses the RFC's spelling.
        { "PerMessage-Deflate; Server_No_Context_Takeover", "permessage-deflate; server_no_context_takeover" },

        // Quoted values are the same values (RFC 6455 §9.1).
        { "permessage-deflate; server_max_window_bits=\"15\"", "permessage-deflate; server_max_window_bits=15" },

        // Bad parameters: the offer is declined (RFC 7692 §5).
        { "permessage-deflate; unknown", None },
        { "permessage-deflate; server_no_context_takeover; server_no_context_takeover", None },
        { "permessage-deflate; client_max_window_bits; client_max_window_bits=10", None },
        { "permessage-deflate; server_no_context_takeover=1", None },
        { "permessage-deflate; client_no_context_takeover=true", None },
        { "permessage-deflate; server_max_window_bits", None },
        { "permessage-deflate; server_max_window_bits=16", None },
        { "permessage-deflate; server_max_window_bits=015", None },
        { "permessage-deflate; client_max_window_bits=7", None },
        { "permessage-deflate; client_max_window_bits=16", None },
        { "permessage-deflate; client_max_window_bits=09", None },
        { "permessage-deflate; client_max_window_bits=+9", None },
        { "permessage-deflate; client_max_window_bits=0x0f", None },

        // Other extensions only, or a malformed field: nothing is agreed and the handshake goes on.
        { "x-webkit-deflate-frame", None },
        { "permessage-deflate;", None },
        { "permessage-deflate; server_max_window_bits=\"1 5\"", None },
    };

    // The managed fallback, without the system zlib: only a 15-bit server window can be honoured (ADR 0006).
    public static TheoryData<string, string> WithoutZLibTable => new()
    {
        { "permessage-deflate", "permessage-deflate" },
        { "permessage-deflate; client_max_window_bits", "permessage-deflate" },
        { "permessage-deflate; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15" },
        { "permessage-deflate; client_max_window_bits=9; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15" },
        { "permessage-deflate; server_max_window_bits=14", None },
        { "permessage-deflate; server_max_window_bits=10", None },
        { "permessage-deflate; server_max_window_bits=9", None },
        { "permessage-deflate; server_max_window_bits=8", None },
        { "permessage-deflate; server_max_window_bits=10, permessage-deflate", "permessage-deflate" },
        {
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12, permessage-deflate; client_max_window_bits",
            "permessage-deflate"
        },
    };

    [Theory]
    [MemberData(nameof(DefaultTable))]
    public void Negotiate_Offer_ExactResponseOrDecline(string offer, string expected)
    {
        var agreed = Negotiate(offer, new PerMessageDeflateOptions(), WithZLib);
        Assert.Equal(expected, agreed?.ToExtensionHeader().ToString() ?? None);
    }

    [Theory]
    [MemberData(nameof(WithoutZLibTable))]
    public void Negotiate_WithoutSystemZLib_SmallServerWindowsDeclined(string offer, string expected)
    {
        var agreed = Negotiate(offer, new PerMessageDeflateOptions(), bits => bits == PerMessageDeflateParameters.MaxWindowBits);
        Assert.Equal(expected, agreed?.ToExtensionHeader().ToString() ?? None);
    }

    // The machines this suite runs on (Debian with zlib1g, as CI) have the system zlib: the public entry point then
    // answers exactly as the zlib table says. Fails loudly where libz.so.1 is missing rather than testing less.
    [Theory]
    [MemberData(nameof(DefaultTable))]
    public void Negotiate_PublicEntryPointOnThisMachine_AnswersAsTheZLibTable(string offer, string expected)
    {
        Assert.True(ZLibNative.IsAvailable, $"{ZLibNative.LibraryName} could not be loaded (install zlib1g)");
        var agreed = Negotiator.Negotiate(Request(offer), new PerMessageDeflateOptions());
        Assert.Equal(expected, agreed?.ToExtensionHeader().ToString() ?? None);
    }

    [Theory]
    [InlineData(8, false)]
    [InlineData(9, true)]
    [InlineData(12, true)]
    [InlineData(14, true)]
    [InlineData(15, true)]
    [InlineData(16, false)]
    public void CanCompressWithWindow_ThisMachine_NineToFifteen(int bits, bool expected)
    {
        Assert.Equal(expected, PerMessageDeflateExtension.CanCompressWithWindow(bits));
    }

    // With both server options on, every accepted offer gets both no_context_takeover parameters (RFC 7692 §7.1.1.1,
    // §7.1.1.2: "A server MAY include ... even if the extension negotiation offer received doesn't include").
    [Theory]
    [InlineData("permessage-deflate", "permessage-deflate; server_no_context_takeover; client_no_context_takeover")]
    [InlineData("permessage-deflate; client_max_window_bits", "permessage-deflate; server_no_context_takeover; client_no_context_takeover")]
    [InlineData(
        "permessage-deflate; server_max_window_bits=15; client_no_context_takeover",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15")]
    [InlineData("permessage-deflate; server_max_window_bits=9", "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9")]
    [InlineData("permessage-deflate; server_max_window_bits=8", None)]
    public void Negotiate_ServerAsksForNoContextTakeover_AddedToAcceptedOffer(string offer, string expected)
    {
        var options = new PerMessageDeflateOptions { ServerNoContextTakeover = true, ClientNoContextTakeover = true };
        var agreed = Negotiate(offer, options, WithZLib);
        Assert.Equal(expected, agreed?.ToExtensionHeader().ToString() ?? None);
    }

    [Fact]
    public void Negotiate_OfferSplitOverTwoFieldLines_ReadAsOneList()
    {
        var headers = new HttpHeaders()
            .Add(ExtensionHeader.HeaderName, "permessage-deflate; server_max_window_bits=8")
            .Add(ExtensionHeader.HeaderName, "permessage-deflate; client_no_context_takeover");
        Assert.Equal("permessage-deflate; client_no_context_takeover", Negotiator.Negotiate(headers, new PerMessageDeflateOptions())?.ToString());
    }

    [Fact]
    public void Negotiate_NoExtensionsHeader_Null()
    {
        Assert.Null(Negotiator.Negotiate(new HttpHeaders().Add("Host", "example.com"), new PerMessageDeflateOptions()));
    }

    [Fact]
    public void Negotiate_AcceptedOffer_ParametersStateTheAgreement()
    {
        var agreed = Negotiator.Negotiate(Request("permessage-deflate; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=10"), new PerMessageDeflateOptions());
        Assert.NotNull(agreed);
        Assert.False(agreed.ServerNoContextTakeover);
        Assert.True(agreed.ClientNoContextTakeover);
        Assert.Equal(15, agreed.ServerMaxWindowBits);

        // client_max_window_bits is never answered: the client keeps the window it offered, which a 15-bit
        // inflater reads (RFC 7692 §7.1.2.2).
        Assert.Null(agreed.ClientMaxWindowBits);
        Assert.Equal(15, agreed.EffectiveClientMaxWindowBits);
    }

    [Fact]
    public void Negotiate_AgreementUsableByTheExtension_OnBothSides()
    {
        int accepted = 0;
        foreach (object[] row in DefaultTable)
        {
            if (Negotiator.Negotiate(Request((string)row[0]), new PerMessageDeflateOptions()) is { } agreed)
            {
                using var server = new PerMessageDeflateExtension(Side.Server, agreed);
                using var client = new PerMessageDeflateExtension(Side.Client, agreed);
                Assert.Equal(agreed.ToString(), server.Agreement.ToString());
                accepted++;
            }
        }

        Assert.True(accepted >= 10, $"only {accepted} offers accepted");
    }

    [Fact]
    public void Negotiate_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => Negotiator.Negotiate((HttpHeaders)null!, new PerMessageDeflateOptions()));
        Assert.Throws<ArgumentNullException>(() => Negotiator.Negotiate(new HttpHeaders(), null!));
    }

    [Fact]
    public void Parameters_WindowBitsOutOfRange_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateParameters { ServerMaxWindowBits = 7 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateParameters { ClientMaxWindowBits = 16 });
    }

    private static bool WithZLib(int bits) => bits is >= 9 and <= 15;

    private static PerMessageDeflateParameters? Negotiate(string offer, PerMessageDeflateOptions options, Func<int, bool> canCompressWithWindow)
    {
        // As Negotiator.Negotiate(HttpHeaders, ...) does: a malformed field agrees nothing.
        return ExtensionHeader.TryParseList([offer], out var offers) ? Negotiator.Negotiate(offers, options, canCompressWithWindow) : null;
    }

    private static HttpHeaders Request(string extensions) =>
        new HttpHeaders().Add("Host", "example.com").Add(ExtensionHeader.HeaderName, extensions);
}
