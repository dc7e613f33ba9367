using System.Buffers;
using System.Threading.Tasks;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Benchmarks.Shared;

/// <summary>
/// The engine's <c>GET /plaintext</c> handler, the same response as KestrelPeer's: benchmarks/RxPlaintext serves it to
/// wrk (plaintext.sh), and the allocation probe of Rx.WebSockets.Benchmarks serves it in process. The body is written
/// without a flush, so the engine sends it with Content-Length in the same buffer as the head.
/// </summary>
internal static class PlaintextHandler
{
    private static readonly byte[] s_hello = "Hello, World!"u8.ToArray();

    /// <summary>Answers <c>/plaintext</c> with "Hello, World!" as text/plain, anything else with 404.</summary>
    /// <param name="exchange">The request and its response.</param>
    /// <returns>A completed task: the handler never waits.</returns>
    public static ValueTask Handle(HttpExchange exchange)
    {
        var response = exchange.Response;
        if (exchange.Request.Path != "/plaintext")
        {
            response.StatusCode = 404;
            return ValueTask.CompletedTask;
        }

        response.Headers.Add("Content-Type", "text/plain");
        response.Body.Write(s_hello);
        return ValueTask.CompletedTask;
    }
}
