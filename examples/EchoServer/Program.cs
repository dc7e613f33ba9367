using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Rx.WebSockets.Examples.EchoServer;
using Rx.WebSockets.Hosting;

if (Array.Exists(args, a => a is "--help" or "-h"))
{
    Console.WriteLine(EchoServerOptions.Usage);
    return 0;
}

EchoServerOptions options;
try
{
    options = EchoServerOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(EchoServerOptions.Usage);
    return 2;
}

// Ctrl+C and SIGTERM stop the server gracefully: sessions get Close 1001, responses in flight finish.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

// Logs go to stderr, so that stdout carries only the Listening line that scripts and tests wait for.
await using var services = new ServiceCollection()
    .AddLogging(logging => logging
        .AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        })
        .AddFilter("Rx.WebSockets", LogLevel.Information))
    .Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
    .AddRxWebSockets()
    .BuildServiceProvider();

await using var server = EmbeddedServer.Create(
    Engines.Cio,
    options.Port,
    options.Host,
    parentLifetime: stop.Token,
    configure: settings => EchoModule.ConfigureServer(settings, options),
    services: services,
    module: app => EchoModule.Configure(app, options));
await server.StartAsync();

string host = options.Host.Contains(':', StringComparison.Ordinal) ? $"[{options.Host}]" : options.Host;
Console.WriteLine($"Listening on {(options.TlsCertificate is null ? "http" : "https")}://{host}:{server.LocalEndPoints[0].Port}");
await server.Completion;
return 0;
