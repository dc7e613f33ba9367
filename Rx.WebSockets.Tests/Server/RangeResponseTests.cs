using System.Buffers;
using System.Globalization;
using System.IO;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Tasks;
using Rx.WebSockets.Http.Ranges;
using Rx.WebSockets.Server;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Server;

/// <summary>RFC 9110 §14.6 multipart/byteranges bodies streamed to a pipe (Ktor's writeMultipleRanges tests).</summary>
public sealed class RangeResponseTests
{
    private static readonly byte[] s_content = Encoding.ASCII.GetBytes("0123456789abcdef");
    private static readonly ByteRange[] s_ranges = { new(1, 3), new(5, 6) };

    [Theory]
    [InlineData(null)]
    [InlineData(99L)]
    public async Task Write_StreamedRanges_SameBytesAsTheSansIoWriter(long? fullLength)
    {
        var expected = new ArrayBufferWriter<byte>();
        MultipartByteRangesWriter.Write(s_ranges, r => s_content.AsMemory((int)r.First, (int)r.Length), fullLength, "B", "text/plain", expected);
        var pipe = new Pipe();

        await MultipleRanges.WriteAsync(pipe.Writer, r => new MemoryStream(s_content, (int)r.First, (int)r.Length), s_ranges, fullLength, "B", "text/plain");
        await pipe.Writer.CompleteAsync();

        var actual = (await pipe.Reader.ReadAsync()).Buffer.ToArray();
        Assert.Equal(Encoding.ASCII.GetString(expected.WrittenSpan), Encoding.ASCII.GetString(actual));
        Assert.Contains("Content-Range: bytes 1-3/" + (fullLength?.ToString(CultureInfo.InvariantCulture) ?? "*"), Encoding.ASCII.GetString(actual), StringComparison.Ordinal);
        Assert.Equal(MultipartByteRangesWriter.ComputeLength(s_ranges, fullLength, "B", "text/plain"), actual.Length);
    }

    [Fact]
    public async Task Write_SeekableStream_RangesInTheGivenOrder()
    {
        var pipe = new Pipe();
        ByteRange[] ranges = { new(5, 6), new(0, 1) };

        await MultipleRanges.WriteAsync(pipe.Writer, new MemoryStream(s_content), ranges, "B", "text/plain");
        await pipe.Writer.CompleteAsync();

        var text = Encoding.ASCII.GetString((await pipe.Reader.ReadAsync()).Buffer.ToArray());
        Assert.Equal(
            "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/16\r\n\r\n56\r\n"
            + "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/16\r\n\r\n01\r\n"
            + "--B--\r\n",
            text);
    }

    [Fact]
    public async Task Write_RangeStreamEndsEarly_Throws()
    {
        var pipe = new Pipe();

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            MultipleRanges.WriteAsync(pipe.Writer, _ => new MemoryStream(new byte[1]), s_ranges, 16, "B", "text/plain"));
    }

    [Fact]
    public async Task RangeRequest_OverTheSocket_206WithExactContentLength()
    {
        await using var server = LoopbackServer.Start(async exchange =>
        {
            var parsed = RangeHeaderParser.Parse(exchange.Request.Headers.Get("Range"), s_content.Length);
            Assert.Equal(RangeParseStatus.Satisfiable, parsed.Status);
            var response = exchange.Response;
            response.StatusCode = 206;
            response.Headers.Add("Content-Type", MultipartByteRangesWriter.GetContentType("B"));
            response.Headers.Add("Content-Length", MultipartByteRangesWriter.ComputeLength(parsed.Ranges, s_content.Length, "B", "text/plain").ToString(CultureInfo.InvariantCulture));
            await MultipleRanges.WriteAsync(response.Body, new MemoryStream(s_content), parsed.Ranges, "B", "text/plain");
        });
        await using var client = await server.ConnectAsync();

        await client.Send("GET /file HTTP/1.1", "Host: x", "Range: bytes=1-3,5-6", "", "");

        var head = await client.ReceiveHead();
        Assert.StartsWith("HTTP/1.1 206 Partial Content\r\n", head, StringComparison.Ordinal);
        var body = "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 1-3/16\r\n\r\n123\r\n"
            + "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/16\r\n\r\n56\r\n--B--\r\n";
        Assert.Contains($"Content-Length: {body.Length}\r\n", head, StringComparison.Ordinal);
        await client.Receive(body);
    }
}
