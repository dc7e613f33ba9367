using System.Threading.Tasks;

namespace Rx.WebSockets.Server.Internal;

/// <summary>What <see cref="HttpServer"/> needs from a connection it accepted: run it, stop it politely, cut it.</summary>
/// <remarks>Thread-safety: <see cref="RequestStop"/> and <see cref="Abort"/> may be called from any thread while <see cref="RunAsync"/> runs.</remarks>
internal interface IServerConnection
{
    /// <summary>Serves the connection until it ends; the transport is disposed when the task completes.</summary>
    /// <returns>A task that completes (never faults) when the connection is closed.</returns>
    Task RunAsync();

    /// <summary>Graceful shutdown: finish the requests in flight, start no new one, then close.</summary>
    void RequestStop();

    /// <summary>Hard shutdown: close the connection now.</summary>
    void Abort();
}
