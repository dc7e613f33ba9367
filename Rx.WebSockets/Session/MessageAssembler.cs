using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Reactive.Linq;
using Rx.WebSockets.Internal;

namespace Rx.WebSockets.Session;

/// <summary>
/// Reassembles fragmented messages (RFC 6455 §5.4) into one final frame with the first fragment's type and RSV bits
/// and the concatenated payload (Ktor's defragmentation), enforcing <see cref="FrameLimits.MaxMessageSize"/>.
/// </summary>
/// <remarks>
/// Fragments are copied into a buffer rented from <see cref="ArrayPool{T}.Shared"/>; the finished message gets an
/// array of its exact size (frames own their payload), and the rented buffer goes back to the pool. Unfragmented
/// frames pass through without a copy. Control frames are not given to the assembler: they may arrive between
/// fragments (§5.4: "Control frames ... MAY be injected in the middle of a fragmented message") and are handled apart.
/// Thread-safety: not thread-safe; owned by the read loop.
/// </remarks>
internal sealed class MessageAssembler : IDisposable
{
    private readonly long _maxMessageSize;
    private DataFrame? _first;
    private byte[]? _buffer;
    private int _length;

    public MessageAssembler(long maxMessageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageSize, 1);
        _maxMessageSize = Math.Min(maxMessageSize, FrameLimits.MaxSupportedSize);
    }

    /// <summary>Whether fragments of an unfinished message are buffered.</summary>
    public bool IsMessageInProgress => _first is not null;

    /// <summary>
    /// Adds a Text, Binary or Continuation frame. When it completes a message, returns true with the whole message.
    /// </summary>
    /// <exception cref="FrameTooBigException">The message would exceed the limit (1009).</exception>
    /// <exception cref="WebSocketProtocolException">The fragments are out of order (1002).</exception>
    public bool TryAdd(DataFrame frame, [NotNullWhen(true)] out DataFrame? message)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Opcode == Opcode.Continuation)
        {
            if (_first is null)
            {
                // RFC 6455 §5.4: a continuation frame is only valid after "a single frame with the FIN bit clear and an
                // opcode other than 0".
                ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "Continuation frame without a message to continue.");
            }

            Append(frame.Payload.Span);
            if (!frame.IsFinal)
            {
                message = null;
                return false;
            }

            var payload = _buffer.AsSpan(0, _length).ToArray();
            message = (DataFrame)Frame.Create(_first.Opcode, isFinal: true, _first.Rsv1, _first.Rsv2, _first.Rsv3, payload);
            Reset();
            return true;
        }

        if (_first is not null)
        {
            // RFC 6455 §5.4: "the fragments of one message MUST NOT be interleaved between the fragments of another message".
            ThrowHelper.ThrowProtocolError(CloseCode.ProtocolError, "New data frame inside a fragmented message.");
        }

        if (frame.IsFinal)
        {
            if (frame.Payload.Length > _maxMessageSize)
            {
                ThrowHelper.ThrowTooBig(frame.Payload.Length, _maxMessageSize);
            }

            message = frame;
            return true;
        }

        _first = frame;
        Append(frame.Payload.Span);
        message = null;
        return false;
    }

    /// <summary>Drops a partial message and returns its buffer to the pool.</summary>
    public void Reset()
    {
        _first = null;
        _length = 0;
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => Reset();

    /// <summary>
    /// The assembler as an operator over a frame stream: whole Text/Binary messages out, control frames dropped, errors for
    /// out-of-order fragments or oversized messages.
    /// </summary>
    public static IObservable<DataFrame> Assemble(IObservable<Frame> frames, long maxMessageSize) =>
        Observable.Create<DataFrame>(observer =>
        {
            var assembler = new MessageAssembler(maxMessageSize);
            var subscription = frames.Subscribe(
                frame =>
                {
                    if (frame is not DataFrame data)
                    {
                        return;
                    }

                    DataFrame? message;
                    try
                    {
                        if (!assembler.TryAdd(data, out message))
                        {
                            return;
                        }
                    }
                    catch (WebSocketProtocolException e)
                    {
                        assembler.Reset();
                        observer.OnError(e);
                        return;
                    }

                    observer.OnNext(message);
                },
                observer.OnError,
                observer.OnCompleted);
            // The assembler is not disposed here: disposal may race with a frame being appended on the source's thread,
            // and a rented buffer that is never returned is simply collected.
            return subscription;
        });

    private void Append(ReadOnlySpan<byte> fragment)
    {
        long total = (long)_length + fragment.Length;
        if (total > _maxMessageSize)
        {
            Reset();
            ThrowHelper.ThrowTooBig(total, _maxMessageSize);
        }

        if (_buffer is null || total > _buffer.Length)
        {
            // Grow geometrically but never past the limit, so a message at the limit needs no array larger than it.
            int size = (int)Math.Min(Math.Max(total, Math.Max(256L, (_buffer?.Length ?? 0) * 2L)), _maxMessageSize);
            var bigger = ArrayPool<byte>.Shared.Rent(size);
            if (_buffer is { } old)
            {
                old.AsSpan(0, _length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(old);
            }

            _buffer = bigger;
        }

        fragment.CopyTo(_buffer.AsSpan(_length));
        _length = (int)total;
    }
}
