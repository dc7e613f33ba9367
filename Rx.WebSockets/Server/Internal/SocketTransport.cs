using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Server.Internal;

/// <summary>Buffer thresholds of a <see cref="SocketTransport"/>.</summary>
/// <param name="MaxReceiveBufferSize">
/// Received bytes the application has not yet examined at which the receive pump stops reading the socket (the
/// input pipe's pause threshold); it resumes below half of it. A pipe counts examined, not consumed, bytes: a
/// parser that examined everything and waits for more (a request head, a whole WebSocket frame) un-pauses the pump,
/// so units larger than this still arrive, bounded by the parser's own limits.
/// </param>
/// <param name="MaxSendBufferSize">
/// Bytes written by the application but not yet sent at which <see cref="PipeWriter.FlushAsync"/> waits (the
/// output pipe's pause threshold); it resumes below half of it.
/// </param>
internal sealed record SocketTransportOptions(long MaxReceiveBufferSize, long MaxSendBufferSize)
{
    /// <summary>The smallest buffer the receive pump asks the pipe for.</summary>
    public const int MinimumReadSize = 4096;

    /// <summary>
    /// The largest buffer the receive pump asks the pipe for: reached by doubling while every read fills its buffer
    /// (the peer is streaming, e.g. a multi-megabyte WebSocket frame), so a large unit costs a few dozen reads and
    /// pipe flushes instead of one per 4 KiB.
    /// </summary>
    public const int MaximumReadSize = 64 * 1024;

    // One pool for every transport of the process unless a server brings its own: blocks are kept only once used.
    private static readonly BlockMemoryPool s_segmentPool = BlockMemoryPool.CreateForTransport();

    /// <summary>
    /// Where the transport's pipes take their blocks: a 4 MiB WebSocket frame lies whole in the receive pipe and again
    /// in the send pipe, 64 blocks of 64 KiB each, more than <see cref="ArrayPool{T}.Shared"/> keeps of one size.
    /// </summary>
    public MemoryPool<byte> SegmentPool { get; init; } = s_segmentPool;

    /// <summary>TLS of every connection; null for plaintext, which keeps the pumps on the socket itself.</summary>
    public TlsOptions? Tls { get; init; }

    /// <summary>The clock of the TLS handshake timeout.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// A connected socket as an <see cref="IDuplexPipe"/>: a receive pump copies the socket into <see cref="Input"/>,
/// a send pump copies <see cref="Output"/> to the socket.
/// </summary>
/// <remarks>
/// <para>
/// End of stream is data (python-websockets): when the peer half-closes, <see cref="Input"/> completes and the
/// reader sees <see cref="ReadResult.IsCompleted"/>. Completing <see cref="Output"/> sends what is buffered, then
/// half-closes the socket (<c>Shutdown(Send)</c>, a FIN); completing it with an exception aborts the connection
/// instead, so a peer never mistakes a truncated response for a complete one. A reset or failed socket completes
/// <see cref="Input"/> with an <see cref="IOException"/>.
/// </para>
/// <para>
/// The receive pump waits for data with a zero-byte read before renting a buffer (Kestrel's
/// <c>WaitForDataBeforeAllocatingBuffer</c>), so idle keep-alive connections hold no pooled memory.
/// </para>
/// <para>
/// Thread-safety: one reader of <see cref="Input"/> and one writer of <see cref="Output"/>, which may run
/// concurrently (full duplex). <see cref="Abort"/> may be called from any thread at any time.
/// <see cref="DisposeAsync"/> is called once, by the owner, after it stopped using the pipes.
/// </para>
/// </remarks>
internal sealed partial class SocketTransport : IDuplexPipe, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;
    private int _aborted;
    private int _disposing;
    private int _started;

    /// <summary>Wraps a connected socket; <see cref="Start"/> starts the pumps.</summary>
    /// <param name="socket">The connected socket; the transport owns it from now on.</param>
    /// <param name="options">Buffer thresholds.</param>
    public SocketTransport(Socket socket, SocketTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(options);
        _socket = socket;
        _tls = options.Tls;
        _time = options.TimeProvider;
        LocalEndPoint = socket.LocalEndPoint as IPEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;

        _input = new Pipe(InputPipeOptions(options.MaxReceiveBufferSize, options.SegmentPool));
        _output = new Pipe(OutputPipeOptions(options.MaxSendBufferSize, options.SegmentPool));
    }

    /// <summary>Bytes received from the peer.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>Bytes to send to the peer.</summary>
    public PipeWriter Output => _output.Writer;

    /// <summary>The local address of the connection.</summary>
    public IPEndPoint? LocalEndPoint { get; }

    /// <summary>The peer's address.</summary>
    public IPEndPoint? RemoteEndPoint { get; }

    /// <summary>Whether <see cref="Abort"/> was called or a socket error aborted the connection.</summary>
    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>Completes when both pumps have stopped.</summary>
    public Task Completion => Task.WhenAll(_receiving, _sending);

    /// <summary>Starts the receive and send pumps.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The transport is already started.");
        }

        if (_tls is not null)
        {
            StartTls(_tls);
            return;
        }

        // Called directly rather than through Task.Run (which keeps a promise per pump for the connection's lifetime):
        // each pump runs on the caller only up to its first wait — the send pump's read of an empty pipe, the receive
        // pump's zero-byte read (or one read of what the peer already sent).
        _receiving = ReceiveLoopAsync();
        _sending = SendLoopAsync();
    }

    // PipeOptions are immutable: connections of a server, which all have the same thresholds, share one instance instead
    // of each allocating two (issue 6: idle connections by the ten thousand). One entry per direction is enough.
    private static PipeOptions? s_inputOptions;
    private static PipeOptions? s_outputOptions;

    // Application code never runs on the receive pump's thread (and vice versa): its reader continues on the thread pool.
    private static PipeOptions InputPipeOptions(long maxReceiveBufferSize, MemoryPool<byte> pool) =>
        SharedPipeOptions(ref s_inputOptions, maxReceiveBufferSize, pool, PipeScheduler.ThreadPool, SocketTransportOptions.MinimumReadSize);

    // Except the send pump: it runs inline on the thread that flushes (Kestrel's UnsafePreferInlineScheduling), so a flush
    // costs one non-blocking send and no thread hop; it runs none of the application's code.
    private static PipeOptions OutputPipeOptions(long maxSendBufferSize, MemoryPool<byte> pool) =>
        SharedPipeOptions(ref s_outputOptions, maxSendBufferSize, pool, PipeScheduler.Inline, minimumSegmentSize: -1);

    private static PipeOptions SharedPipeOptions(
        ref PipeOptions? cache, long maxBufferSize, MemoryPool<byte> pool, PipeScheduler readerScheduler, int minimumSegmentSize)
    {
        var options = Volatile.Read(ref cache);
        if (options is null || options.PauseWriterThreshold != maxBufferSize || options.Pool != pool)
        {
            options = new PipeOptions(
                pool: pool,
                pauseWriterThreshold: maxBufferSize,
                resumeWriterThreshold: maxBufferSize / 2,
                readerScheduler: readerScheduler,
                writerScheduler: PipeScheduler.ThreadPool,
                minimumSegmentSize: minimumSegmentSize,
                useSynchronizationContext: false);
            Volatile.Write(ref cache, options);
        }

        return options;
    }

    /// <summary>
    /// Closes the connection at once with a reset (RST): unsent output is dropped, <see cref="Input"/> completes with
    /// an <see cref="IOException"/> and further flushes report completion.
    /// </summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        try
        {
            // Linger 0 turns close into a reset: the peer learns at once that the stream was cut short.
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing left to reset.
        }

        _socket.Dispose();
        _output.Reader.CancelPendingRead();
    }

    /// <summary>
    /// Closes the connection gracefully: completes both pipes if the owner has not, waits until buffered output is
    /// sent and the socket half-closed, then closes the socket and waits for the pumps.
    /// </summary>
    /// <returns>A task that completes when the socket is closed.</returns>
    /// <remarks>Waiting for output depends on the peer reading; callers bound it by calling <see cref="Abort"/>.</remarks>
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposing, 1);
        _output.Writer.Complete();
        _input.Reader.Complete();
        CancelHandshake();
        await _sending.ConfigureAwait(false);
        _socket.Dispose();
        await _receiving.ConfigureAwait(false);
        DisposeTls();
    }

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        Exception? error = null;
        try
        {
            int readSize = SocketTransportOptions.MinimumReadSize;
            while (true)
            {
                // A zero-byte read completes when data is available, before any buffer is pinned.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                var memory = writer.GetMemory(readSize);
                int received = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    // The peer's FIN: completing the writer turns it into IsCompleted for the reader.
                    break;
                }

                // A full buffer means more is probably waiting: ask for a bigger one next time. A short read means the
                // peer's burst is over, and small messages go back to small pooled blocks.
                readSize = received == memory.Length
                    ? Math.Min(readSize * 2, SocketTransportOptions.MaximumReadSize)
                    : SocketTransportOptions.MinimumReadSize;
                writer.Advance(received);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    // The application stopped reading; the socket is closed by DisposeAsync or Abort.
                    break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (IsAborted)
            {
                error = new IOException("The connection was aborted.", e);
            }
            else if (Volatile.Read(ref _disposing) == 0)
            {
                error = new IOException($"The connection was reset by the peer ({(e as SocketException)?.SocketErrorCode}).", e);
                // A reset ends both directions; make the send side and the application's flushes notice too.
                Abort();
            }

            // Otherwise DisposeAsync closed the socket after the application completed its reader: a normal end.
        }
        finally
        {
            await writer.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        var segments = new List<ArraySegment<byte>>();
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    Debug.Assert(IsAborted, "only Abort cancels the send pump's read");
                    error = new IOException("The connection was aborted.");
                    break;
                }

                var buffer = result.Buffer;
                if (buffer.IsSingleSegment || !TryGather(buffer, segments))
                {
                    foreach (var segment in buffer)
                    {
                        await SendAllAsync(segment).ConfigureAwait(false);
                    }
                }
                else
                {
                    await SendAllAsync(segments).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    // RFC 9112 §9.6: a server closes in stages, half-closing its sending side first, so the
                    // response is not lost to a reset triggered by request bytes the client is still sending.
                    _socket.Shutdown(SocketShutdown.Send);
                    break;
                }
            }
        }
        catch (Exception e)
        {
            // A failed send, or the application completed Output with an error: either way the stream is cut short,
            // and the peer must see a reset rather than a clean end.
            error = e;
            Abort();
        }
        finally
        {
            await reader.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Lists the segments of <paramref name="buffer"/> as arrays for one gathering send: a multi-megabyte WebSocket
    /// frame lies in dozens of pipe blocks, and one send per block costs a system call each.
    /// </summary>
    /// <returns>False when a block is not array-backed (a custom memory pool); the caller then sends block by block.</returns>
    private static bool TryGather(in ReadOnlySequence<byte> buffer, List<ArraySegment<byte>> segments)
    {
        segments.Clear();
        foreach (var memory in buffer)
        {
            if (memory.IsEmpty)
            {
                continue;
            }

            if (!MemoryMarshal.TryGetArray(memory, out var segment))
            {
                segments.Clear();
                return false;
            }

            segments.Add(segment);
        }

        return true;
    }

    private async ValueTask SendAllAsync(List<ArraySegment<byte>> segments)
    {
        try
        {
            int first = 0;
            while (first < segments.Count)
            {
                // The socket may take part of the list (a full send buffer): drop what went out and send the rest.
                int sent = await _socket.SendAsync(first == 0 ? segments : segments.GetRange(first, segments.Count - first), SocketFlags.None).ConfigureAwait(false);
                while (first < segments.Count && sent >= segments[first].Count)
                {
                    sent -= segments[first].Count;
                    first++;
                }

                if (sent > 0)
                {
                    segments[first] = segments[first][sent..];
                }
            }
        }
        finally
        {
            // The arrays go back to the pool when the pipe is advanced; hold no references to them.
            segments.Clear();
        }
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int sent = await _socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
