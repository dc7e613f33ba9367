using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Rx.WebSockets.Examples.Chat;
using Rx.WebSockets.Hosting;

// The generic host reads `--port N` (and `--port=N`) from the command line into its configuration.
var builder = Host.CreateApplicationBuilder(args);
int port = builder.Configuration.GetValue("port", 8081);
if (port is < 0 or > 65535)
{
    Console.Error.WriteLine("Usage: Chat [--port N]   (N between 0 and 65535; 0 picks a free port)");
    return 2;
}

// Logs go to stderr, so that stdout carries only the Listening line that scripts and tests wait for.
builder.Logging.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Services
    .AddSingleton<ChatRooms>()
    .AddRxWebSockets()
    .AddEmbeddedServer(
        server =>
        {
            server.Host = "127.0.0.1";
            server.Port = port;
        },
        app => ChatModule.Configure(app));

using var host = builder.Build();
await host.StartAsync();
var endPoint = host.Services.GetRequiredService<EmbeddedServer>().LocalEndPoints[0];
Console.WriteLine($"Listening on http://{endPoint.Address}:{endPoint.Port}");
await host.WaitForShutdownAsync();
return 0;
