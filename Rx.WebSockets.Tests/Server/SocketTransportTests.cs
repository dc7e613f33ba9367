using System.Buffers;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Rx.WebSockets.Server;
using Rx.WebSockets.Server.Internal;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Server;

/// <summary>Socket ⇄ pipes: end of stream as data, half-close on completion, reset on abort, bounded buffering.</summary>
public sealed class SocketTransportTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Transport_PeerSendsBytes_ApplicationReadsThemAndItsWritesArrive()
    {
        await using var server = StartServer(t => new ScriptedConnection(t, EchoUntilEndAsync));
        await using var client = await RawHttpConnection.ConnectAsync(server.LocalEndPoints[0]);

        await client.Send("hello");
        await client.Receive("hello");
        await client.Send("again");
        await client.Receive("again");
    }

    [Fact]
    public async Task Transport_PeerHalfCloses_InputCompletes_AndCompletingOutputSendsFin()
    {
        await using var server = StartServer(t => new ScriptedConnection(t, EchoUntilEndAsync));
        await using var client = await RawHttpConnection.ConnectAsync(server.LocalEndPoints[0]);

        await client.Send("last words");
        client.ShutdownSend();

        // The echo loop only completes Output after it saw IsCompleted on Input, and then the client sees a FIN.
        await client.ReceiveEnd("last words");
    }

    [Fact]
    public async Task Transport_Aborted_PeerSeesReset()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = StartServer(t => new ScriptedConnection(t, async transport =>
        {
            var result = await transport.Input.ReadAsync();
            transport.Input.AdvanceTo(result.Buffer.End);
            transport.Abort();
            aborted.SetResult();
        }));
        await using var client = await RawHttpConnection.ConnectAsync(server.LocalEndPoints[0]);

        await client.Send("x");
        await aborted.Task.WaitAsync(s_timeout);

        await client.AssertReset();
    }

    [Fact]
    public async Task Transport_OutputCompletedWithError_PeerSeesResetNotACleanEnd()
    {
        await using var server = StartServer(t => new ScriptedConnection(t, async transport =>
        {
            // Wait for the client's first byte, so that the reset cannot race the client's connect.
            var request = await transport.Input.ReadAsync();
            transport.Input.AdvanceTo(request.Buffer.End);
            await transport.Output.WriteAsync(Encoding.ASCII.GetBytes("partial"));
            await transport.Output.CompleteAsync(new InvalidOperationException("handler failed mid-response"));
            await transport.Completion.WaitAsync(s_timeout);
        }));
        await using var client = await RawHttpConnection.ConnectAsync(server.LocalEndPoints[0]);
        await client.Send("x");

        await client.AssertReset();
    }

    [Fact]
    public async Task Transport_PeerResets_InputFailsWithIOException()
    {
        var failure = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = StartServer(t => new ScriptedConnection(t, async transport =>
        {
            try
            {
                while (true)
                {
                    var result = await transport.Input.ReadAsync();
                    transport.Input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        failure.SetResult(null);
                        return;
                    }
                }
            }
            catch (IOException e)
            {
                failure.SetResult(e);
            }
        }));
        var client = await RawHttpConnection.ConnectAsync(server.LocalEndPoints[0]);

        await client.Send("x");
        client.Socket.LingerState = new LingerOption(true, 0);
        await client.DisposeAsync();

        Assert.IsType<IOException>(await failure.Task.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task Transport_ApplicationWaitsForAUnitLargerThanTheBufferLimit_ItStillArrivesWhole()
    {
        // The receive pump pauses on bytes the application has not yet examined (Pipe semantics). A parser that
        // examined everything and asks for more un-pauses it, so a whole WebSocket frame larger than the buffer limit
        // can still be awaited; its size is bounded by the parser's own limit, not by the pipe.
        const int limit = 64 * 1024;
        const int unit = 3 * limit;
        const int units = 4;
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = StartServer(
            t => new ScriptedConnection(t, async transport =>
            {
                long total = 0;
                while (total < unit * units)
                {
                    var result = await transport.Input.ReadAsync();
                    var buffer = result.Buffer;
                    if (buffer.Length < unit)
                    {
                        Assert.False(result.IsCompleted);
                        transport.Input.AdvanceTo(buffer.Start, buffer.End);
                        continue;
                    }

                    transport.Input.AdvanceTo(buffer.GetPosition(unit));
                    total += unit;
                }

                done.SetResult(total);
            }),
            new HttpServerSettings { Host = "127.0.0.1", Port = 0, MaxReceiveBufferSize = limit });
        await using var client = await RawHttpConnection.ConnectAsync(server.LocalEndPoints[0]);

        var sending = client.SendBytes(new byte[unit * units]);

        Assert.Equal(unit * units, await done.Task.WaitAsync(s_timeout));
        await sending.WaitAsync(s_timeout);
    }

    private static HttpServer StartServer(Func<SocketTransport, IServerConnection> factory, HttpServerSettings? settings = null)
        => HttpServer.Start(settings ?? new HttpServerSettings { Host = "127.0.0.1", Port = 0 }, (_, transport) => factory(transport));

    private static async Task EchoUntilEndAsync(SocketTransport transport)
    {
        while (true)
        {
            var result = await transport.Input.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                await transport.Output.WriteAsync(segment);
            }

            transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        await transport.Output.CompleteAsync();
    }

    /// <summary>A connection that runs a script over its transport, then disposes it.</summary>
    internal sealed class ScriptedConnection : IServerConnection
    {
        private readonly SocketTransport _transport;
        private readonly Func<SocketTransport, Task> _script;
        private readonly Action<SocketTransport>? _onStop;

        public ScriptedConnection(SocketTransport transport, Func<SocketTransport, Task> script, Action<SocketTransport>? onStop = null)
        {
            _transport = transport;
            _script = script;
            _onStop = onStop;
        }

        public async Task RunAsync()
        {
            _transport.Start();
            try
            {
                await _script(_transport);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                // The connection was aborted under the script.
            }
            finally
            {
                await _transport.DisposeAsync();
            }
        }

        public void RequestStop() => _onStop?.Invoke(_transport);

        public void Abort() => _transport.Abort();
    }
}
