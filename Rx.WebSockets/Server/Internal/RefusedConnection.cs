using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// A connection accepted beyond <see cref="HttpServerSettings.MaxConnections"/>: it gets a 503 with
/// <c>Connection: close</c> and is closed, without a pipe, a parser or a slot in the server's connection table.
/// </summary>
/// <remarks>
/// The close is a lingering one (RFC 9112 §9.6): after the 503 and a FIN, what the client sent is read and discarded
/// until it closes too, for at most <see cref="LingerTime"/> and <see cref="MaxDiscardedBytes"/>. Closing a socket with
/// unread bytes makes the kernel send a reset, and a reset can destroy the 503 before the client reads it. The bounds
/// keep a flood of refused connections cheap: each holds one socket and one small buffer for at most a second.
/// Thread-safety: each instance is used by one task.
/// </remarks>
internal static class RefusedConnection
{
    /// <summary>How long a refused connection is drained before it is closed anyway.</summary>
    public static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(1);

    /// <summary>How many bytes of a refused connection are read and discarded at most.</summary>
    public const int MaxDiscardedBytes = 64 * 1024;

    private const int DrainBufferSize = 4096;

    /// <summary>Answers 503 on <paramref name="socket"/> and closes it, in the background; never throws.</summary>
    /// <param name="socket">The accepted socket; this takes ownership.</param>
    /// <param name="date">The Date header's value (an IMF-fixdate).</param>
    /// <param name="time">The clock of the linger time.</param>
    public static void Refuse(Socket socket, string date, TimeProvider time) => _ = RefuseAsync(socket, date, time);

    private static async Task RefuseAsync(Socket socket, string date, TimeProvider time)
    {
        using (socket)
        {
            try
            {
                // RFC 9110 §15.6.4: 503 "indicates that the server is currently unable to handle the request due to a
                // temporary overload"; RFC 9112 §9.6: a server that closes "SHOULD send a "close" connection option".
                var response = Encoding.ASCII.GetBytes(
                    "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nDate: " + date + "\r\nContent-Length: 0\r\n\r\n");
                using var linger = new CancellationTokenSource(LingerTime, time);
                int sent = 0;
                while (sent < response.Length)
                {
                    sent += await socket.SendAsync(response.AsMemory(sent), SocketFlags.None, linger.Token).ConfigureAwait(false);
                }

                socket.Shutdown(SocketShutdown.Send);
                var buffer = new byte[DrainBufferSize];
                int discarded = 0;
                while (discarded < MaxDiscardedBytes)
                {
                    int read = await socket.ReceiveAsync(buffer, SocketFlags.None, linger.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    discarded += read;
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client reset or lingered too long: the socket is closed either way.
            }
        }
    }
}
