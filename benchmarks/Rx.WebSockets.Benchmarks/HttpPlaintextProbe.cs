using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Benchmarks.Shared;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Benchmarks;

/// <summary>
/// Bytes allocated per request by the engine serving benchmarks/plaintext.sh's <c>GET /plaintext</c> (the handler of
/// benchmarks/RxPlaintext), in process: <see cref="Connections"/> blocking client sockets each send batches of
/// <c>depth</c> pipelined GETs (1 = no pipelining) and read the responses back. The client allocates nothing per batch
/// (prebuilt bytes, synchronous socket calls), so the process-wide allocation count is the server's. A second pass
/// names the types behind the allocations from the runtime's GCAllocationTick samples (about one per 100 KB).
/// Run: <c>dotnet run -c Release --project benchmarks/Rx.WebSockets.Benchmarks -- plaintext-probe [batches]</c>.
/// </summary>
internal static class HttpPlaintextProbe
{
    private const int Connections = 8;

    public static void Run(int batches)
    {
        var server = HttpServer.Start(new HttpServerSettings { Host = "127.0.0.1", Port = 0 }, PlaintextHandler.Handle);
        try
        {
            int port = server.LocalEndPoints[0].Port;
            foreach (int depth in new[] { 1, 16 })
            {
                var clients = Enumerable.Range(0, Connections).Select(_ => new Client(port, depth)).ToArray();
                RunAll(clients, 200); // warm-up: tiering, pools
                long before = GC.GetTotalAllocatedBytes(precise: true);
                long started = Stopwatch.GetTimestamp();
                RunAll(clients, batches);
                var elapsed = Stopwatch.GetElapsedTime(started);
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                double requests = (double)batches * depth * Connections;
                Console.WriteLine(
                    $"depth {depth}: {requests / elapsed.TotalSeconds:F0} req/s (in process, client included); " +
                    $"{allocated / requests:F1} B allocated per request");
                using (var listener = new AllocationListener())
                {
                    RunAll(clients, batches);
                    foreach (var (type, count) in listener.Samples.OrderByDescending(p => p.Value).Take(14))
                    {
                        Console.WriteLine($"  {count,6} samples  {type}");
                    }
                }

                foreach (var client in clients)
                {
                    client.Dispose();
                }
            }
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void RunAll(Client[] clients, int batches)
    {
        var threads = clients.Select(c => new Thread(() => c.Run(batches))).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }
    }

    private sealed class Client : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        private readonly byte[] _batch;
        private readonly byte[] _buffer = new byte[64 * 1024];
        private readonly int _responseLength;
        private readonly int _depth;

        public Client(int port, int depth)
        {
            _depth = depth;
            _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            byte[] one = Encoding.ASCII.GetBytes($"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
            _batch = Enumerable.Repeat(one, depth).SelectMany(b => b).ToArray();

            // Every response has the same length (the Date has a fixed width): learn it from the first one.
            _socket.Send(one);
            int read = 0;
            int end;
            while ((end = _buffer.AsSpan(0, read).IndexOf("Hello, World!"u8)) < 0)
            {
                read += _socket.Receive(_buffer, read, _buffer.Length - read, SocketFlags.None);
            }

            _responseLength = end + 13;
        }

        public void Run(int batches)
        {
            for (int i = 0; i < batches; i++)
            {
                _socket.Send(_batch);
                int expected = _responseLength * _depth;
                int read = 0;
                while (read < expected)
                {
                    int n = _socket.Receive(_buffer, 0, Math.Min(_buffer.Length, expected - read), SocketFlags.None);
                    if (n == 0)
                    {
                        throw new InvalidOperationException("The server closed the connection.");
                    }

                    read += n;
                }
            }
        }

        public void Dispose() => _socket.Dispose();
    }
}
