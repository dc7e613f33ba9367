using System.Globalization;

namespace Rx.WebSockets;

/// <summary>
/// A WebSocket close status code (RFC 6455 §7.4, and the IANA "WebSocket Close Code Number Registry").
/// Named as Ktor's <c>CloseReason.Codes</c> are.
/// </summary>
/// <param name="Value">The numeric code carried in the first two bytes of a Close frame payload.</param>
public readonly record struct CloseCode(ushort Value)
{
    /// <summary>1000: normal closure; the purpose for which the connection was established has been fulfilled.</summary>
    public static CloseCode Normal => new(1000);

    /// <summary>1001: an endpoint is "going away", such as a server going down or a browser navigating away.</summary>
    public static CloseCode GoingAway => new(1001);

    /// <summary>1002: an endpoint is terminating the connection due to a protocol error.</summary>
    public static CloseCode ProtocolError => new(1002);

    /// <summary>1003: an endpoint received a type of data it cannot accept (RFC 6455 "Unsupported Data").</summary>
    public static CloseCode CannotAccept => new(1003);

    /// <summary>1005: no status code was present (RFC 6455 §7.4.1: MUST NOT be set in a Close frame).</summary>
    public static CloseCode NoStatusReceived => new(1005);

    /// <summary>1006: the connection was closed abnormally, without a Close frame (MUST NOT be set in a Close frame).</summary>
    public static CloseCode ClosedAbnormally => new(1006);

    /// <summary>1007: data within a message was not consistent with its type, e.g. non-UTF-8 in a text message.</summary>
    public static CloseCode NotConsistent => new(1007);

    /// <summary>1008: a message violated the endpoint's policy.</summary>
    public static CloseCode ViolatedPolicy => new(1008);

    /// <summary>1009: a message was too big to process.</summary>
    public static CloseCode TooBig => new(1009);

    /// <summary>1010: the client expected the server to negotiate an extension that it did not.</summary>
    public static CloseCode NoExtension => new(1010);

    /// <summary>1011: the server met an unexpected condition that prevented it from fulfilling the request.</summary>
    public static CloseCode InternalError => new(1011);

    /// <summary>1012 (IANA): the service is restarting.</summary>
    public static CloseCode ServiceRestart => new(1012);

    /// <summary>1013 (IANA): try again later, e.g. the server is overloaded.</summary>
    public static CloseCode TryAgainLater => new(1013);

    /// <summary>1014 (IANA): a gateway or proxy received an invalid response from the upstream server.</summary>
    public static CloseCode BadGateway => new(1014);

    /// <summary>1015: the TLS handshake failed (MUST NOT be set in a Close frame).</summary>
    public static CloseCode TlsHandshakeFailed => new(1015);

    /// <summary>
    /// Whether an endpoint may put this code in a Close frame: 1000–1003, 1007–1014 and 3000–4999.
    /// 1005, 1006 and 1015 are for local reporting only (RFC 6455 §7.4.1); 0–999, 1004 and 1016–2999 are not
    /// defined (§7.4.2); 5000 and above are outside the registry.
    /// </summary>
    public bool IsSendable => Value is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    /// <summary>
    /// Whether a Close frame carrying this code is valid when received. The same set as <see cref="IsSendable"/>:
    /// a peer that sends 1005, 1006, 1015 or an undefined code has violated the protocol (1002).
    /// </summary>
    public bool IsValidOnReceive => IsSendable;

    /// <summary>The registry name of a known code, or <see langword="null"/> for an application or unknown code.</summary>
    public string? Name => Value switch
    {
        1000 => nameof(Normal),
        1001 => nameof(GoingAway),
        1002 => nameof(ProtocolError),
        1003 => nameof(CannotAccept),
        1005 => nameof(NoStatusReceived),
        1006 => nameof(ClosedAbnormally),
        1007 => nameof(NotConsistent),
        1008 => nameof(ViolatedPolicy),
        1009 => nameof(TooBig),
        1010 => nameof(NoExtension),
        1011 => nameof(InternalError),
        1012 => nameof(ServiceRestart),
        1013 => nameof(TryAgainLater),
        1014 => nameof(BadGateway),
        1015 => nameof(TlsHandshakeFailed),
        _ => null,
    };

    /// <summary>Converts a number to a close code.</summary>
    /// <param name="value">The code.</param>
    public static implicit operator CloseCode(ushort value) => new(value);

    /// <summary>Returns "1000 Normal", or the bare number for an unnamed code.</summary>
    /// <returns>The display form.</returns>
    public override string ToString() =>
        Name is { } name ? $"{Value.ToString(CultureInfo.InvariantCulture)} {name}" : Value.ToString(CultureInfo.InvariantCulture);
}
