using System.Collections.Generic;
using System.Reactive;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Rx.WebSockets.Session;

/// <summary>Ktor's session helpers as Rx: <c>send</c>, <c>close</c>, the handler runner, and views of the incoming frames.</summary>
public static class WebSocketSessionExtensions
{
    #region + Send +

    /// <summary>Sends <paramref name="text"/> as one final Text frame (through <see cref="IWebSocketSession.Outgoing"/>: never blocks).</summary>
    /// <param name="session">The session.</param>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> or <paramref name="text"/> is null.</exception>
    public static void Send(this IWebSocketSession session, string text)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.Outgoing.OnNext(Frame.Text(text));
    }

    /// <summary>Sends <paramref name="data"/> as one final Binary frame (the array is not copied: do not change it afterwards).</summary>
    /// <param name="session">The session.</param>
    /// <param name="data">The bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> or <paramref name="data"/> is null.</exception>
    public static void Send(this IWebSocketSession session, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(data);
        session.Outgoing.OnNext(Frame.Binary(data));
    }

    /// <summary>Sends <paramref name="data"/> as one final Binary frame (the memory is not copied: do not change it afterwards).</summary>
    /// <param name="session">The session.</param>
    /// <param name="data">The bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> is null.</exception>
    public static void Send(this IWebSocketSession session, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.Outgoing.OnNext(Frame.Binary(data));
    }

    /// <summary>
    /// Sends a message with a per-message choice of compression (Ktor's <c>compressIf</c>, for one message): with
    /// <paramref name="compress"/> false it goes out as it is, RSV1 clear, even when permessage-deflate is in use,
    /// e.g. for data that is already compressed (images, archives) or too sensitive to share a compression window
    /// with attacker-influenced data. With true it is <see cref="IWebSocketSession.SendAsync"/>: compressed when an
    /// extension was agreed and the message is at least <see cref="PerMessageDeflateOptions.MinimumSizeToCompress"/>.
    /// </summary>
    /// <param name="session">A session created by <see cref="WebSocketSession"/> (or a server session wrapping one).</param>
    /// <param name="message">
    /// A Text or Binary frame, or the first fragment of a message the application fragments itself: the first
    /// fragment decides for the whole message, its continuations follow through <see cref="IWebSocketSession.Outgoing"/>
    /// or <see cref="IWebSocketSession.SendAsync"/> as usual. A continuation frame is sent as any other.
    /// </param>
    /// <param name="compress">False to send this message uncompressed.</param>
    /// <param name="cancellationToken">As for <see cref="IWebSocketSession.SendAsync"/>.</param>
    /// <returns>As <see cref="IWebSocketSession.SendAsync"/>: completes once the frame is written and flushed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> or <paramref name="message"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="compress"/> is false and <paramref name="session"/> was not created by <see cref="WebSocketSession"/>.</exception>
    /// <remarks>
    /// With context takeover the compressor simply skips the message: the next compressed message refers to the
    /// window of the last compressed one, as the peer's decompressor, which skips it too, expects (RFC 7692 §7.2.1).
    /// </remarks>
    public static Task SendAsync(this IWebSocketSession session, DataFrame message, bool compress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(message);
        return session.SendAsync(compress ? message : session.Uncompressed(message), cancellationToken);
    }

    /// <summary>
    /// Marks a message to be sent uncompressed by this session, through <see cref="IWebSocketSession.Outgoing"/> or
    /// <see cref="IWebSocketSession.SendAsync"/>: the Rx form of <see cref="SendAsync(IWebSocketSession, DataFrame, bool, CancellationToken)"/>
    /// with <c>compress: false</c>, e.g. <c>images.Select(session.Uncompressed).Subscribe(session.Outgoing)</c>.
    /// </summary>
    /// <param name="session">A session created by <see cref="WebSocketSession"/> (or a server session wrapping one).</param>
    /// <param name="message">A Text or Binary frame, or the first fragment of a message (which decides for the whole message).</param>
    /// <returns>
    /// A new frame equal to <paramref name="message"/> (the payload is shared, not copied) that this session sends
    /// with RSV1 clear; other sessions treat it as any frame. <paramref name="message"/> itself when the session has
    /// no extension.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> or <paramref name="message"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="session"/> was not created by <see cref="WebSocketSession"/>.</exception>
    public static DataFrame Uncompressed(this IWebSocketSession session, DataFrame message)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(message);
        if (session is not ISessionCore core)
        {
            throw new ArgumentException("The session was not created by WebSocketSession.", nameof(session));
        }

        return core.Core.MarkUncompressed(message);
    }

    #endregion

    #region + Close +

    /// <summary>
    /// Starts the closing handshake at once (RFC 6455 §7.1.2): a Close with <paramref name="reason"/> follows the frames
    /// already queued, then the session waits for the peer's Close or the close timeout.
    /// </summary>
    /// <param name="session">The session.</param>
    /// <param name="reason">The reason; (1000, "") when null.</param>
    /// <returns><see cref="IWebSocketSession.Closed"/>: the final reason once the session has ended. Closing does not wait for a subscription.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> is null.</exception>
    /// <exception cref="ArgumentException">The reason's code may not be sent (1005, 1006, 1015, undefined).</exception>
    /// <remarks>Closing a session that is already closing or closed changes nothing (the reason is ignored), as in Ktor.</remarks>
    public static IObservable<CloseReason> Close(this IWebSocketSession session, CloseReason? reason = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        _ = session.SendAsync(Frame.Close(reason ?? CloseReason.Normal));
        return session.Closed;
    }

    #endregion

    #region + Run +

    /// <summary>
    /// Runs a handler on the session: subscribes to <paramref name="handler"/>'s result, then starts reading. When the result
    /// completes the session closes with 1000; when it errors (or the handler throws) with 1011 "Internal error" — the
    /// exception text is never sent.
    /// </summary>
    /// <param name="session">The session.</param>
    /// <param name="handler">The handler; its synchronous part runs before reading starts, so it may subscribe to Incoming without missing a frame.</param>
    /// <returns>An observable that runs the handler on subscription and yields the final close reason. Disposing the subscription before the session ends closes it with 1001.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> or <paramref name="handler"/> is null.</exception>
    public static IObservable<CloseReason> Run(this IWebSocketSession session, Func<IWebSocketSession, IObservable<Unit>> handler)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(handler);
        return Observable.Create<CloseReason>(observer =>
        {
            var handling = new SingleAssignmentDisposable();
            // The session's end ends the handler too: no subscription of the handler outlives the session.
            var closed = session.Closed.Subscribe(
                observer.OnNext,
                observer.OnError,
                () =>
                {
                    handling.Dispose();
                    observer.OnCompleted();
                });
            IObservable<Unit> work;
            try
            {
                work = handler(session);
            }
            catch (Exception e)
            {
                work = Observable.Throw<Unit>(e);
            }

            handling.Disposable = work.Subscribe(
                _ => { },
                error => _ = session.SendAsync(Frame.Close(new CloseReason(CloseCode.InternalError, WebSocketSessionBase.InternalErrorMessage))),
                () => _ = session.SendAsync(Frame.Close(CloseReason.Normal)));
            session.Start();
            return Disposable.Create(() =>
            {
                handling.Dispose();
                closed.Dispose();
                if (session.State == WebSocketState.Open)
                {
                    _ = session.SendAsync(Frame.Close(CloseReason.GoingAway));
                }
            });
        });
    }

    /// <summary>
    /// Runs a frame-to-frame handler: <paramref name="handler"/> gets <see cref="IWebSocketSession.Incoming"/> and its
    /// result is sent through <see cref="IWebSocketSession.Outgoing"/> — so its completion closes with 1000 and its error
    /// with 1011 "Internal error". An echo server is <c>session.Run(frames => frames)</c>.
    /// </summary>
    /// <param name="session">The session.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>An observable that runs the handler on subscription and yields the final close reason.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> or <paramref name="handler"/> is null.</exception>
    public static IObservable<CloseReason> Run(this IWebSocketSession session, Func<IObservable<Frame>, IObservable<Frame>> handler)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(handler);
        return session.Run(s => handler(s.Incoming).Do(s.Outgoing.OnNext).IgnoreElements().Select(_ => Unit.Default));
    }

    #endregion

    #region + Views +

    /// <summary>
    /// Reads the incoming frames as an async sequence through a bounded buffer: when <paramref name="bufferCapacity"/>
    /// frames wait unread, the session stops reading the transport (backpressure) until the consumer catches up. Starts
    /// the session when enumeration begins. LINQ-to-async operators (System.Linq.AsyncEnumerable, System.Interactive.Async)
    /// apply as to any <see cref="IAsyncEnumerable{T}"/>.
    /// </summary>
    /// <param name="session">A session created by <see cref="WebSocketSession"/>.</param>
    /// <param name="bufferCapacity">How many frames may wait; at least 1. Default 16.</param>
    /// <param name="cancellationToken">Stops the enumeration (the session goes on).</param>
    /// <returns>The frames Incoming would yield; it ends when Incoming ends, throwing Incoming's error if any.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferCapacity"/> is less than 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="session"/> was not created by <see cref="WebSocketSession"/>.</exception>
    public static IAsyncEnumerable<Frame> ReadAllAsync(this IWebSocketSession session, int bufferCapacity = 16, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferCapacity, 1);
        if (session is not ISessionCore core)
        {
            throw new ArgumentException("The session was not created by WebSocketSession.", nameof(session));
        }

        return ReadAllCore(session, core.Core, bufferCapacity, cancellationToken);
    }

    /// <summary>
    /// The whole messages: Text and Binary frames with fragments reassembled (a raw session's fragments are assembled
    /// here, up to <see cref="FrameLimits.MaxMessageSize"/>; a default session's frames already are whole), control
    /// frames left out.
    /// </summary>
    /// <param name="session">The session.</param>
    /// <returns>One final Text or Binary frame per message; ends as Incoming ends, or with a <see cref="WebSocketProtocolException"/> for bad fragments.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> is null.</exception>
    public static IObservable<DataFrame> Messages(this IWebSocketSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        long max = session is ISessionCore core ? core.Core.MaxMessageSize : FrameLimits.DefaultMaxMessageSize;
        return MessageAssembler.Assemble(session.Incoming, max);
    }

    #endregion

    private static async IAsyncEnumerable<Frame> ReadAllCore(
        IWebSocketSession session, WebSocketSessionBase core, int capacity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<Frame>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var consumer = new ChannelConsumer(channel.Writer);
        using var registration = core.AddConsumer(consumer);
        session.Start();
        await foreach (var frame in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return frame;
        }
    }

    /// <summary>Feeds a bounded channel from the read loop; the read loop waits while the channel is full.</summary>
    /// <remarks>Thread-safety: the read loop calls OnFrameAsync/OnEnd; Dispose may come from the enumerating thread.</remarks>
    private sealed class ChannelConsumer : IAsyncFrameConsumer, IDisposable
    {
        private readonly ChannelWriter<Frame> _writer;
        private readonly CancellationTokenSource _stopped = new();

        public ChannelConsumer(ChannelWriter<Frame> writer) => _writer = writer;

        public async ValueTask OnFrameAsync(Frame frame, CancellationToken cancellationToken)
        {
            if (_writer.TryWrite(frame))
            {
                return;
            }

            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopped.Token);
                await _writer.WriteAsync(frame, linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ChannelClosedException or ObjectDisposedException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // The enumeration stopped (its channel is completed, its token source gone): the frame is not wanted any more.
            }
        }

        public void OnEnd(Exception? error) => _writer.TryComplete(error);

        public void Dispose()
        {
            // The read loop may be waiting on a full channel that nobody reads any more: release it.
            _stopped.Cancel();
            _writer.TryComplete();
            _stopped.Dispose();
        }
    }
}
