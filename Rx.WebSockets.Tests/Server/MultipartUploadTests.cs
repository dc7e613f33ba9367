using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Multipart;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.TestSupport;
using static Rx.WebSockets.Tests.Server.PipeliningTests;

namespace Rx.WebSockets.Tests.Server;

/// <summary>RFC 2046 §5.1.1 / RFC 7578 multipart bodies read as async events (Ktor's parseMultipart).</summary>
public sealed class MultipartUploadTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private const string Body =
        "preamble\r\n"
        + "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue-a\r\n"
        + "--B\r\nContent-Type: text/plain\r\n\r\nline1\r\nline2\r\n"
        + "--B--\r\nepilogue";

    [Fact]
    public async Task Parse_PreamblePartsEpilogue_AreReportedInOrder()
    {
        var events = await ReadAllAsync(PipeReader.Create(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Body))));

        Assert.Equal(
            new[] { "preamble: preamble", "part 0 [Content-Disposition=form-data; name=\"a\"]: value-a", "part 1 [Content-Type=text/plain]: line1\r\nline2", "epilogue: epilogue" },
            events);
    }

    [Fact]
    public async Task Parse_InputArrivingOneByteAtATime_SameEvents()
    {
        var pipe = new Pipe();
        var writing = Task.Run(async () =>
        {
            foreach (byte b in Encoding.ASCII.GetBytes(Body))
            {
                await pipe.Writer.WriteAsync(new[] { b });
            }

            await pipe.Writer.CompleteAsync();
        });

        var events = await ReadAllAsync(pipe.Reader);
        await writing.WaitAsync(s_timeout);

        Assert.Equal(4, events.Count);
        Assert.Equal("part 1 [Content-Type=text/plain]: line1\r\nline2", events[2]);
    }

    [Fact]
    public async Task Parse_PartNotRead_IsReleasedByTheNextEvent_AndCannotBeReadAfterwards()
    {
        var input = PipeReader.Create(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Body)));
        var parts = new List<MultipartPart>();
        await foreach (var e in Multipart.ParseAsync(input, "multipart/form-data; boundary=B").WithCancellation(default))
        {
            if (e is MultipartPart part)
            {
                parts.Add(part);
            }
        }

        Assert.Equal(2, parts.Count);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await parts[0].Body.ReadAsync());
    }

    [Fact]
    public async Task Parse_MissingCloseDelimiter_Throws()
    {
        var input = PipeReader.Create(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("--B\r\n\r\nunterminated")));

        await Assert.ThrowsAsync<MultipartException>(() => ReadAllAsync(input));
    }

    [Fact]
    public void Parse_ContentTypeNotMultipart_ThrowsAtOnce()
    {
        var input = PipeReader.Create(ReadOnlySequence<byte>.Empty);

        Assert.Throws<MultipartException>(() => Multipart.ParseAsync(input, "text/plain"));
        Assert.Throws<MultipartException>(() => Multipart.ParseAsync(input, new HttpHeaders()));
    }

    [Fact]
    public async Task Upload_FormDataOverTheSocket_HandlerStreamsEachPart()
    {
        await using var server = LoopbackServer.Start(async exchange =>
        {
            var summary = new StringBuilder();
            await foreach (var e in Multipart.ParseAsync(exchange.Body, exchange.Request.Headers))
            {
                if (e is MultipartPart part)
                {
                    var disposition = ContentDisposition.Parse(part.Headers.Get("Content-Disposition")!);
                    summary.Append($"{disposition.Name}={await ReadBodyAsync(part.Body)};");
                }
            }

            exchange.Response.Write(summary.ToString());
        });
        await using var client = await server.ConnectAsync();
        var body = "--xyz\r\nContent-Disposition: form-data; name=\"user\"\r\n\r\nann\r\n"
            + "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile contents\r\n"
            + "--xyz--\r\n";

        await client.Send(
            "POST /upload HTTP/1.1", "Host: x", "Content-Type: multipart/form-data; boundary=xyz", "Transfer-Encoding: chunked", "",
            body.Length.ToString("x", System.Globalization.CultureInfo.InvariantCulture), body, "0", "", "");

        await client.Receive("HTTP/1.1 200 OK", LoopbackServer.Date, "Content-Length: 28", "", "user=ann;file=file contents;");
    }

    private static async Task<List<string>> ReadAllAsync(PipeReader input)
    {
        var events = new List<string>();
        await foreach (var e in Multipart.ParseAsync(input, "multipart/mixed; boundary=B"))
        {
            events.Add(e switch
            {
                MultipartPreamble p => "preamble: " + Encoding.ASCII.GetString(p.Body.Span),
                MultipartEpilogue p => "epilogue: " + Encoding.ASCII.GetString(p.Body.Span),
                MultipartPart p => $"part {p.Index} [{string.Join(",", Headers(p.Headers))}]: {await ReadBodyAsync(p.Body)}",
                _ => throw new InvalidOperationException(),
            });
        }

        return events;
    }

    private static IEnumerable<string> Headers(HttpHeaders headers)
    {
        foreach (var (name, value) in headers)
        {
            yield return $"{name}={value}";
        }
    }
}
