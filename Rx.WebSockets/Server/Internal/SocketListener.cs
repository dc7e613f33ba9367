using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Server.Internal;

/// <summary>One bound, listening TCP socket and its accept loop.</summary>
/// <remarks>Thread-safety: <see cref="Stop"/> may be called from any thread, concurrently with the accept loop.</remarks>
internal sealed class SocketListener
{
    // After an accept error that is not about one connection (out of file descriptors, out of memory), wait this long
    // before accepting again, so that the loop does not spin on the error.
    private static readonly TimeSpan s_acceptErrorBackoff = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _stopped;

    private SocketListener(Socket socket, IPEndPoint localEndPoint)
    {
        _socket = socket;
        LocalEndPoint = localEndPoint;
    }

    /// <summary>The bound address, with the real port when port 0 was asked for.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds and listens at once, so that failures surface to the caller of <see cref="HttpServer.Start(HttpServerSettings, HttpRequestHandler)"/>.</summary>
    /// <param name="endPoint">Where to listen.</param>
    /// <param name="reuseAddress">Whether to set <c>SO_REUSEADDR</c>.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="IOException">The address could not be bound; the message names it.</exception>
    public static SocketListener Bind(IPEndPoint endPoint, bool reuseAddress, int backlog)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            if (reuseAddress)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }

            socket.Bind(endPoint);
            socket.Listen(backlog);
            return new SocketListener(socket, (IPEndPoint)socket.LocalEndPoint!);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"Failed to bind to address {Format(endPoint)}: {e.Message} ({e.SocketErrorCode}).", e);
        }
    }

    /// <summary>Accepts connections until <see cref="Stop"/>; each accepted socket is handed to <paramref name="onAccepted"/>.</summary>
    /// <param name="onAccepted">Takes ownership of an accepted socket; must not block.</param>
    /// <param name="time">The clock of the back-off after accept errors.</param>
    /// <returns>A task that completes when the loop has stopped.</returns>
    public async Task AcceptLoopAsync(Action<Socket> onAccepted, TimeProvider time)
    {
        while (!_stopped)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException) when (_stopped)
            {
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Interrupted)
            {
                // Ktor's accept loop: a connection that failed between SYN and accept costs only itself.
                continue;
            }
            catch (SocketException)
            {
                // Out of descriptors or buffers: keep accepting, after a pause (connections in flight may free some).
                try
                {
                    await Task.Delay(s_acceptErrorBackoff, time, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            onAccepted(accepted);
        }
    }

    /// <summary>Stops listening: the port is released and the accept loop ends.</summary>
    public void Stop()
    {
        _stopped = true;
        _stopping.Cancel();
        _socket.Dispose();
    }

    private static string Format(IPEndPoint endPoint) => endPoint.AddressFamily == AddressFamily.InterNetworkV6
        ? $"http://[{endPoint.Address}]:{endPoint.Port}"
        : $"http://{endPoint.Address}:{endPoint.Port}";
}
