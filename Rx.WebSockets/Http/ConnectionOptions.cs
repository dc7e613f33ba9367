namespace Rx.WebSockets.Http;

/// <summary>
/// The connection options of a request's <c>Connection</c> field (RFC 9110 §7.6.1) that the server acts on, and the
/// persistence decision of RFC 9112 §9.3.
/// </summary>
/// <remarks>
/// Options are case-insensitive and read from every <c>Connection</c> field line. Unlike Ktor, which lets
/// <c>keep-alive</c> win, <c>close</c> wins whenever it is present (RFC 9112 §9.6): a client that says both has asked
/// to close, and keeping the connection open would leave it waiting for a response that the client will not read.
/// Other options (names of hop-by-hop fields) are ignored here.
/// </remarks>
public readonly record struct ConnectionOptions
{
    private const string ConnectionField = "Connection";

    /// <summary>Creates the options.</summary>
    /// <param name="close">Whether <c>close</c> is present.</param>
    /// <param name="keepAlive">Whether <c>keep-alive</c> is present.</param>
    /// <param name="upgrade">Whether <c>upgrade</c> is present.</param>
    public ConnectionOptions(bool close, bool keepAlive, bool upgrade)
    {
        Close = close;
        KeepAlive = keepAlive;
        Upgrade = upgrade;
    }

    /// <summary>Whether the <c>close</c> option is present (RFC 9112 §9.6).</summary>
    public bool Close { get; }

    /// <summary>Whether the HTTP/1.0 <c>keep-alive</c> option is present (RFC 9112 Appendix C.2.2).</summary>
    public bool KeepAlive { get; }

    /// <summary>Whether the <c>upgrade</c> option is present (RFC 9110 §7.8).</summary>
    public bool Upgrade { get; }

    /// <summary>Reads the options from every <c>Connection</c> field of <paramref name="headers"/>.</summary>
    /// <param name="headers">The header section.</param>
    /// <returns>The options; all false when there is no <c>Connection</c> field.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="headers"/> is null.</exception>
    public static ConnectionOptions Parse(HttpHeaders headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var options = default(ConnectionOptions);
        foreach (var value in headers.GetValues(ConnectionField))
        {
            options = options.Merge(Parse(value));
        }

        return options;
    }

    /// <summary>Reads the options from one <c>Connection</c> field value (<c>Connection = #connection-option</c>).</summary>
    /// <param name="value">The field value, e.g. <c>keep-alive, Upgrade</c>.</param>
    /// <returns>The options.</returns>
    public static ConnectionOptions Parse(ReadOnlySpan<char> value)
    {
        bool close = false;
        bool keepAlive = false;
        bool upgrade = false;
        var list = new HttpListReader(value);
        while (list.TryRead(out var option))
        {
            close |= option.Equals("close", StringComparison.OrdinalIgnoreCase);
            keepAlive |= option.Equals("keep-alive", StringComparison.OrdinalIgnoreCase);
            upgrade |= option.Equals("upgrade", StringComparison.OrdinalIgnoreCase);
        }

        return new ConnectionOptions(close, keepAlive, upgrade);
    }

    /// <summary>Whether the connection persists after the response to <paramref name="head"/> (RFC 9112 §9.3).</summary>
    /// <param name="head">The request head.</param>
    /// <returns><see langword="true"/> to keep the connection open for another request.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="head"/> is null.</exception>
    public static bool IsPersistent(HttpRequestHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return Parse(head.Headers).IsPersistent(head.Version);
    }

    /// <summary>
    /// Whether <paramref name="head"/> asks to switch protocols: HTTP/1.1, an <c>Upgrade</c> field, and the
    /// <c>upgrade</c> connection option (RFC 9110 §7.8). Whether to accept is the handler's decision.
    /// </summary>
    /// <param name="head">The request head.</param>
    /// <returns><see langword="true"/> when an upgrade is requested.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="head"/> is null.</exception>
    public static bool IsUpgradeRequest(HttpRequestHead head)
    {
        ArgumentNullException.ThrowIfNull(head);

        // RFC 9110 §7.8: "A server MUST ignore an Upgrade header field that is received in an HTTP/1.0 request", and
        // "A sender of Upgrade MUST also send an "Upgrade" connection option in the Connection header field".
        return head.Version == HttpVersion.Http11
            && head.Headers.Contains("Upgrade")
            && Parse(head.Headers).Upgrade;
    }

    /// <summary>Whether the connection persists after the current response (RFC 9112 §9.3).</summary>
    /// <param name="version">The request's protocol version.</param>
    /// <returns><see langword="true"/> to keep the connection open for another request.</returns>
    public bool IsPersistent(HttpVersion version)
    {
        // RFC 9112 §9.3: "If the "close" connection option is present (Section 9.6), the connection will not persist
        // after the current response; else, If the received protocol is HTTP/1.1 (or later), the connection will
        // persist after the current response; else, If the received protocol is HTTP/1.0, the "keep-alive" connection
        // option is present, ... the connection will persist after the current response; otherwise, The connection
        // will close after the current response."
        if (Close)
        {
            return false;
        }

        return version == HttpVersion.Http11 || KeepAlive;
    }

    private ConnectionOptions Merge(ConnectionOptions other) =>
        new(Close || other.Close, KeepAlive || other.KeepAlive, Upgrade || other.Upgrade);
}
