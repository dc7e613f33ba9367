using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Benchmarks.Shared;

/// <summary>
/// The stop request of a benchmark peer: SIGTERM (what the benchmark scripts send) or SIGINT (Ctrl+C) cancels
/// <see cref="Token"/> instead of killing the process, so the server shuts down through its own stop path.
/// Linked into every peer project that serves until it is told to stop.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _onTerm;
    private readonly PosixSignalRegistration _onInt;

    public StopSignal()
    {
        _onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        _onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    }

    /// <summary>Cancelled when the process is asked to stop.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Completes when the process is asked to stop.</summary>
    public async Task WaitAsync()
    {
        try
        {
            await Task.Delay(Timeout.Infinite, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _onTerm.Dispose();
        _onInt.Dispose();
        _stop.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        // Asynchronously: run inline, the stop path would dispose this registration inside its own handler, and the
        // runtime would then treat the signal as unhandled (the process ended with SIGTERM's status, 143).
        _ = _stop.CancelAsync();
    }
}
