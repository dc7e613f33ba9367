using System.Globalization;
using System.Threading;
using Rx.WebSockets.Examples.Ticker;
using Rx.WebSockets.Hosting;

int port = 8082;
var period = TimeSpan.FromSeconds(1);
for (int i = 0; i < args.Length; i++)
{
    string value = i + 1 < args.Length ? args[i + 1] : string.Empty;
    switch (args[i])
    {
        case "--port" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535:
        case "--period-ms" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int ms) && ms > 0 && (period = TimeSpan.FromMilliseconds(ms)) > TimeSpan.Zero:
            i++;
            break;
        default:
            Console.Error.WriteLine("Usage: Ticker [--port N (default 8082; 0 picks a free port)] [--period-ms N (default 1000)]");
            return 2;
    }
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var server = EmbeddedServer.Create(
    Engines.Cio, port, "127.0.0.1", parentLifetime: stop.Token, module: app => TickerModule.Configure(app, period));
await server.StartAsync();
Console.WriteLine($"Listening on http://127.0.0.1:{server.LocalEndPoints[0].Port}");
await server.Completion;
return 0;
