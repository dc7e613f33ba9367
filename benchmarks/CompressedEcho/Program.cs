using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Benchmarks.CompressedEcho;

// benchmarks/compressed-echo.sh runs this program in two roles:
//   server PORT                                   Rx.WebSockets' echo with permessage-deflate on ws://127.0.0.1:PORT/echo-deflate
//   client PORT PATH CONNECTIONS WARMUP_S MEASURE_S   the load driver, against either server
if (args.Length >= 2 && args[0] == "server")
{
    await EchoServer.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture));
    return 0;
}

if (args.Length >= 6 && args[0] == "client")
{
    var settings = new DriverSettings(
        Port: int.Parse(args[1], CultureInfo.InvariantCulture),
        Path: args[2],
        Connections: int.Parse(args[3], CultureInfo.InvariantCulture),
        Warmup: TimeSpan.FromSeconds(double.Parse(args[4], CultureInfo.InvariantCulture)),
        Measure: TimeSpan.FromSeconds(double.Parse(args[5], CultureInfo.InvariantCulture)));
    using var cancel = new CancellationTokenSource(settings.Warmup + settings.Measure + TimeSpan.FromSeconds(60));
    var result = await Driver.RunAsync(settings, cancel.Token);
    Console.WriteLine(result.ToLine());
    return 0;
}

Console.Error.WriteLine("usage: CompressedEcho server PORT | client PORT PATH CONNECTIONS WARMUP_SECONDS MEASURE_SECONDS");
return 2;
