using System.Diagnostics.CodeAnalysis;

namespace Rx.WebSockets.Protocol;

/// <summary>
/// The closing handshake of RFC 6455 §7 as a pure state machine: the read loop reports the peer's Close and the end of
/// the stream, the application starts closing or fails the connection, a timer reports the close timeout, and each call
/// answers with the frame to send and a <see cref="CloseDecision"/>. It never touches a transport or a clock.
/// </summary>
/// <remarks>
/// <para>
/// Which reason is reported (<see cref="Result"/>): the peer's reason when the peer closed first ("The WebSocket
/// Connection Close Code is defined as the status code contained in the first Close control frame received", RFC 6455
/// §7.1.5; an empty Close reports 1005 No Status Received); the peer's reply when this endpoint closed first, or this
/// endpoint's own reason if that reply was empty; the failure reason when the connection was failed (§7.1.7); and 1006
/// when the transport ended, or the close timeout expired, before the handshake completed (§7.1.5: "If _The WebSocket
/// Connection is Closed_ and no Close control frame was received ... the close code is considered to be 1006").
/// </para>
/// <para>
/// Thread-safety: every member is thread-safe. The read loop (<see cref="OnCloseReceived"/>, <see cref="OnEndOfStream"/>),
/// application threads (<see cref="TryStartClosing"/>, <see cref="TryFail"/>) and timer callbacks
/// (<see cref="OnCloseTimeout"/>) may call concurrently; each transition happens under one lock, so exactly one caller
/// wins each race (for example, a Close received while the application starts closing yields either a reply or a
/// completed handshake, never both).
/// </para>
/// </remarks>
public sealed class CloseHandshake
{
    /// <summary>The message reported with 1006 when the transport ended without a Close frame (Ktor's wording).</summary>
    public const string EndOfStreamMessage = "Connection was closed without close frame";

    /// <summary>The message reported with 1006 when the peer did not answer our Close within the close timeout.</summary>
    public const string CloseTimeoutMessage = "Close timeout";

    private readonly object _gate = new();
    private ProtocolState _state;
    private CloseReason? _sent;
    private CloseReason? _received;
    private CloseReason? _result;
    private bool _failed;

    /// <summary>The current state.</summary>
    public ProtocolState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The reason in the Close frame this endpoint sent or decided to send; null while none.</summary>
    public CloseReason? Sent
    {
        get
        {
            lock (_gate)
            {
                return _sent;
            }
        }
    }

    /// <summary>The reason in the peer's Close frame; null while none arrived, or when it had an empty payload.</summary>
    public CloseReason? Received
    {
        get
        {
            lock (_gate)
            {
                return _received;
            }
        }
    }

    /// <summary>The reason to report for the connection (see the remarks of <see cref="CloseHandshake"/>); null while undecided.</summary>
    public CloseReason? Result
    {
        get
        {
            lock (_gate)
            {
                return _result;
            }
        }
    }

    /// <summary>Whether the connection was failed (RFC 6455 §7.1.7) rather than closed by a handshake.</summary>
    public bool IsFailed
    {
        get
        {
            lock (_gate)
            {
                return _failed;
            }
        }
    }

    /// <summary>
    /// "Start the WebSocket Closing Handshake" (RFC 6455 §7.1.2): decides to send a Close frame with <paramref name="reason"/>
    /// and to wait for the peer's. After a <see langword="true"/> return the caller must send <paramref name="frame"/>, stop
    /// sending data frames, and arm the close timeout.
    /// </summary>
    /// <param name="reason">The reason to send; its code must be sendable (<see cref="CloseCode.IsSendable"/>).</param>
    /// <param name="frame">The Close frame to send when this call starts the handshake; otherwise null.</param>
    /// <returns><see langword="true"/> when the connection was open; <see langword="false"/> when a Close was already sent or received.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reason"/> is null.</exception>
    /// <exception cref="ArgumentException">The code of <paramref name="reason"/> must not be sent (1005, 1006, 1015, undefined).</exception>
    public bool TryStartClosing(CloseReason reason, [NotNullWhen(true)] out CloseFrame? frame)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var candidate = Frame.Close(reason); // validates the code before any state changes
        lock (_gate)
        {
            // RFC 6455 §5.5.1: "An endpoint MAY send a Close frame ... at most once" is implied by "after sending a Close
            // frame, the endpoint MUST NOT send any further data frames"; a second Close is never produced.
            if (_state != ProtocolState.Open)
            {
                frame = null;
                return false;
            }

            _state = ProtocolState.CloseSent;
            _sent = reason;
            frame = candidate;
            return true;
        }
    }

    /// <summary>
    /// "Fail the WebSocket Connection" (RFC 6455 §7.1.7): the connection ends with <paramref name="reason"/> without waiting
    /// for the peer. After a <see langword="true"/> return the caller must send <paramref name="frame"/> when it is not null,
    /// stop reading ("MUST NOT continue to attempt to process data (including a responding Close frame)"), and close the
    /// transport once the frame is written.
    /// </summary>
    /// <param name="reason">The failure reason, e.g. 1002, 1007, 1008, 1009 or 1011 with a short fixed message.</param>
    /// <param name="frame">The Close frame to send; null when this endpoint had already sent one.</param>
    /// <returns><see langword="true"/> when this call failed the connection; <see langword="false"/> when it had already ended or the peer's Close is being answered.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reason"/> is null.</exception>
    /// <exception cref="ArgumentException">The code of <paramref name="reason"/> must not be sent.</exception>
    public bool TryFail(CloseReason reason, out CloseFrame? frame)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var candidate = Frame.Close(reason);
        lock (_gate)
        {
            switch (_state)
            {
                case ProtocolState.Open:
                    // RFC 6455 §7.1.7: "the endpoint SHOULD send a Close frame with an appropriate status code".
                    _sent = reason;
                    frame = candidate;
                    break;
                case ProtocolState.CloseSent:
                    // Our Close is already on its way; a second one is never sent.
                    frame = null;
                    break;
                default:
                    frame = null;
                    return false;
            }

            _state = ProtocolState.Closed;
            _result = reason;
            _failed = true;
            return true;
        }
    }

    /// <summary>
    /// Processes the peer's Close frame (RFC 6455 §5.5.1, §7.1.3 "The WebSocket Closing Handshake is Started").
    /// </summary>
    /// <param name="reason">The reason in the peer's Close frame, or null for an empty payload.</param>
    /// <param name="reply">With <see cref="CloseDecision.Reply"/>: the Close frame to answer with; otherwise null.</param>
    /// <returns>
    /// <see cref="CloseDecision.Reply"/> when the peer closed first; <see cref="CloseDecision.CloseTransport"/> when it
    /// answered our Close; <see cref="CloseDecision.None"/> when the connection had already ended.
    /// </returns>
    public CloseDecision OnCloseReceived(CloseReason? reason, out CloseFrame? reply)
    {
        lock (_gate)
        {
            reply = null;
            switch (_state)
            {
                case ProtocolState.Open:
                    // RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close frame, the
                    // endpoint MUST send a Close frame in response. (When sending a Close frame in response, the endpoint
                    // typically echos the status code it received.)" An empty Close is answered with 1000; a code that may
                    // not appear on the wire (the decoder rejects those) could not be echoed, so it is answered with 1000 too.
                    var echo = reason is { } r && r.Code.IsSendable ? r : CloseReason.Normal;
                    reply = Frame.Close(echo);
                    _state = ProtocolState.CloseReceived;
                    _received = reason;
                    _sent = echo;
                    // RFC 6455 §7.1.5 / §7.4.1: an empty Close means "no status code was actually present" (1005).
                    _result = reason ?? new CloseReason(CloseCode.NoStatusReceived);
                    return CloseDecision.Reply;
                case ProtocolState.CloseSent:
                    // RFC 6455 §7.1.1 / §7.1.4: both Close frames exchanged, "The WebSocket Closing Handshake is Started"
                    // and completed; the transport may now be closed.
                    _state = ProtocolState.Closed;
                    _received = reason;
                    _result = reason ?? _sent;
                    return CloseDecision.CloseTransport;
                default:
                    return CloseDecision.None;
            }
        }
    }

    /// <summary>
    /// Processes the end of the incoming stream (the peer closed or reset the transport).
    /// </summary>
    /// <returns>
    /// <see cref="CloseDecision.Abnormal"/> when no Close frame had been received (the result is 1006, or the failure
    /// reason when the connection had been failed); <see cref="CloseDecision.None"/> after the peer's Close, whose reason
    /// stays the result.
    /// </returns>
    public CloseDecision OnEndOfStream()
    {
        lock (_gate)
        {
            switch (_state)
            {
                case ProtocolState.Open:
                case ProtocolState.CloseSent:
                    // RFC 6455 §7.1.5: no Close control frame was received, so the close code is 1006.
                    _state = ProtocolState.Closed;
                    _result = new CloseReason(CloseCode.ClosedAbnormally, EndOfStreamMessage);
                    return CloseDecision.Abnormal;
                case ProtocolState.Closed when _failed:
                    return CloseDecision.Abnormal;
                default:
                    return CloseDecision.None;
            }
        }
    }

    /// <summary>
    /// Processes the expiry of the close timeout, armed when this endpoint started closing, answered the peer's Close
    /// or failed the connection.
    /// </summary>
    /// <returns>
    /// <see cref="CloseDecision.Abnormal"/> when the handshake had not completed — the caller must close the transport now
    /// (the result is 1006 when the peer never answered our Close; it stays the peer's reason, or the failure reason,
    /// when only our own Close could not be written in time); <see cref="CloseDecision.None"/> when it had completed.
    /// </returns>
    public CloseDecision OnCloseTimeout()
    {
        lock (_gate)
        {
            switch (_state)
            {
                case ProtocolState.CloseSent:
                    // RFC 6455 §7.1.1 lets an endpoint close the connection when the peer does not answer; no Close was
                    // received, so the close code is 1006 (§7.1.5).
                    _state = ProtocolState.Closed;
                    _result = new CloseReason(CloseCode.ClosedAbnormally, CloseTimeoutMessage);
                    return CloseDecision.Abnormal;
                case ProtocolState.CloseReceived:
                    _state = ProtocolState.Closed;
                    return CloseDecision.Abnormal;
                case ProtocolState.Closed when _failed:
                    return CloseDecision.Abnormal;
                default:
                    return CloseDecision.None;
            }
        }
    }

    /// <summary>
    /// Records that the transport is closed (both loops ended): moves a handshake still in progress to
    /// <see cref="ProtocolState.Closed"/> and returns the reason to report.
    /// </summary>
    /// <returns>The final result; 1006 when nothing had decided one.</returns>
    public CloseReason OnTransportClosed()
    {
        lock (_gate)
        {
            if (_result is null)
            {
                // The transport ended in some way that reported neither a Close nor the end of the stream (a write error,
                // a cancelled read): by RFC 6455 §7.1.5 that is still "closed without a Close control frame".
                _result = new CloseReason(CloseCode.ClosedAbnormally, EndOfStreamMessage);
            }

            _state = ProtocolState.Closed;
            return _result;
        }
    }
}
