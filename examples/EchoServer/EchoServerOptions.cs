using System.Globalization;
using System.IO;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Examples.EchoServer;

/// <summary>The echo server's command line: <c>--port</c>, <c>--host</c>, <c>--files</c>, keep-alive and size limits.</summary>
public sealed record EchoServerOptions
{
    /// <summary>The usage text printed for <c>--help</c> and for a bad command line.</summary>
    public const string Usage =
        """
        Usage: EchoServer [options]
          --port N               TCP port (default 8080; 0 picks a free port, printed on the Listening line)
          --host H               address to listen on (default 127.0.0.1)
          --files DIR            folder served under /files/{name} (default: the files folder next to the binaries)
          --ping-interval-ms N   WebSocket ping interval in ms; 0 disables the pinger (default 20000)
          --ping-timeout-ms N    how long to wait for the pong, in ms (default 20000)
          --max-frame-size N     largest WebSocket frame (and at least the largest message) in bytes (default 1048576)
          --max-body-size N      largest HTTP request body in bytes, for POST /echo and /upload (default 2147483648)
          --compression on|off   permessage-deflate (RFC 7692) on /echo when the client offers it (default on)
          --tls-cert PATH        serve https:// and wss:// with this certificate (.pfx, or .pem with its key)
          --tls-password PW      the certificate file's password
        """;

    /// <summary>The TCP port; 0 picks a free one. Default 8080.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The address to listen on. Default <c>127.0.0.1</c>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The folder served under <c>/files/{name}</c>. Default: the <c>files</c> folder next to the example's binaries.</summary>
    public string FilesDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "files");

    /// <summary>The WebSocket ping interval; null disables the pinger. Default <see cref="WebSocketOptions.DefaultPingInterval"/>.</summary>
    public TimeSpan? PingInterval { get; init; } = WebSocketOptions.DefaultPingInterval;

    /// <summary>How long a session waits for the pong. Default <see cref="WebSocketOptions.DefaultTimeout"/>.</summary>
    public TimeSpan PingTimeout { get; init; } = WebSocketOptions.DefaultTimeout;

    /// <summary>The largest frame accepted; the message limit is raised to it when it is larger. Default 1 MiB.</summary>
    public long MaxFrameSize { get; init; } = FrameLimits.DefaultMaxFrameSize;

    /// <summary>
    /// The largest request body (HTTP): 2 GiB by default, well above the engine's 30 MB default, so that
    /// <c>POST /upload</c> takes a 1 GiB file (streamed, never held in memory).
    /// </summary>
    public long MaxRequestBodySize { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Whether /echo accepts permessage-deflate offers (RFC 7692). Default true, so browsers and clients negotiate it.</summary>
    public bool Compression { get; init; } = true;

    /// <summary>The TLS certificate file (see <see cref="TlsOptions.FromCertificateFile"/>); null serves plaintext. Default null.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>The password of <see cref="TlsCertificate"/>; null for none.</summary>
    public string? TlsPassword { get; init; }

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments, e.g. <c>--port 0 --ping-interval-ms 0</c>; <c>--name=value</c> works too.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentException">An unknown flag, a missing value, or a value out of range; the message says which.</exception>
    public static EchoServerOptions Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new EchoServerOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string flag = args[i];
            string? value = null;
            int equals = flag.IndexOf('=', StringComparison.Ordinal);
            if (flag.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                value = flag[(equals + 1)..];
                flag = flag[..equals];
            }

            string Next()
            {
                if (value is not null)
                {
                    return value;
                }

                if (i + 1 >= args.Length)
                {
                    throw new ArgumentException($"{flag} needs a value.", nameof(args));
                }

                return args[++i];
            }

            options = flag switch
            {
                "--port" => options with { Port = (int)ParseNumber(flag, Next(), 0, 65535) },
                "--host" => options with { Host = NonEmpty(flag, Next()) },
                "--files" => options with { FilesDirectory = Path.GetFullPath(NonEmpty(flag, Next())) },
                "--ping-interval-ms" => options with
                {
                    PingInterval = ParseNumber(flag, Next(), 0, int.MaxValue) is var ms and > 0 ? TimeSpan.FromMilliseconds(ms) : null,
                },
                "--ping-timeout-ms" => options with { PingTimeout = TimeSpan.FromMilliseconds(ParseNumber(flag, Next(), 1, int.MaxValue)) },
                "--max-frame-size" => options with { MaxFrameSize = ParseNumber(flag, Next(), 1, FrameLimits.MaxSupportedSize) },
                "--max-body-size" => options with { MaxRequestBodySize = ParseNumber(flag, Next(), 0, long.MaxValue) },
                "--compression" => options with { Compression = ParseSwitch(flag, Next()) },
                "--tls-cert" => options with { TlsCertificate = Path.GetFullPath(NonEmpty(flag, Next())) },
                "--tls-password" => options with { TlsPassword = Next() },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'.", nameof(args)),
            };
        }

        return options;
    }

    private static long ParseNumber(string flag, string text, long min, long max)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
        {
            throw new ArgumentException($"{flag} needs a whole number between {min} and {max}, not '{text}'.", nameof(text));
        }

        return value;
    }

    private static bool ParseSwitch(string flag, string text) => text switch
    {
        "on" => true,
        "off" => false,
        _ => throw new ArgumentException($"{flag} needs 'on' or 'off', not '{text}'.", nameof(text)),
    };

    private static string NonEmpty(string flag, string text) =>
        string.IsNullOrWhiteSpace(text) ? throw new ArgumentException($"{flag} needs a value.", nameof(text)) : text;
}
