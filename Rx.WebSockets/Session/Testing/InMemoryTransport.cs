using System.IO.Pipelines;

namespace Rx.WebSockets.Session.Testing;

/// <summary>
/// Two cross-wired <see cref="Pipe"/>s: what the client end writes, the server end reads, and the other way round.
/// Sessions created over <see cref="Client"/> and <see cref="Server"/> talk to each other as over a socket, without one.
/// </summary>
/// <remarks>
/// Completing an end's <see cref="IDuplexPipe.Output"/> is seen by the other end as the end of its input (a TCP FIN);
/// completing it with an exception is seen as a transport error. Each pipe pauses its writer at
/// <see cref="PipeOptions.PauseWriterThreshold"/> (64 KiB by default), so a peer that stops reading makes the other
/// side's flushes wait — the way to test backpressure and outgoing-buffer limits.
/// Thread-safety: each end may be used by one reader and one writer concurrently, as any <see cref="IDuplexPipe"/>.
/// </remarks>
public sealed class InMemoryTransport
{
    private readonly Pipe _clientToServer;
    private readonly Pipe _serverToClient;

    /// <summary>Creates a transport with default pipe options (thread-pool continuations, 64 KiB pause threshold).</summary>
    public InMemoryTransport()
        : this(new PipeOptions(useSynchronizationContext: false))
    {
    }

    /// <summary>Creates a transport whose two pipes use <paramref name="options"/>.</summary>
    /// <param name="options">The options of both pipes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public InMemoryTransport(PipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _clientToServer = new Pipe(options);
        _serverToClient = new Pipe(options);
        Client = new DuplexPipe(_serverToClient.Reader, _clientToServer.Writer);
        Server = new DuplexPipe(_clientToServer.Reader, _serverToClient.Writer);
    }

    /// <summary>The client's end: it reads what the server writes and writes what the server reads.</summary>
    public IDuplexPipe Client { get; }

    /// <summary>The server's end.</summary>
    public IDuplexPipe Server { get; }

    private sealed class DuplexPipe : IDuplexPipe
    {
        public DuplexPipe(PipeReader input, PipeWriter output)
        {
            Input = input;
            Output = output;
        }

        public PipeReader Input { get; }

        public PipeWriter Output { get; }
    }
}
