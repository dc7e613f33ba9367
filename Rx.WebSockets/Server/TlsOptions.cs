using System.Collections.Generic;
using System.IO;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;

namespace Rx.WebSockets.Server;

/// <summary>
/// TLS of an <see cref="HttpServer"/> (<c>https://</c> and <c>wss://</c>): the server certificate, the protocol
/// versions, client certificates and the handshake timeout. Set it as <see cref="HttpServerSettings.Tls"/>; every
/// accepted connection then completes a TLS handshake (<see cref="SslStream"/>, ALPN <c>http/1.1</c>) before its
/// first request is read.
/// </summary>
/// <remarks>
/// A connection whose handshake fails or does not finish within <see cref="HandshakeTimeout"/> (a plaintext client, a
/// scanner, a client that distrusts the certificate) is closed; it costs only itself and is not reported as an
/// error. Thread-safety: immutable once built; one instance may serve many servers.
/// </remarks>
public sealed class TlsOptions
{
    /// <summary>The default of <see cref="HandshakeTimeout"/>: 10 s (Kestrel's <c>HandshakeTimeout</c>).</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    // RFC 7301 §3.1: the server selects one of the protocols the client offered; HTTP/1.1 is the only one served.
    private static readonly List<SslApplicationProtocol> s_applicationProtocols = new() { SslApplicationProtocol.Http11 };

    private readonly TimeSpan _handshakeTimeout = DefaultHandshakeTimeout;
    private SslServerAuthenticationOptions? _authentication;

    /// <summary>Serves every connection with one certificate.</summary>
    /// <param name="serverCertificate">The certificate, with its private key.</param>
    /// <exception cref="ArgumentNullException"><paramref name="serverCertificate"/> is null.</exception>
    /// <exception cref="ArgumentException">The certificate has no private key.</exception>
    public TlsOptions(X509Certificate2 serverCertificate)
    {
        ArgumentNullException.ThrowIfNull(serverCertificate);
        CheckPrivateKey(serverCertificate, nameof(serverCertificate));
        ServerCertificate = serverCertificate;
    }

    /// <summary>Picks the certificate of each connection from the host name the client asked for (SNI).</summary>
    /// <param name="serverCertificateSelector">
    /// Given the client's server name (null when it sent none), returns the certificate with its private key; null or
    /// an exception fails that connection's handshake.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="serverCertificateSelector"/> is null.</exception>
    public TlsOptions(Func<string?, X509Certificate2?> serverCertificateSelector)
    {
        ArgumentNullException.ThrowIfNull(serverCertificateSelector);
        ServerCertificateSelector = serverCertificateSelector;
    }

    /// <summary>The certificate of every connection, or null when <see cref="ServerCertificateSelector"/> picks it.</summary>
    public X509Certificate2? ServerCertificate { get; }

    /// <summary>Picks a certificate per connection from the SNI host name, or null when <see cref="ServerCertificate"/> is used.</summary>
    public Func<string?, X509Certificate2?>? ServerCertificateSelector { get; }

    /// <summary>
    /// The TLS versions allowed. Default <see cref="SslProtocols.None"/>: the operating system's choice (TLS 1.2 and
    /// 1.3 on current systems), which follows its security updates.
    /// </summary>
    public SslProtocols EnabledProtocols { get; init; } = SslProtocols.None;

    /// <summary>Whether a client must present a certificate. Default <see langword="false"/>.</summary>
    public bool ClientCertificateRequired { get; init; }

    /// <summary>
    /// Decides whether a client certificate is accepted, given the certificate (null when the client sent none), its
    /// chain and the errors found validating it. Default null: a certificate is accepted when it validated without
    /// errors against the machine's trust store, and none is needed unless <see cref="ClientCertificateRequired"/>.
    /// </summary>
    public Func<X509Certificate2?, X509Chain?, SslPolicyErrors, bool>? ClientCertificateValidation { get; init; }

    /// <summary>
    /// How long a client has, from the moment its connection is accepted, to complete the TLS handshake; then the
    /// connection is closed. Default 10 s (Kestrel's). Runs on <see cref="HttpServerSettings.TimeProvider"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and not infinite.</exception>
    public TimeSpan HandshakeTimeout
    {
        get => _handshakeTimeout;
        init
        {
            if (value != Timeout.InfiniteTimeSpan && value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), value, "HandshakeTimeout must be positive or Timeout.InfiniteTimeSpan.");
            }

            _handshakeTimeout = value;
        }
    }

    /// <summary>
    /// Loads a server certificate with its private key from a file: PKCS#12 (<c>.pfx</c>, <c>.p12</c>, any other
    /// extension), or PEM (<c>.pem</c>, <c>.crt</c>) holding the certificate and its private key, encrypted when
    /// <paramref name="password"/> is given.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="password">The PKCS#12 password or the PEM key's password; null for none.</param>
    /// <returns>Options serving that certificate.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or the certificate has no private key.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CryptographicException">The file is not a certificate, or the password is wrong.</exception>
    public static TlsOptions FromCertificateFile(string path, string? password = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The TLS certificate file '{path}' does not exist.", path);
        }

        string extension = Path.GetExtension(path);
        X509Certificate2 certificate;
        if (extension.Equals(".pem", StringComparison.OrdinalIgnoreCase) || extension.Equals(".crt", StringComparison.OrdinalIgnoreCase))
        {
            using var pem = password is null ? X509Certificate2.CreateFromPemFile(path) : X509Certificate2.CreateFromEncryptedPemFile(path, password);
            // A PEM key is ephemeral; a PKCS#12 round trip gives it the persisted form every platform's TLS accepts.
            certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        }
        else
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }

        CheckPrivateKey(certificate, nameof(path));
        return new TlsOptions(certificate);
    }

    /// <summary>The options of every handshake, built once: they are only read by <see cref="SslStream"/>.</summary>
    internal SslServerAuthenticationOptions AuthenticationOptions => LazyInitializer.EnsureInitialized(ref _authentication, CreateAuthenticationOptions);

    private static void CheckPrivateKey(X509Certificate2 certificate, string parameterName)
    {
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException($"The TLS server certificate '{certificate.Subject}' has no private key.", parameterName);
        }
    }

    private SslServerAuthenticationOptions CreateAuthenticationOptions()
    {
        var options = new SslServerAuthenticationOptions
        {
            ApplicationProtocols = s_applicationProtocols,
            EnabledSslProtocols = EnabledProtocols,
            ClientCertificateRequired = ClientCertificateRequired,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (ServerCertificate is { } certificate)
        {
            // A context built once keeps the chain: no chain building per handshake.
            options.ServerCertificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
        }
        else
        {
            var selector = ServerCertificateSelector!;
            options.ServerCertificateSelectionCallback = (_, hostName) => selector(hostName)!;
        }

        if (ClientCertificateValidation is { } validate)
        {
            options.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => validate(certificate as X509Certificate2, chain, errors);
        }

        return options;
    }
}
