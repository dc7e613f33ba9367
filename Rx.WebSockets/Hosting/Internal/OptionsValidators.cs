using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Hosting.Internal;

/// <summary>
/// Checks what <see cref="WebSocketOptions"/>' setters cannot check one value at a time; run by <c>ValidateOnStart</c>
/// when the host starts, so a bad configuration stops the host instead of the first session.
/// </summary>
internal sealed class WebSocketOptionsValidator : IValidateOptions<WebSocketOptions>
{
    private const string Separators = "()<>@,;:\\\"/[]?={} \t";

    public ValidateOptionsResult Validate(string? name, WebSocketOptions options)
    {
        var failures = new List<string>();
        if (options.PingInterval is not null && options.Timeout == TimeSpan.Zero)
        {
            failures.Add("WebSocketOptions.Timeout must be positive while the pinger is on (PingInterval is set): a zero timeout fails every session at its first ping.");
        }

        foreach (var protocol in options.SubProtocols)
        {
            // RFC 6455 §4.1: the subprotocol values "MUST all be unique strings" of characters in the range U+0021 to
            // U+007E excluding separator characters as defined in [RFC2616].
            if (string.IsNullOrEmpty(protocol) || protocol.Any(c => c < '\x21' || c > '\x7E' || Separators.Contains(c, StringComparison.Ordinal)))
            {
                failures.Add($"WebSocketOptions.SubProtocols: '{protocol}' is not a token (RFC 6455 §4.1).");
            }
        }

        if (options.SubProtocols.Distinct(StringComparer.Ordinal).Count() != options.SubProtocols.Count)
        {
            failures.Add("WebSocketOptions.SubProtocols: the values must be unique (RFC 6455 §4.1).");
        }

        if (options.AllowedOrigins.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("WebSocketOptions.AllowedOrigins: an origin is empty.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Checks <see cref="EmbeddedServerOptions"/> when the host starts.</summary>
internal sealed class EmbeddedServerOptionsValidator : IValidateOptions<EmbeddedServerOptions>
{
    public ValidateOptionsResult Validate(string? name, EmbeddedServerOptions options)
    {
        var failures = new List<string>();
        if (options.Engine is null)
        {
            failures.Add("EmbeddedServerOptions.Engine is required.");
        }

        if (string.IsNullOrWhiteSpace(options.Host))
        {
            failures.Add("EmbeddedServerOptions.Host is required.");
        }

        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"EmbeddedServerOptions.Port must be between 0 and 65535, not {options.Port}.");
        }

        if (!EmbeddedServerOptions.IsValidDuration(options.ShutdownGracePeriod))
        {
            failures.Add("EmbeddedServerOptions.ShutdownGracePeriod must not be negative.");
        }

        if (!EmbeddedServerOptions.IsValidDuration(options.ShutdownTimeout))
        {
            failures.Add("EmbeddedServerOptions.ShutdownTimeout must not be negative.");
        }

        if (options.WatchPaths.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("EmbeddedServerOptions.WatchPaths: a path is empty.");
        }

        ValidateTls(options, failures);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateTls(EmbeddedServerOptions options, List<string> failures)
    {
        if (options.TlsCertificatePath is null)
        {
            if (options.TlsCertificatePassword is not null)
            {
                failures.Add("EmbeddedServerOptions.TlsCertificatePassword is set without TlsCertificatePath.");
            }

            return;
        }

        if (options.Tls is not null)
        {
            failures.Add("EmbeddedServerOptions: set either Tls or TlsCertificatePath, not both.");
            return;
        }

        // Loading it here turns a missing file, a wrong password or a certificate without its key into a failed host
        // start that names the file, instead of a server that cannot complete a single handshake.
        try
        {
            using var certificate = TlsOptions.FromCertificateFile(options.TlsCertificatePath, options.TlsCertificatePassword).ServerCertificate;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or CryptographicException)
        {
            failures.Add($"EmbeddedServerOptions.TlsCertificatePath: '{options.TlsCertificatePath}' cannot be used: {e.Message}");
        }
    }
}
