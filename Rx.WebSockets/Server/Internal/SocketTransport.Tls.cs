using System.Diagnostics;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// The TLS pumps of a <see cref="SocketTransport"/>: the same pipes, filled and drained through an
/// <see cref="SslStream"/> over the socket once the handshake has completed.
/// </summary>
/// <remarks>
/// Separate loops rather than a stream under the plaintext ones: a connection without TLS keeps its pumps on the socket
/// itself, with no stream object and no extra call per read or send. A failed or timed-out handshake closes the socket
/// (a FIN, not a reset: nothing was exchanged that could be mistaken for a complete response) and completes
/// <see cref="SocketTransport.Input"/> with an <see cref="IOException"/>, which the connection treats as a peer that
/// went away; nothing is reported as an error, since any client can cause it.
/// </remarks>
internal sealed partial class SocketTransport
{
    private readonly TlsOptions? _tls;
    private readonly TimeProvider _time;
    private Task<bool> _handshake = Task.FromResult(true);
    private CancellationTokenSource? _handshakeCancel;
    private SslStream? _ssl;

    /// <summary>The ALPN protocol the TLS handshake selected; default when TLS is off or the handshake has not completed.</summary>
    public SslApplicationProtocol NegotiatedApplicationProtocol =>
        _handshake.IsCompletedSuccessfully && _handshake.Result ? _ssl!.NegotiatedApplicationProtocol : default;

    private void StartTls(TlsOptions tls)
    {
        _handshakeCancel = new CancellationTokenSource();
        _handshake = Task.Run(() => HandshakeAsync(tls, _handshakeCancel.Token));
        _receiving = Task.Run(TlsReceiveLoopAsync);
        _sending = Task.Run(TlsSendLoopAsync);
    }

    private async Task<bool> HandshakeAsync(TlsOptions tls, CancellationToken cancelled)
    {
        using var timeout = tls.HandshakeTimeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(tls.HandshakeTimeout, _time);
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancelled);
        try
        {
            var ssl = new SslStream(new NetworkStream(_socket, ownsSocket: false), leaveInnerStreamOpen: false);
            Volatile.Write(ref _ssl, ssl);
            await ssl.AuthenticateAsServerAsync(tls.AuthenticationOptions, linked?.Token ?? cancelled).ConfigureAwait(false);
            return true;
        }
        catch (Exception)
        {
            // A plaintext client, a scanner, an expired timeout, a client distrusting the certificate, no common
            // protocol or cipher (RFC 8446 §6.2 alerts), or the connection closed meanwhile: each costs only itself.
            Interlocked.Exchange(ref _aborted, 1);
            _socket.Dispose();
            return false;
        }
    }

    private void CancelHandshake()
    {
        if (_handshakeCancel is { } cancel && !_handshake.IsCompleted)
        {
            try
            {
                cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void DisposeTls()
    {
        _ssl?.Dispose();
        _handshakeCancel?.Dispose();
    }

    private async Task TlsReceiveLoopAsync()
    {
        var writer = _input.Writer;
        Exception? error = null;
        try
        {
            if (!await _handshake.ConfigureAwait(false))
            {
                error = new IOException("The TLS handshake failed.");
                return;
            }

            var ssl = _ssl!;
            while (true)
            {
                // SslStream passes a zero-byte read through to the socket once its own buffer is empty: idle
                // connections hold no pooled memory here either.
                await ssl.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                var memory = writer.GetMemory(SocketTransportOptions.MinimumReadSize);
                int received = await ssl.ReadAsync(memory).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                writer.Advance(received);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            if (IsAborted)
            {
                error = new IOException("The connection was aborted.", e);
            }
            else if (Volatile.Read(ref _disposing) == 0)
            {
                error = new IOException("The connection was reset by the peer or its TLS stream failed.", e);
                Abort();
            }
        }
        finally
        {
            await writer.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    private async Task TlsSendLoopAsync()
    {
        var reader = _output.Reader;
        Exception? error = null;
        try
        {
            if (!await _handshake.ConfigureAwait(false))
            {
                // The application's flushes now report completion: nothing it writes can reach the peer.
                error = new IOException("The TLS handshake failed.");
                return;
            }

            var ssl = _ssl!;
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
                foreach (var segment in buffer)
                {
                    await ssl.WriteAsync(segment).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    // RFC 8446 §6.1: "Each party MUST send a "close_notify" alert before closing its write side of
                    // the connection", so the peer can tell a complete stream from a truncation; then the FIN.
                    await ssl.ShutdownAsync().ConfigureAwait(false);
                    _socket.Shutdown(SocketShutdown.Send);
                    break;
                }
            }
        }
        catch (Exception e)
        {
            error = e;
            Abort();
        }
        finally
        {
            await reader.CompleteAsync(error).ConfigureAwait(false);
        }
    }
}
