using Rx.WebSockets.Hosting.Internal;

namespace Rx.WebSockets.Hosting;

/// <summary>The engines an <see cref="EmbeddedServer"/> can run on (Ktor's <c>CIO</c>, <c>Netty</c> ... factories).</summary>
public static class Engines
{
    /// <summary>
    /// The library's own HTTP/1.1 engine on sockets and pipelines (<see cref="Server.HttpServer"/>, Ktor's CIO): no
    /// dependency on ASP.NET Core.
    /// </summary>
    public static IApplicationEngineFactory Cio { get; } = new CioEngineFactory();
}
