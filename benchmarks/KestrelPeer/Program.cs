using System.Globalization;
using System.Net;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

// Kestrel with nothing in front of it: one terminal middleware, no routing, no logging, no Server header, so that
// each response carries the same fields as RxPlaintext's (Date, Content-Type, Content-Length).
int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5080;
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(options =>
{
    options.AddServerHeader = false;
    options.Listen(IPAddress.Loopback, port);
});

var app = builder.Build();
byte[] hello = "Hello, World!"u8.ToArray();
app.Run(async context =>
{
    var response = context.Response;
    if (context.Request.Path != "/plaintext")
    {
        response.StatusCode = StatusCodes.Status404NotFound;
        return;
    }

    response.ContentType = "text/plain";
    response.ContentLength = hello.Length;
    await response.Body.WriteAsync(hello);
});

Console.WriteLine($"KestrelPeer listening on http://127.0.0.1:{port}/plaintext");
app.Run();
