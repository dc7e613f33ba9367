using System.Collections.Generic;
using System.Threading;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Hosting;

/// <summary>
/// Options of the embedded server that <see cref="ServiceCollectionExtensions.AddEmbeddedServer"/> runs in a generic
/// host: the parameters of <see cref="EmbeddedServer.Create"/> as a mutable class, bound through
/// Microsoft.Extensions.Options and validated when the host starts.
/// </summary>
public sealed class EmbeddedServerOptions
{
    /// <summary>The engine. Default <see cref="Engines.Cio"/>.</summary>
    public IApplicationEngineFactory Engine { get; set; } = Engines.Cio;

    /// <summary>The address or host name to listen on. Default <c>0.0.0.0</c> (Ktor).</summary>
    public string Host { get; set; } = EmbeddedServer.DefaultHost;

    /// <summary>The TCP port; 0 picks a free one. Default 80 (Ktor's <c>embeddedServer</c>).</summary>
    public int Port { get; set; } = EmbeddedServer.DefaultPort;

    /// <summary>Files or folders whose changes run the modules again (see <see cref="EmbeddedServer"/>).</summary>
    public IList<string> WatchPaths { get; } = new List<string>();

    /// <summary>How long connections may finish when the host stops. Default 1 s (Ktor's <c>shutdownGracePeriod</c>).</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the stop may take in all. Default 5 s (Ktor's <c>shutdownTimeout</c>).</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// TLS (<c>https://</c>, <c>wss://</c>) with a certificate object; exclusive with <see cref="TlsCertificatePath"/>.
    /// Default null.
    /// </summary>
    public TlsOptions? Tls { get; set; }

    /// <summary>
    /// TLS with the certificate in this file (PKCS#12, or PEM with its key; see
    /// <see cref="TlsOptions.FromCertificateFile"/>), loaded and checked when the host starts. Default null: no TLS
    /// unless <see cref="Tls"/> is set.
    /// </summary>
    public string? TlsCertificatePath { get; set; }

    /// <summary>The password of <see cref="TlsCertificatePath"/>; null for none.</summary>
    public string? TlsCertificatePassword { get; set; }

    /// <summary>Changes the engine settings built from the properties above (limits, timeouts, clock); null for none.</summary>
    public Func<HttpServerSettings, HttpServerSettings>? ConfigureServer { get; set; }

    /// <summary>The engine settings these options describe.</summary>
    /// <returns>The settings.</returns>
    /// <exception cref="ArgumentException">A value is out of range (the validator reports these at host start).</exception>
    /// <exception cref="System.IO.IOException">The TLS certificate file cannot be read.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The TLS certificate file is not a certificate with a key.</exception>
    internal HttpServerSettings ToServerSettings()
    {
        var settings = new HttpServerSettings
        {
            Host = Host,
            Port = Port,
            ShutdownGracePeriod = ShutdownGracePeriod,
            ShutdownTimeout = ShutdownTimeout,
            Tls = Tls ?? (TlsCertificatePath is null ? null : TlsOptions.FromCertificateFile(TlsCertificatePath, TlsCertificatePassword)),
        };
        return ConfigureServer is null ? settings : ConfigureServer(settings) ?? throw new InvalidOperationException("ConfigureServer returned null.");
    }

    internal static bool IsValidDuration(TimeSpan value) => value >= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan;
}
