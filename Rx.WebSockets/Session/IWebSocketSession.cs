using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Session;

/// <summary>
/// A WebSocket connection as observables (Ktor's <c>WebSocketSession</c> / <c>DefaultWebSocketSession</c>): frames come
/// in through <see cref="Incoming"/> and go out through <see cref="Outgoing"/> or <see cref="SendAsync"/>; how it ended
/// is <see cref="CloseReason"/>.
/// </summary>
/// <remarks>
/// <para>
/// When reading starts: nothing is read from the transport until <see cref="Start"/> is called; bytes that arrive
/// earlier wait in the transport's pipe, so no frame is lost however late the application subscribes.
/// <see cref="WebSocketSessionExtensions.Run(IWebSocketSession, Func{IWebSocketSession, IObservable{System.Reactive.Unit}})"/>
/// and <see cref="WebSocketSessionExtensions.ReadAllAsync"/> call <see cref="Start"/> right after subscribing, and
/// starting to close (<see cref="WebSocketSessionExtensions.Close"/>, <c>Outgoing.OnCompleted</c>, a failure) starts
/// reading too, because the peer's Close must be read. Writing starts when the session is created.
/// </para>
/// <para>
/// Flavours: a default session (<see cref="WebSocketSession.Create"/>) answers pings, runs the pinger, performs the
/// closing handshake with a timeout and reassembles fragmented messages, so <see cref="Incoming"/> yields only whole
/// Text and Binary frames. A raw session (<see cref="WebSocketSession.CreateRaw"/>) yields every frame — fragments,
/// pings, pongs and the peer's Close — and answers nothing by itself.
/// </para>
/// <para>
/// Thread-safety: every member may be called from any thread. <see cref="Incoming"/>, <see cref="Pings"/> and
/// <see cref="Pongs"/> notify on the read loop, one notification at a time.
/// </para>
/// </remarks>
public interface IWebSocketSession : IAsyncDisposable
{
    /// <summary>
    /// The frames received (hot). In a default session only whole Text and Binary frames; in a raw session every frame.
    /// </summary>
    /// <remarks>
    /// OnNext runs on the read loop, and the next frame is not read from the transport until it returns: a slow observer
    /// slows the peer (backpressure). <c>ObserveOn</c> trades that for an unbounded queue. Incoming completes when the
    /// peer's Close arrives (the reason is in <see cref="CloseReason"/>); it errors with
    /// <see cref="ConnectionClosedException"/> when the transport ends without a Close (1006), with
    /// <see cref="WebSocketProtocolException"/> when the peer broke the protocol, and with
    /// <see cref="PingTimeoutException"/> when the peer stopped answering pings. It always ends before
    /// <see cref="CloseReason"/> completes, and late subscribers get that end at once.
    /// </remarks>
    IObservable<Frame> Incoming { get; }

    /// <summary>
    /// Sends frames: OnNext queues a frame (never blocks); OnCompleted closes with 1000; OnError closes with 1011
    /// "Internal error" (the exception text is never sent to the peer).
    /// </summary>
    /// <remarks>
    /// Frames are written in the order given. Past <see cref="FrameLimits.MaxOutgoingBufferSize"/> queued payload bytes the
    /// session fails with 1008 (<see cref="OutgoingOverflowPolicy"/>). The write loop moves frames from that buffer into the
    /// transport in batches of up to 64 KiB, so the bytes held for a peer that does not read are bounded by the limit,
    /// plus one batch, plus what the transport itself buffers (a pipe's pause threshold). A frame that is not written because the session ended first is counted in
    /// <see cref="UnsentFrameCount"/>. A Close frame starts the closing handshake with its reason.
    /// </remarks>
    IObserver<Frame> Outgoing { get; }

    /// <summary>
    /// Completes when the session has ended — transport closed, every internal subscription disposed — with the reason:
    /// the agreed close reason, the failure's code (1002, 1007, 1008, 1009, 1011 "Ping timeout"), or 1006 when the
    /// connection ended without a closing handshake. Never faults.
    /// </summary>
    Task<CloseReason?> CloseReason { get; }

    /// <summary><see cref="CloseReason"/> as an observable: one value, then completion; replayed to late subscribers.</summary>
    IObservable<CloseReason> Closed { get; }

    /// <summary>
    /// How often the pinger pings the peer; <see langword="null"/> disables it. Setting it on a live session restarts
    /// the pinger, whose first ping is one interval later. Pings from the peer are answered whatever this is. A raw session
    /// has no pinger: its value is always null.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is zero or negative.</exception>
    /// <exception cref="NotSupportedException">A non-null value is set on a raw session.</exception>
    TimeSpan? PingInterval { get; set; }

    /// <summary><see cref="PingInterval"/> in milliseconds (Ktor's <c>pingIntervalMillis</c>): 0 when disabled; setting 0 or -1 disables.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is below -1.</exception>
    long PingIntervalMillis { get; set; }

    /// <summary>How long the pinger waits for the matching pong before failing the session with 1011 "Ping timeout". Setting it restarts the pinger.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is negative.</exception>
    TimeSpan Timeout { get; set; }

    /// <summary><see cref="Timeout"/> in milliseconds (Ktor's <c>timeoutMillis</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is negative.</exception>
    long TimeoutMillis { get; set; }

    /// <summary>The largest frame payload accepted from the peer (<see cref="FrameLimits.MaxFrameSize"/>); larger frames fail the session with 1009.</summary>
    long MaxFrameSize { get; }

    /// <summary>Whether the frames this session sends are masked: always for a client, for a server only when <see cref="WebSocketOptions.Masking"/> asks.</summary>
    bool Masking { get; }

    /// <summary>
    /// The extensions in use on this connection, each as the server's <c>Sec-WebSocket-Extensions</c> answered it
    /// (e.g. <c>permessage-deflate; client_max_window_bits=15</c>); empty when none was negotiated.
    /// </summary>
    IReadOnlyList<string> Extensions { get; }

    /// <summary>The subprotocol selected by the opening handshake, or <see langword="null"/>.</summary>
    string? SubProtocol { get; }

    /// <summary>Open, then Closing once a Close frame was sent or received or the connection failed, then Closed when <see cref="CloseReason"/> completes.</summary>
    WebSocketState State { get; }

    /// <summary>Which end of the connection this session is.</summary>
    Side Side { get; }

    /// <summary>The pings received from the peer (hot; on the read loop), e.g. for logging. A default session answers them by itself.</summary>
    IObservable<PingFrame> Pings { get; }

    /// <summary>The pongs received from the peer (hot; on the read loop), e.g. to measure round trips.</summary>
    IObservable<PongFrame> Pongs { get; }

    /// <summary>
    /// The round trip of each ping this session's pinger sent, observed when the pong with the same payload arrives (hot;
    /// on the read loop). It completes when the session has ended.
    /// </summary>
    /// <remarks>
    /// Times are measured with the session's <see cref="System.Reactive.Concurrency.IScheduler"/> stopwatch (monotonic on
    /// the real schedulers, virtual time on a TestScheduler) from the moment the pinger queues the ping — ahead of queued
    /// data frames — to the moment the matching pong is read, so they include the wait for the write loop and for the
    /// peer. Pongs that answer no outstanding ping (unsolicited, stale, or answering the application's own pings) and
    /// pings that time out yield nothing. A raw session has no pinger: its sequence only completes. The hosting layer
    /// records these in the <c>rxws.ping.round_trip</c> histogram.
    /// </remarks>
    IObservable<TimeSpan> PingRoundTrips { get; }

    /// <summary>Application frames that were given to <see cref="Outgoing"/> but never written because the session overflowed or ended first.</summary>
    long UnsentFrameCount { get; }

    /// <summary>Starts reading the transport (and the pinger). Idempotent; see the remarks of <see cref="IWebSocketSession"/>.</summary>
    void Start();

    /// <summary>
    /// Sends a frame and reports its fate: the task completes once the frame is written and flushed to the transport, and
    /// faults with <see cref="ConnectionClosedException"/> if the session ends first. For a Close frame the task completes
    /// when the closing handshake has ended.
    /// </summary>
    /// <param name="frame">The frame.</param>
    /// <param name="cancellationToken">Cancels only the wait for room in the outgoing buffer (<see cref="OutgoingOverflowPolicy.Wait"/>); a frame accepted is written or reported.</param>
    /// <returns>The task described above.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="frame"/> is null.</exception>
    Task SendAsync(Frame frame, CancellationToken cancellationToken = default);
}
