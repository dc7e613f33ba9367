using System.Collections.Generic;

namespace Rx.WebSockets;

/// <summary>What a session does when its outgoing buffer would exceed <see cref="FrameLimits.MaxOutgoingBufferSize"/>.</summary>
public enum OutgoingOverflowPolicy
{
    /// <summary>Fail the session with 1008 (policy violation). The default: a peer that does not read cannot grow the server's memory.</summary>
    FailSession,

    /// <summary>Make <c>SendAsync</c> wait until there is room; frames given to <c>Outgoing.OnNext</c> still fail the session.</summary>
    Wait,
}

/// <summary>
/// Options of a WebSocket session and of its opening handshake (Ktor's <c>WebSockets</c> plugin options).
/// Mutable, for binding through Microsoft.Extensions.Options; a session copies the values it starts with.
/// </summary>
/// <remarks>
/// Defaults and their reasons: the pinger is on, every 20 s with a 20 s timeout (python-websockets; Ktor has it
/// off, which leaves dead peers undetected behind NATs); the close handshake waits 10 s for the peer's Close
/// (Ktor waits forever); frames and messages are capped at 1 MiB and the outgoing buffer at 4 MiB
/// (<see cref="FrameLimits"/>).
/// </remarks>
public sealed class WebSocketOptions
{
    /// <summary>The default of <see cref="PingInterval"/>: 20 seconds.</summary>
    public static readonly TimeSpan DefaultPingInterval = TimeSpan.FromSeconds(20);

    /// <summary>The default of <see cref="Timeout"/>: 20 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The default of <see cref="CloseTimeout"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultCloseTimeout = TimeSpan.FromSeconds(10);

    private TimeSpan? _pingInterval = DefaultPingInterval;
    private TimeSpan _timeout = DefaultTimeout;
    private TimeSpan _closeTimeout = DefaultCloseTimeout;
    private FrameLimits _limits = FrameLimits.Default;

    /// <summary>
    /// How often the pinger sends a Ping; <see langword="null"/> disables it (Ktor's <c>pingInterval</c>). Pongs
    /// are sent in answer to the peer's pings whatever this is. Default 20 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative (use null to disable).</exception>
    public TimeSpan? PingInterval
    {
        get => _pingInterval;
        set => _pingInterval = value is { } v && v <= TimeSpan.Zero
            ? throw new ArgumentOutOfRangeException(nameof(value), value, "Use null to disable the pinger.")
            : value;
    }

    /// <summary>
    /// <see cref="PingInterval"/> in milliseconds, as Ktor's <c>pingIntervalMillis</c>: 0 or -1 disables the pinger.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below -1.</exception>
    public long PingIntervalMillis
    {
        get => _pingInterval is { } v ? (long)v.TotalMilliseconds : 0;
        set => PingInterval = value switch
        {
            0 or -1 => null,
            < -1 => throw new ArgumentOutOfRangeException(nameof(value), value, "0 or -1 disables the pinger; other negative values are invalid."),
            _ => TimeSpan.FromMilliseconds(value),
        };
    }

    /// <summary>How long the pinger waits for the Pong that matches its Ping (Ktor's <c>timeout</c>). No effect while the pinger is off. Default 20 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan Timeout
    {
        get => _timeout;
        set => _timeout = value < TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(value), value, "The timeout must not be negative.") : value;
    }

    /// <summary><see cref="Timeout"/> in milliseconds (Ktor's <c>timeoutMillis</c>).</summary>
    public long TimeoutMillis
    {
        get => (long)_timeout.TotalMilliseconds;
        set => Timeout = TimeSpan.FromMilliseconds(value);
    }

    /// <summary>
    /// How long a session that sent a Close waits for the peer's Close before it closes the transport and reports
    /// 1006 (RFC 6455 §7.1.1). Default 10 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan CloseTimeout
    {
        get => _closeTimeout;
        set => _closeTimeout = value < TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(value), value, "The close timeout must not be negative.") : value;
    }

    /// <summary>Frame, message and outgoing-buffer limits.</summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public FrameLimits Limits
    {
        get => _limits;
        set => _limits = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>What happens when the outgoing buffer is full. Default <see cref="OutgoingOverflowPolicy.FailSession"/>.</summary>
    public OutgoingOverflowPolicy OutgoingOverflowPolicy { get; set; } = OutgoingOverflowPolicy.FailSession;

    /// <summary>Whether the server masks the frames it sends (Ktor's <c>masking</c>); RFC 6455 §5.1 says a server MUST NOT. Default false.</summary>
    public bool Masking { get; set; }

    /// <summary>
    /// The subprotocols the server supports, in order of preference; the first one that the client also offers
    /// (RFC 6455 §4.2.2, <c>Sec-WebSocket-Protocol</c>) is selected. Empty: no subprotocol is selected.
    /// </summary>
    public IList<string> SubProtocols { get; } = new List<string>();

    /// <summary>
    /// Origins allowed to open a connection (RFC 6455 §10.2), e.g. <c>https://example.com</c>, compared
    /// case-insensitively; <c>*</c> allows any. Empty: any origin, and requests without <c>Origin</c> (non-browser clients),
    /// are allowed. When not empty, a request whose Origin is not listed is refused with 403, which protects
    /// against cross-site WebSocket hijacking.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = new List<string>();

    /// <summary>
    /// permessage-deflate (RFC 7692): when set, the handshake accepts the client's first acceptable offer (see
    /// <see cref="PerMessageDeflateOptions"/>); <see langword="null"/>, the default, answers no offer.
    /// </summary>
    public PerMessageDeflateOptions? Compression { get; set; }

    /// <summary>Creates an independent copy (sessions copy their options when they start).</summary>
    /// <returns>The copy.</returns>
    public WebSocketOptions Clone()
    {
        var copy = new WebSocketOptions
        {
            _pingInterval = _pingInterval,
            _timeout = _timeout,
            _closeTimeout = _closeTimeout,
            _limits = _limits,
            OutgoingOverflowPolicy = OutgoingOverflowPolicy,
            Masking = Masking,
            Compression = Compression?.Clone(),
        };
        foreach (var p in SubProtocols)
        {
            copy.SubProtocols.Add(p);
        }

        foreach (var o in AllowedOrigins)
        {
            copy.AllowedOrigins.Add(o);
        }

        return copy;
    }
}
