using System.Threading;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Server;

/// <summary>
/// Settings of an <see cref="HttpServer"/>: where it listens, its timeouts and its buffer limits. The names and
/// defaults of the first four follow Ktor's CIO <c>HttpServerSettings</c>; the rest are documented with their
/// reasons.
/// </summary>
/// <remarks>
/// Every timeout may be <see cref="Timeout.InfiniteTimeSpan"/> to disable it. Timeouts are checked by one shared
/// timer with a resolution of one second, so a timeout fires between its deadline and one second later.
/// </remarks>
public sealed record HttpServerSettings
{
    /// <summary>The default of <see cref="Host"/>: <c>0.0.0.0</c>, every IPv4 interface (Ktor).</summary>
    public const string DefaultHost = "0.0.0.0";

    /// <summary>The default of <see cref="Port"/>: 8080 (Ktor's <c>HttpServerSettings</c>).</summary>
    public const int DefaultPort = 8080;

    /// <summary>The default of <see cref="MaxReceiveBufferSize"/>: 1 MiB (Kestrel's <c>MaxRequestBufferSize</c>).</summary>
    public const int DefaultMaxReceiveBufferSize = 1024 * 1024;

    /// <summary>The default of <see cref="MaxSendBufferSize"/>: 64 KiB (Kestrel's <c>MaxResponseBufferSize</c>).</summary>
    public const int DefaultMaxSendBufferSize = 64 * 1024;

    /// <summary>The default of <see cref="ListenBacklog"/>: 512 (Kestrel's).</summary>
    public const int DefaultListenBacklog = 512;

    private readonly string _host = DefaultHost;
    private readonly int _port = DefaultPort;
    /// <summary>
    /// The default of <see cref="MaxConnections"/>: 100,000. Ten times the 10,000 sessions one box is sized for (the
    /// soak run), so no honest deployment meets it, while it stops an open port from taking connections until the
    /// process runs out of descriptors or memory (an idle connection holds a few KiB, a live session tens of KiB).
    /// </summary>
    public const int DefaultMaxConnections = 100_000;

    private readonly TimeSpan _connectionIdleTimeout = TimeSpan.FromSeconds(45);
    private readonly TimeSpan _requestHeadTimeout = TimeSpan.FromSeconds(30);
    private readonly TimeSpan _shutdownGracePeriod = TimeSpan.FromSeconds(1);
    private readonly TimeSpan _shutdownTimeout = TimeSpan.FromSeconds(5);
    private readonly TimeProvider _timeProvider = TimeProvider.System;
    private readonly int _maxReceiveBufferSize = DefaultMaxReceiveBufferSize;
    private readonly int _maxSendBufferSize = DefaultMaxSendBufferSize;
    private readonly int _listenBacklog = DefaultListenBacklog;
    private readonly HttpLimits _limits = HttpLimits.Default;
    private readonly int _maxConnections = DefaultMaxConnections;

    /// <summary>
    /// The address to listen on: an IP literal (<c>0.0.0.0</c>, <c>127.0.0.1</c>, <c>::</c>, <c>::1</c>) or a host
    /// name, whose addresses are all bound (<c>localhost</c> → <c>127.0.0.1</c> and <c>::1</c>). Default
    /// <c>0.0.0.0</c> (Ktor). <c>::</c> listens on IPv6 and IPv4 (dual mode).
    /// </summary>
    /// <exception cref="ArgumentException">The value is null or empty.</exception>
    public string Host
    {
        get => _host;
        init
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _host = value;
        }
    }

    /// <summary>The TCP port; 0 picks a free port, see <see cref="HttpServer.LocalEndPoints"/>. Default 8080 (Ktor).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 0 and 65535.</exception>
    public int Port
    {
        get => _port;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 65535);
            _port = value;
        }
    }

    /// <summary>
    /// How long a connection may wait for the next request to begin: from the moment it is accepted, and from the
    /// end of each response, until the first byte of the next request head. On expiry the connection is closed
    /// without a response (RFC 9112 §9.8 lets a server close an idle connection at any time). It does not bound a
    /// running handler, a body upload or an upgraded WebSocket connection (which has its own ping timeout).
    /// Default 45 s (Ktor's <c>connectionIdleTimeoutSeconds</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and not infinite.</exception>
    public TimeSpan ConnectionIdleTimeout
    {
        get => _connectionIdleTimeout;
        init => _connectionIdleTimeout = CheckTimeout(value);
    }

    /// <summary>
    /// Whether the listening socket sets <c>SO_REUSEADDR</c>, so that a restarted server can bind a port whose old
    /// connections linger in TIME_WAIT. Default <see langword="false"/> (Ktor).
    /// </summary>
    public bool ReuseAddress { get; init; }

    /// <summary>
    /// How long a client may take to send a whole request head once its first byte has arrived. On expiry the
    /// server answers <c>408 Request Timeout</c> and closes the connection: the defence against slow-loris clients
    /// that trickle header bytes to hold connections open. Default 30 s (Kestrel's <c>RequestHeadersTimeout</c>;
    /// Ktor has none).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and not infinite.</exception>
    public TimeSpan RequestHeadTimeout
    {
        get => _requestHeadTimeout;
        init => _requestHeadTimeout = CheckTimeout(value);
    }

    /// <summary>
    /// How long <see cref="HttpServer.StopAsync"/> lets requests in flight finish before it aborts their
    /// connections. Default 1 s (Ktor's <c>shutdownGracePeriod</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative and not infinite.</exception>
    public TimeSpan ShutdownGracePeriod
    {
        get => _shutdownGracePeriod;
        init => _shutdownGracePeriod = CheckNonNegative(value);
    }

    /// <summary>
    /// The most <see cref="HttpServer.StopAsync"/> waits in all: after the grace period, aborted connections have
    /// the rest of this time to wind down before the server completes anyway. Default 5 s (Ktor's
    /// <c>shutdownTimeout</c>). A value below <see cref="ShutdownGracePeriod"/> acts as the grace period.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative and not infinite.</exception>
    public TimeSpan ShutdownTimeout
    {
        get => _shutdownTimeout;
        init => _shutdownTimeout = CheckNonNegative(value);
    }

    /// <summary>
    /// The clock of every timeout above and of the <c>Date</c> response header. Default
    /// <see cref="TimeProvider.System"/>; tests pass a fake provider to run timeouts on virtual time.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _timeProvider = value;
        }
    }

    /// <summary>
    /// Received bytes a connection buffers before the application has looked at them, at which it stops reading the
    /// socket (backpressure towards the client); reading resumes below half of it. A parser that has examined all
    /// buffered bytes and waits for more always gets them, so a request head or a WebSocket frame larger than this
    /// still arrives: those are bounded by their own limits (<see cref="FrameLimits.MaxFrameSize"/>, the request head
    /// limits). Default 1 MiB (Kestrel's <c>MaxRequestBufferSize</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 4 KiB.</exception>
    public int MaxReceiveBufferSize
    {
        get => _maxReceiveBufferSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 4 * 1024);
            _maxReceiveBufferSize = value;
        }
    }

    /// <summary>
    /// Bytes written to a connection but not yet sent at which writers wait for the socket (backpressure towards
    /// handlers and sessions); they resume below half of it. Default 64 KiB (Kestrel's <c>MaxResponseBufferSize</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 4 KiB.</exception>
    public int MaxSendBufferSize
    {
        get => _maxSendBufferSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 4 * 1024);
            _maxSendBufferSize = value;
        }
    }

    /// <summary>The listen backlog: connections the kernel queues before they are accepted. Default 512 (Kestrel's).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int ListenBacklog
    {
        get => _listenBacklog;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _listenBacklog = value;
        }
    }

    /// <summary>
    /// The most connections open at once, upgraded WebSocket connections included (Kestrel's
    /// <c>MaxConcurrentConnections</c>, which is unlimited by default; Ktor has none). A connection accepted beyond it
    /// is not served: it gets <c>503 Service Unavailable</c> with <c>Connection: close</c> and is closed, so that a
    /// client (or a load balancer) learns the server is full instead of seeing a bare reset; what it sent is read and
    /// discarded for at most one second before the close, so that the 503 is not lost to a reset. Default
    /// <see cref="DefaultMaxConnections"/>; <see cref="int.MaxValue"/> for no limit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int MaxConnections
    {
        get => _maxConnections;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxConnections = value;
        }
    }

    /// <summary>
    /// The request limits: request line, header section, body, chunk prefix, pipelining depth and drain size, each
    /// with its default and reason documented on <see cref="HttpLimits"/>. Default <see cref="HttpLimits.Default"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public HttpLimits Limits
    {
        get => _limits;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _limits = value;
        }
    }

    /// <summary>
    /// TLS for every connection (<c>https://</c>, <c>wss://</c>): the certificate, protocols and handshake timeout.
    /// Default null: plaintext (<c>http://</c>, <c>ws://</c>).
    /// </summary>
    public TlsOptions? Tls { get; init; }

    /// <summary>
    /// The services handed to WebSocket sessions as <see cref="Session.IWebSocketServerSession.Application"/> (Ktor's
    /// <c>application</c>). Default null: sessions get a provider that resolves nothing.
    /// </summary>
    public IServiceProvider? Services { get; init; }

    private static TimeSpan CheckTimeout(TimeSpan value, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        if (value != Timeout.InfiniteTimeSpan && value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive or Timeout.InfiniteTimeSpan.");
        }

        return value;
    }

    private static TimeSpan CheckNonNegative(TimeSpan value, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        if (value != Timeout.InfiniteTimeSpan && value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative.");
        }

        return value;
    }
}
