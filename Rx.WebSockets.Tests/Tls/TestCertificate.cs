using System.IO;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Rx.WebSockets.Tests.Tls;

/// <summary>
/// A self-signed server certificate made for the test run (RSA 2048, SAN <c>localhost</c> and <c>127.0.0.1</c>, valid
/// from yesterday for a week), reloaded from PKCS#12 so that SslStream on Linux accepts its key, and written to a temp
/// folder as the PFX (for the settings path), the certificate PEM (a CA file for curl, python and node) and a
/// PEM with its key.
/// </summary>
public sealed class TestCertificate : IDisposable
{
    public const string Password = "rx-websockets-test";

    private static readonly Lazy<TestCertificate> s_shared = new(() =>
    {
        var shared = Create("localhost");
        // Shared by test classes that run in any order: the temp files go when the test process ends.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => shared.Dispose();
        return shared;
    });

    private TestCertificate(X509Certificate2 certificate, string folder)
    {
        Certificate = certificate;
        Folder = folder;
        PfxPath = Path.Combine(folder, "server.pfx");
        PemPath = Path.Combine(folder, "server.crt.pem");
        KeyPemPath = Path.Combine(folder, "server-with-key.pem");
        File.WriteAllBytes(PfxPath, certificate.Export(X509ContentType.Pkcs12, Password));
        File.WriteAllText(PemPath, certificate.ExportCertificatePem());
        using var key = certificate.GetRSAPrivateKey()!;
        File.WriteAllText(KeyPemPath, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>One certificate for every TLS test of the run.</summary>
    public static TestCertificate Shared => s_shared.Value;

    /// <summary>The certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public string Folder { get; }

    /// <summary>The certificate and key as PKCS#12, protected by <see cref="Password"/>.</summary>
    public string PfxPath { get; }

    /// <summary>The certificate alone, PEM: what a client trusts as its CA file.</summary>
    public string PemPath { get; }

    /// <summary>The certificate and its unencrypted PKCS#8 key in one PEM file.</summary>
    public string KeyPemPath { get; }

    /// <summary>base64(SHA-256(SubjectPublicKeyInfo)): Chromium's <c>--ignore-certificate-errors-spki-list</c> value.</summary>
    public string SpkiSha256 => Convert.ToBase64String(SHA256.HashData(Certificate.PublicKey.ExportSubjectPublicKeyInfo()));

    public static TestCertificate Create(string commonName)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        // RFC 5280 §4.2.1.12: id-kp-serverAuth, which TLS clients require of a server certificate.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, critical: false));
        var now = DateTimeOffset.UtcNow;
        using var ephemeral = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
        var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12, Password), Password, X509KeyStorageFlags.Exportable);
        return new TestCertificate(certificate, Directory.CreateTempSubdirectory("rxws-tls-").FullName);
    }

    /// <summary>A client-side validation callback that accepts exactly this certificate (pinned), whatever the chain says.</summary>
    public bool IsPinned(X509Certificate? presented) =>
        presented is not null && presented.GetCertHashString(HashAlgorithmName.SHA256) == Certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>A <see cref="RemoteCertificateValidationCallback"/> pinned to this certificate.</summary>
    public RemoteCertificateValidationCallback Pinned => (_, presented, _, _) => IsPinned(presented);

    public void Dispose()
    {
        Certificate.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
