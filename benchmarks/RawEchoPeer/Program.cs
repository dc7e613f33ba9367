using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Benchmarks.Shared;

// Raw TCP echo: every byte received is sent back as it came, as soon as it came. LoadGen sends it exactly the masked
// frames it sends the WebSocket peers (with no opening handshake) and parses the echoed frames, so this is the cost of
// moving the same bytes through the kernel with no WebSocket work at all. An idle connection waits with a zero-byte
// read and holds no buffer; a buffer is rented from the pool only when data has arrived (a busy one skips the
// zero-byte read while bytes are already waiting).
// Usage: RawEchoPeer [port]
int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5084;
const int BufferSize = 64 * 1024;

using var stop = new StopSignal();

using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
listener.Listen(512);
Console.WriteLine($"RawEchoPeer listening on tcp://127.0.0.1:{port}");
try
{
    while (true)
    {
        var socket = await listener.AcceptAsync(stop.Token);
        socket.NoDelay = true;
        _ = EchoAsync(socket);
    }
}
catch (OperationCanceledException)
{
}

static async Task EchoAsync(Socket socket)
{
    using (socket)
    {
        try
        {
            while (true)
            {
                if (socket.Available == 0)
                {
                    await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                }

                byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    int n = await socket.ReceiveAsync(buffer, SocketFlags.None);
                    if (n == 0)
                    {
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (SocketException)
        {
        }
    }
}
