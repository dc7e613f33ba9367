using System.Threading.Tasks;

namespace Rx.WebSockets.Server;

/// <summary>
/// Handles one HTTP request of an <see cref="HttpServer"/> (Ktor's CIO <c>HttpRequestHandler</c>): read
/// <see cref="HttpExchange.Request"/> and <see cref="HttpExchange.Body"/>, set and write <see cref="HttpExchange.Response"/>.
/// </summary>
/// <param name="exchange">The request and its response.</param>
/// <returns>A task that completes when the handler is done; the response is then completed for it.</returns>
/// <remarks>
/// Pipelined safe requests (GET, HEAD, OPTIONS, TRACE without a body) may be handled concurrently on one connection;
/// their responses still leave in request order. A handler that throws before its response started produces a
/// <c>500 Internal Server Error</c> without the exception text; after it started, the connection is aborted so that
/// the client cannot take a truncated response for a complete one.
/// Handlers start on the connection's read loop: a handler's synchronous part runs before the next pipelined request
/// on that connection is looked at, so long synchronous work delays the requests behind it — await, or offload
/// CPU-bound work, to let them proceed.
/// </remarks>
public delegate ValueTask HttpRequestHandler(HttpExchange exchange);
