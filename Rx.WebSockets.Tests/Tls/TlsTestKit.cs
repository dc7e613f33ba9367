using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Net.Sockets;
using System.Reactive.Linq;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.Hosting;

namespace Rx.WebSockets.Tests.Tls;

/// <summary>The TLS tests' server (a <see cref="HostingTestServer"/> with <see cref="TestCertificate.Shared"/>) and clients.</summary>
public static class TlsTestKit
{
    private static readonly TimeSpan s_timeout = HostingTestServer.Timeout;
    private static readonly TestCertificate s_certificate = TestCertificate.Shared;

    /// <summary>GET /hello and WebSocket /echo over TLS.</summary>
    public static void Module(Application app) => app
        .Get("/hello", exchange =>
        {
            exchange.Response.Headers.Set("Content-Type", "text/plain");
            exchange.Response.Write("hello over tls");
            return ValueTask.CompletedTask;
        })
        .WebSocket("/echo", session => session.Incoming.Do(session.Outgoing.OnNext).IgnoreElements().Select(_ => System.Reactive.Unit.Default));

    public static Task<HostingTestServer> StartAsync(TlsOptions? tls = null, Func<HttpServerSettings, HttpServerSettings>? configure = null) =>
        HostingTestServer.StartAsync(Module, s => (configure ?? (x => x))(s with { Tls = tls ?? new TlsOptions(s_certificate.Certificate) }));

    public static HttpClient PinnedClient() => new(new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = s_certificate.Pinned },
    })
    {
        Timeout = s_timeout,
    };

    /// <summary>Reads until the peer ends the connection (FIN or reset); fails the test if it is still open after the timeout.</summary>
    public static async Task<byte[]> ReadUntilClosedAsync(Socket socket, Task<int>? pendingOneByteRead = null)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(s_timeout);
        try
        {
            if (pendingOneByteRead is not null)
            {
                // The pending read was handed a one-byte buffer of its own: what it got is unknown here, so it must be nothing.
                Assert.Equal(0, await pendingOneByteRead.WaitAsync(s_timeout));
                return received.ToArray();
            }

            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return received.ToArray();
                }

                received.AddRange(buffer.Take(n));
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return received.ToArray();
        }
    }
}
