using System.Buffers;
using System.IO.Pipelines;
using System.Reactive.Concurrency;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Rx.WebSockets.Protocol;
using Rx.WebSockets.Session;
using Rx.WebSockets.Session.Testing;

namespace Rx.WebSockets.Benchmarks;

/// <summary>The messages echoed by <see cref="SessionEchoBenchmarks"/>.</summary>
public enum EchoMessage
{
    /// <summary>A 32-byte Text message (ASCII, so UTF-8 validation runs on the fast path).</summary>
    Text32B,

    /// <summary>A 16 KiB Binary message: above the 7-bit length and the pipes' 4 KiB segments, below their 64 KiB pause threshold.</summary>
    Binary16KiB,
}

/// <summary>
/// A default server session echoing messages (<c>session.Run(frames => frames)</c>, pinger off) over an
/// <see cref="InMemoryTransport"/>. One operation is <see cref="Messages"/> messages round-tripped, with at most
/// <see cref="MaxWindow"/> messages and <see cref="MaxInFlightBytes"/> wire bytes in flight; the times and allocations
/// BenchmarkDotNet prints are per message.
/// </summary>
/// <remarks>
/// <para>
/// Three clients, to separate the server session's cost from everything around it:
/// <see cref="SessionToSession"/> is a real client session (Side.Client, masked), so its figures include the client's
/// own work and allocations (it decodes every echo into a payload array and a frame object).
/// <see cref="PumpToSession"/> replaces the client by a byte pump: a pre-encoded masked frame is copied straight into the
/// pipe, and echoes are counted by their byte length and discarded without being decoded, so the pump allocates nothing
/// per message and what is allocated is the server session's.
/// <see cref="PumpToPipeEcho"/> is the control: the same pump against a plain byte copier instead of a session, i.e. what
/// the pipes and the thread pool cost on their own.
/// </para>
/// <para>
/// The target (issue 3) is that the server session allocates, per echoed message, only the payload array and the frame
/// object the decoder must hand to Rx (ADR 0002): 24 B + payload rounded up to 8, plus 40 B for the frame — 96 B for
/// 32 B, 16,448 B for 16 KiB. Each operation also allocates a few hundred bytes once (a TaskCompletionSource, or the
/// pump's async state machine), which is well under 1 B per message at 1,000 messages.
/// </para>
/// </remarks>
[MemoryDiagnoser]
public class SessionEchoBenchmarks
{
    /// <summary>Messages per operation (BenchmarkDotNet's OperationsPerInvoke).</summary>
    public const int Messages = 1000;

    /// <summary>Messages in flight at most (sent and not yet echoed back), fewer if <see cref="MaxInFlightBytes"/> says so.</summary>
    public const int MaxWindow = 64;

    /// <summary>
    /// Wire bytes in flight at most: below the pipes' 64 KiB pause threshold, so no flush ever waits. A byte echo (the
    /// control) would otherwise deadlock with a pump that does not read while its flush waits, as any echo does with a
    /// peer that only writes; the sessions would not (their read loop never waits on their output), but all variants
    /// keep the same window to stay comparable. That is 64 messages of 32 B and 3 of 16 KiB.
    /// </summary>
    public const int MaxInFlightBytes = 60 * 1024;

    private InMemoryTransport _transport = null!;
    private IWebSocketSession _server = null!;
    private IDisposable _serverRun = null!;
    private Task? _pipeEcho;
    private IWebSocketSession? _client;
    private IDisposable? _clientSubscription;
    private Frame _frame = null!;
    private byte[] _wire = Array.Empty<byte>();
    private int _echoLength;
    private int _window;
    private int _sent;
    private int _received;
    private TaskCompletionSource? _done;
    private Exception? _serverFailure;

    [Params(EchoMessage.Text32B, EchoMessage.Binary16KiB)]
    public EchoMessage Message { get; set; }

    /// <summary>Wraps the server session's end of the transport (the probe counts reads and flushes); null in benchmarks.</summary>
    internal Func<IDuplexPipe, IDuplexPipe>? ServerTransportWrapper { get; set; }

    [GlobalSetup(Target = nameof(SessionToSession))]
    public void SetupSessionToSession()
    {
        StartServerSession();
        var client = WebSocketSession.Create(_transport.Client, Side.Client, NoPinger(), Scheduler.Default);
        _clientSubscription = client.Incoming.Subscribe(OnClientEcho, OnClientError, () => OnClientError(new InvalidOperationException("The client's Incoming completed during the benchmark.")));
        client.Start();
        _client = client;

        // One message through before measuring, checked byte for byte: the benchmark must measure an echo.
        var echoed = new TaskCompletionSource<Frame>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (client.Incoming.Subscribe(f => echoed.TrySetResult(f), e => echoed.TrySetException(e)))
        {
            _sent = _received = Messages;
            client.Outgoing.OnNext(_frame);
            var frame = echoed.Task.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            if (!frame.Equals(_frame))
            {
                throw new InvalidOperationException($"The echo {frame} differs from the message sent {_frame}.");
            }
        }
    }

    [GlobalSetup(Target = nameof(PumpToSession))]
    public void SetupPumpToSession()
    {
        StartServerSession();
        PreparePump(echoMasked: false);
    }

    [GlobalSetup(Target = nameof(PumpToPipeEcho))]
    public void SetupPumpToPipeEcho()
    {
        CreateMessage();
        _transport = new InMemoryTransport();
        _pipeEcho = CopyBytesAsync(_transport.Server);
        PreparePump(echoMasked: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _clientSubscription?.Dispose();
        if (_client is not null)
        {
            _client.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        }
        else
        {
            // The pump's end of stream: the server session sees a TCP FIN (1006), the byte copier stops.
            _transport.Client.Output.Complete();
        }

        if (_server is not null)
        {
            _server.CloseReason.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            _serverRun.Dispose();
        }

        _pipeEcho?.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        _transport.Client.Input.Complete();
    }

    /// <summary>A client session sends; each echo it receives releases the next message.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public Task SessionToSession()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _done, done);
        Volatile.Write(ref _received, 0);
        // Set before the first send: echoes may come back while this loop still runs, and they count on it.
        Volatile.Write(ref _sent, _window);
        var outgoing = _client!.Outgoing;
        for (int i = 0; i < _window; i++)
        {
            outgoing.OnNext(_frame);
        }

        return done.Task;
    }

    /// <summary>A byte pump writes pre-encoded masked frames and counts the echoes' bytes.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public Task PumpToSession() => PumpAsync();

    /// <summary>Control: the same pump against a byte copier, no session.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public Task PumpToPipeEcho() => PumpAsync();

    private static WebSocketOptions NoPinger() => new() { PingInterval = null };

    private void CreateMessage()
    {
        _frame = Message switch
        {
            EchoMessage.Text32B => Frame.Text(new string('x', 32)),
            _ => Frame.Binary(CreatePayload(16 * 1024)),
        };
        _window = (int)Math.Min(MaxWindow, MaxInFlightBytes / FrameEncoder.GetEncodedLength(_frame, masked: true));
    }

    private static byte[] CreatePayload(int size)
    {
        var payload = new byte[size];
        new Random(6455).NextBytes(payload);
        return payload;
    }

    private void StartServerSession()
    {
        CreateMessage();
        _transport = new InMemoryTransport();
        var serverEnd = ServerTransportWrapper is { } wrap ? wrap(_transport.Server) : _transport.Server;
        _server = WebSocketSession.Create(serverEnd, Side.Server, NoPinger(), Scheduler.Default);
        _serverRun = _server.Run(frames => frames).Subscribe(
            reason => OnServerEnded(new InvalidOperationException($"The server session ended: {reason}.")),
            e => OnServerEnded(e));
    }

    private void OnServerEnded(Exception error)
    {
        // Ending while an operation waits means the session failed (an overflow, a protocol error): fail the operation.
        _serverFailure = error;
        Volatile.Read(ref _done)?.TrySetException(error);
    }

    private void OnClientEcho(Frame frame)
    {
        if (Interlocked.Increment(ref _sent) <= Messages)
        {
            _client!.Outgoing.OnNext(_frame);
        }

        if (Interlocked.Increment(ref _received) == Messages)
        {
            Volatile.Read(ref _done)?.TrySetResult();
        }
    }

    private void OnClientError(Exception error) => Volatile.Read(ref _done)?.TrySetException(error);

    private void PreparePump(bool echoMasked)
    {
        var encoded = new ArrayBufferWriter<byte>();
        new FrameEncoder(Side.Client).Encode(_frame, encoded);
        _wire = encoded.WrittenSpan.ToArray();
        // A session echoes unmasked (RFC 6455 §5.1); the byte copier returns the masked bytes as they came.
        _echoLength = (int)FrameEncoder.GetEncodedLength(_frame, echoMasked);
        VerifyOneEcho(echoMasked);
    }

    private void VerifyOneEcho(bool echoMasked)
    {
        var output = _transport.Client.Output;
        _wire.CopyTo(output.GetSpan(_wire.Length));
        output.Advance(_wire.Length);
        output.FlushAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();

        // Decode the one echo properly (a client decoder, or a server one for the copier's masked bytes) and compare.
        var decoder = new FrameDecoder(echoMasked ? Side.Server : Side.Client, FrameLimits.Default);
        var input = _transport.Client.Input;
        while (true)
        {
            var result = input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            var reader = new SequenceReader<byte>(result.Buffer);
            if (decoder.TryDecode(ref reader, out var frame) == OperationStatus.Done)
            {
                if (!frame!.Equals(_frame) || reader.Remaining != 0 || result.Buffer.Length != _echoLength)
                {
                    throw new InvalidOperationException($"The echo {frame} ({result.Buffer.Length} bytes) differs from the message sent {_frame}.");
                }

                input.AdvanceTo(result.Buffer.End);
                return;
            }

            if (result.IsCompleted)
            {
                throw new InvalidOperationException("The server ended before echoing.");
            }

            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private async Task PumpAsync()
    {
        var output = _transport.Client.Output;
        var input = _transport.Client.Input;
        int sent = 0;
        int received = 0;
        long echoedBytes = 0;
        while (received < Messages)
        {
            if (sent < Messages && sent - received < _window)
            {
                do
                {
                    _wire.CopyTo(output.GetSpan(_wire.Length));
                    output.Advance(_wire.Length);
                    sent++;
                }
                while (sent < Messages && sent - received < _window);

                await output.FlushAsync().ConfigureAwait(false);
            }

            var result = await input.ReadAsync().ConfigureAwait(false);
            echoedBytes += result.Buffer.Length;
            input.AdvanceTo(result.Buffer.End);
            received = (int)(echoedBytes / _echoLength);
            if (result.IsCompleted && received < Messages)
            {
                throw new InvalidOperationException("The server ended its output during the benchmark.", _serverFailure);
            }
        }

        if (echoedBytes != (long)Messages * _echoLength)
        {
            throw new InvalidOperationException($"Received {echoedBytes} bytes of echoes, expected {(long)Messages * _echoLength}.");
        }
    }

    private static async Task CopyBytesAsync(IDuplexPipe end)
    {
        while (true)
        {
            var result = await end.Input.ReadAsync().ConfigureAwait(false);
            foreach (var segment in result.Buffer)
            {
                // One pipe segment per incoming segment (GetSpan of its size), as the session's encoder asks for one span per frame.
                segment.Span.CopyTo(end.Output.GetSpan(segment.Length));
                end.Output.Advance(segment.Length);
            }

            end.Input.AdvanceTo(result.Buffer.End);
            var flush = await end.Output.FlushAsync().ConfigureAwait(false);
            if (result.IsCompleted || flush.IsCompleted)
            {
                break;
            }
        }

        await end.Input.CompleteAsync().ConfigureAwait(false);
        await end.Output.CompleteAsync().ConfigureAwait(false);
    }
}
