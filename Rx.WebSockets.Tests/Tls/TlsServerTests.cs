using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Reactive.Linq;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.Hosting;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Tls;

/// <summary>
/// TLS on the embedded engine (RFC 8446 through <see cref="SslStream"/>, RFC 7301 ALPN <c>http/1.1</c>): https and wss
/// with a self-signed certificate pinned by the clients, and the connections that fail their handshake (plaintext
/// clients, silent clients past the handshake timeout) closed without disturbing the server.
/// </summary>
public sealed class TlsServerTests
{
    private static readonly TimeSpan s_timeout = HostingTestServer.Timeout;
    private static readonly TestCertificate s_certificate = TestCertificate.Shared;

    [Fact]
    public async Task Https_Get_AnswersOverTls()
    {
        await using var server = await TlsTestKit.StartAsync();
        using var http = TlsTestKit.PinnedClient();

        using var response = await http.GetAsync(new Uri($"https://127.0.0.1:{server.Port}/hello"));

        response.EnsureSuccessStatusCode();
        Assert.Equal("hello over tls", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Handshake_ClientOffersH2AndHttp11_NegotiatesHttp11AndEndsWithCloseNotify()
    {
        await using var server = await TlsTestKit.StartAsync();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port).WaitAsync(s_timeout);
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, s_certificate.Pinned);

        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            // RFC 7301 §3.2: the server selects one of the client's protocols; it serves HTTP/1.1 only.
            ApplicationProtocols = new List<SslApplicationProtocol> { SslApplicationProtocol.Http2, SslApplicationProtocol.Http11 },
        }).WaitAsync(s_timeout);
        Assert.Equal(SslApplicationProtocol.Http11, ssl.NegotiatedApplicationProtocol);

        await ssl.WriteAsync(Encoding.ASCII.GetBytes("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(ssl, Encoding.ASCII);
        // ReadToEnd ends without an exception only if the server sent close_notify before its FIN (RFC 8446 §6.1);
        // SslStream reports a bare FIN after a handshake as an IOException.
        string response = await reader.ReadToEndAsync().WaitAsync(s_timeout);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nhello over tls", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wss_Echo_TextBinaryAndLargeMessagesComeBack()
    {
        await using var server = await TlsTestKit.StartAsync();
        using var client = new ClientWebSocket();
        client.Options.RemoteCertificateValidationCallback = s_certificate.Pinned;
        using (var cts = new CancellationTokenSource(s_timeout))
        {
            await client.ConnectAsync(new Uri($"wss://127.0.0.1:{server.Port}/echo"), cts.Token);
        }

        await client.SendTextAsync("hello over wss");
        Assert.Equal("hello over wss", await client.ReceiveTextAsync());

        var large = new byte[1024 * 1024];
        new Random(42).NextBytes(large);
        using (var cts = new CancellationTokenSource(s_timeout))
        {
            await client.SendAsync(large, WebSocketMessageType.Binary, endOfMessage: true, cts.Token);
        }

        var (result, data) = await client.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Binary, result.MessageType);
        Assert.True(large.AsSpan().SequenceEqual(data), "the 1 MiB binary message came back changed");

        using (var cts = new CancellationTokenSource(s_timeout))
        {
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        }

        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Fact]
    public async Task PlaintextClient_OnTlsPort_IsClosedWithoutAnHttpAnswerAndServerKeepsServing()
    {
        await using var server = await TlsTestKit.StartAsync();
        await using (var plain = await RawHttpConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port)))
        {
            await plain.Send("GET /hello HTTP/1.1", "Host: localhost", "", "");

            byte[] received = await TlsTestKit.ReadUntilClosedAsync(plain.Socket);
            // At most a TLS alert record (content type 21), never an HTTP response in clear text.
            Assert.False(Encoding.ASCII.GetString(received).Contains("HTTP/", StringComparison.Ordinal), "a plaintext answer was sent");
            Assert.True(received.Length == 0 || received[0] == 21, $"unexpected bytes: {Convert.ToHexString(received)}");
        }

        using var http = TlsTestKit.PinnedClient();
        Assert.Equal("hello over tls", await http.GetStringAsync(new Uri($"https://127.0.0.1:{server.Port}/hello")));
        AssertNothingLoggedAboveInformation(server);
    }

    [Fact]
    public async Task Handshake_ClientSilentPastHandshakeTimeout_IsClosedAndServerKeepsServing()
    {
        var timers = new ArmedTimerProvider(new FakeTimeProvider(LoopbackServer.StartTime));
        // 7 s: a deadline no other timer of the server has, so the wait below finds the handshake's own.
        var tls = new TlsOptions(s_certificate.Certificate) { HandshakeTimeout = TimeSpan.FromSeconds(7) };
        await using var server = await TlsTestKit.StartAsync(tls, s => s with { TimeProvider = timers });
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(IPAddress.Loopback, server.Port).WaitAsync(s_timeout);
        // The first bytes of a TLS record header, then nothing: a client stalled inside its ClientHello.
        await silent.SendAsync(new byte[] { 0x16, 0x03, 0x01 }, SocketFlags.None);

        await timers.WaitForArmedAsync(LoopbackServer.StartTime.AddSeconds(7)).WaitAsync(s_timeout);
        var stillOpen = silent.ReceiveAsync(new byte[1], SocketFlags.None);
        Assert.False(stillOpen.IsCompleted);
        timers.Fake.Advance(TimeSpan.FromSeconds(7));

        Assert.Empty(await TlsTestKit.ReadUntilClosedAsync(silent, stillOpen));
        using var http = TlsTestKit.PinnedClient();
        Assert.Equal("hello over tls", await http.GetStringAsync(new Uri($"https://127.0.0.1:{server.Port}/hello")));
        AssertNothingLoggedAboveInformation(server);
    }

    [Fact]
    public async Task Handshake_ClientDistrustsCertificate_FailsOnlyThatConnection()
    {
        await using var server = await TlsTestKit.StartAsync();
        using (var distrusting = new HttpClient { Timeout = s_timeout })
        {
            // The default validation rejects a self-signed certificate: the client aborts its handshake.
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => distrusting.GetAsync(new Uri($"https://127.0.0.1:{server.Port}/hello")));
            Assert.IsType<AuthenticationException>(error.InnerException);
        }

        using var http = TlsTestKit.PinnedClient();
        Assert.Equal("hello over tls", await http.GetStringAsync(new Uri($"https://127.0.0.1:{server.Port}/hello")));
        AssertNothingLoggedAboveInformation(server);
    }

    [Fact]
    public async Task Handshake_ClientCertificateRequiredAndNoneSent_IsRefused()
    {
        var seen = new List<X509Certificate2?>();
        var tls = new TlsOptions(s_certificate.Certificate)
        {
            ClientCertificateRequired = true,
            ClientCertificateValidation = (certificate, _, _) =>
            {
                lock (seen)
                {
                    seen.Add(certificate);
                }

                return certificate is not null;
            },
        };
        await using var server = await TlsTestKit.StartAsync(tls);
        using var http = TlsTestKit.PinnedClient();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => http.GetStringAsync(new Uri($"https://127.0.0.1:{server.Port}/hello")));

        Assert.True(error is HttpRequestException or IOException, error.ToString());
        lock (seen)
        {
            Assert.All(seen, Assert.Null);
        }
    }

    [Fact]
    public async Task Sni_CertificateSelector_IsAskedWithTheClientsHostName()
    {
        var names = new List<string?>();
        var tls = new TlsOptions(host =>
        {
            lock (names)
            {
                names.Add(host);
            }

            return s_certificate.Certificate;
        });
        await using var server = await TlsTestKit.StartAsync(tls);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port).WaitAsync(s_timeout);
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, s_certificate.Pinned);

        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }).WaitAsync(s_timeout);

        lock (names)
        {
            Assert.Equal(new string?[] { "localhost" }, names);
        }
    }

    [Fact]
    public async Task Stop_LiveWssSessions_AllReceiveGoingAwayOverTlsAndStopEndsBeforeTheGracePeriod()
    {
        const int Count = 20;
        await using var server = await TlsTestKit.StartAsync();
        var clients = new List<ClientWebSocket>();
        for (int i = 0; i < Count; i++)
        {
            var client = new ClientWebSocket();
            client.Options.RemoteCertificateValidationCallback = s_certificate.Pinned;
            using var cts = new CancellationTokenSource(s_timeout);
            await client.ConnectAsync(new Uri($"wss://127.0.0.1:{server.Port}/echo"), cts.Token);
            await client.SendTextAsync("ping " + i);
            Assert.Equal("ping " + i, await client.ReceiveTextAsync());
            clients.Add(client);
        }

        // A grace period far longer than the test: only completed closing handshakes can end the stop in time.
        var stopping = server.Server.StopAsync(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5));
        foreach (var client in clients)
        {
            var (close, _) = await client.ReceiveMessageAsync();
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
            using var cts = new CancellationTokenSource(s_timeout);
            await client.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, null, cts.Token);
        }

        await stopping.WaitAsync(s_timeout);
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task Stop_ClientStalledInTheHandshake_DoesNotWaitForTheHandshakeTimeout()
    {
        // No handshake timeout at all: only the stop itself can end this connection.
        var tls = new TlsOptions(s_certificate.Certificate) { HandshakeTimeout = Timeout.InfiniteTimeSpan };
        await using var server = await TlsTestKit.StartAsync(tls);
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(IPAddress.Loopback, server.Port).WaitAsync(s_timeout);
        await silent.SendAsync(new byte[] { 0x16, 0x03, 0x01 }, SocketFlags.None);
        // A full exchange on another connection proves the stalled one has been accepted (accepts are in order).
        using (var http = TlsTestKit.PinnedClient())
        {
            Assert.Equal("hello over tls", await http.GetStringAsync(new Uri($"https://127.0.0.1:{server.Port}/hello")));
        }

        await server.Server.StopAsync(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5)).WaitAsync(s_timeout);

        Assert.Empty(await TlsTestKit.ReadUntilClosedAsync(silent));
    }

    [Fact]
    public void TlsOptions_CertificateWithoutPrivateKey_IsRejected()
    {
        using var publicOnly = X509CertificateLoader.LoadCertificate(s_certificate.Certificate.Export(X509ContentType.Cert));

        var error = Assert.Throws<ArgumentException>(() => new TlsOptions(publicOnly));

        Assert.Contains("no private key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsOptions_FromPemFileWithKey_LoadsCertificateAndKey()
    {
        var tls = TlsOptions.FromCertificateFile(s_certificate.KeyPemPath);

        Assert.True(tls.ServerCertificate!.HasPrivateKey);
        Assert.Equal(s_certificate.Certificate.Thumbprint, tls.ServerCertificate.Thumbprint);
        Assert.Equal(TlsOptions.DefaultHandshakeTimeout, tls.HandshakeTimeout);
    }

    [Fact]
    public async Task GenericHost_CertificateFromPfxPath_ServesHttps()
    {
        using var host = BuildHost(o =>
        {
            o.TlsCertificatePath = s_certificate.PfxPath;
            o.TlsCertificatePassword = TestCertificate.Password;
        });
        await host.StartAsync().WaitAsync(s_timeout);
        try
        {
            int port = host.Services.GetRequiredService<EmbeddedServer>().LocalEndPoints[0].Port;
            using var http = TlsTestKit.PinnedClient();
            Assert.Equal("hello over tls", await http.GetStringAsync(new Uri($"https://127.0.0.1:{port}/hello")));
        }
        finally
        {
            await host.StopAsync().WaitAsync(s_timeout);
        }
    }

    [Theory]
    [InlineData("wrong-password", false)]
    [InlineData(TestCertificate.Password, true)]
    public async Task GenericHost_UnusableCertificatePath_FailsAtStartNamingTheFile(string password, bool missingFile)
    {
        string path = missingFile ? Path.Combine(s_certificate.Folder, "missing.pfx") : s_certificate.PfxPath;
        using var host = BuildHost(o =>
        {
            o.TlsCertificatePath = path;
            o.TlsCertificatePassword = password;
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(s_timeout));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    private static void AssertNothingLoggedAboveInformation(HostingTestServer server) =>
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level > LogLevel.Information);

    private static IHost BuildHost(Action<EmbeddedServerOptions> configure) =>
        new HostBuilder()
            .ConfigureServices(services => services.AddEmbeddedServer(
                o =>
                {
                    o.Host = "127.0.0.1";
                    o.Port = 0;
                    configure(o);
                },
                TlsTestKit.Module))
            .Build();
}
