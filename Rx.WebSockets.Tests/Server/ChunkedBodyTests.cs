using System.Buffers;
using System.IO;
using System.IO.Pipelines;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Body;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Tests.Server;

/// <summary>RFC 9112 §7.1 Chunked Transfer Coding, decoded from a pipe (Ktor's decodeChunked tests).</summary>
public sealed class ChunkedBodyTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Decode_OneChunk_YieldsItsData()
    {
        var (decoded, _, rest) = await DecodeAsync("3\r\na=1\r\n0\r\n\r\n");

        Assert.Equal("a=1", decoded);
        Assert.Equal(string.Empty, rest);
    }

    [Fact]
    public async Task Decode_SeveralChunksAndExtensions_AreConcatenated_ExtensionsIgnored()
    {
        var (decoded, _, _) = await DecodeAsync("5;name=\"quoted;value\"\r\nhello\r\n1\r\n \r\n5;x\r\nworld\r\n0\r\n\r\n");

        Assert.Equal("hello world", decoded);
    }

    [Fact]
    public async Task Decode_BytesAfterTheBody_StayUnread()
    {
        var (decoded, _, rest) = await DecodeAsync("1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n");

        Assert.Equal("x", decoded);
        Assert.Equal("GET / HTTP/1.1\r\n", rest);
    }

    [Fact]
    public async Task Decode_Trailers_AreReturned()
    {
        var (_, trailers, _) = await DecodeAsync("1\r\nx\r\n0\r\nX-Sum: 7\r\n\r\n");

        Assert.Equal("7", trailers.Get("X-Sum"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("0\r\n")]
    [InlineData("3\r\nab")]
    [InlineData("3\r\nabc\r\n")]
    public async Task Decode_InputEndsBeforeTheLastChunk_Throws(string encoded)
    {
        // Stricter than Ktor, which accepts an input that ends at a chunk boundary: such a body was cut short.
        await Assert.ThrowsAsync<IOException>(() => DecodeAsync(encoded));
    }

    [Theory]
    [InlineData("x\r\n")]
    [InlineData("3\r\nabcX\r\n0\r\n\r\n")]
    [InlineData("3\nabc\r\n0\r\n\r\n")]
    public async Task Decode_MalformedFraming_Throws400(string encoded)
    {
        var e = await Assert.ThrowsAsync<HttpRequestRejectedException>(() => DecodeAsync(encoded));

        Assert.Equal(400, e.StatusCode);
    }

    [Fact]
    public async Task Decode_EncoderOutput_RoundTripsAcrossSmallSegments()
    {
        var content = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 31)).ToArray();
        var encoded = new ArrayBufferWriter<byte>();
        for (int offset = 0; offset < content.Length; offset += 7919)
        {
            ChunkedEncoder.WriteChunk(content.AsSpan(offset, Math.Min(7919, content.Length - offset)), encoded);
        }

        ChunkedEncoder.WriteLastChunk(encoded);
        var pipe = new Pipe();
        var writing = Task.Run(async () =>
        {
            // Feed the encoded body in 1000-byte writes, so chunk lines and data straddle reads.
            for (int offset = 0; offset < encoded.WrittenCount; offset += 1000)
            {
                await pipe.Writer.WriteAsync(encoded.WrittenMemory.Slice(offset, Math.Min(1000, encoded.WrittenCount - offset)));
            }

            await pipe.Writer.CompleteAsync();
        });
        using var output = new MemoryStream();

        await ChunkedBody.DecodeAsync(pipe.Reader, output, HttpLimits.Default).WaitAsync(s_timeout);
        await writing.WaitAsync(s_timeout);

        Assert.Equal(content, output.ToArray());
    }

    [Fact]
    public async Task Decode_ArgumentChecking()
    {
        var pipe = new Pipe();
        await Assert.ThrowsAsync<ArgumentNullException>(() => ChunkedBody.DecodeAsync(null!, pipe.Writer, HttpLimits.Default));
        await Assert.ThrowsAsync<ArgumentNullException>(() => ChunkedBody.DecodeAsync(pipe.Reader, (PipeWriter)null!, HttpLimits.Default));
        await Assert.ThrowsAsync<ArgumentNullException>(() => ChunkedBody.DecodeAsync(pipe.Reader, pipe.Writer, null!));
    }

    private static async Task<(string Decoded, HttpHeaders Trailers, string After)> DecodeAsync(string encoded)
    {
        var input = PipeReader.Create(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(encoded)));
        var output = new Pipe();
        var trailers = await ChunkedBody.DecodeAsync(input, output.Writer, HttpLimits.Default).WaitAsync(s_timeout);
        await output.Writer.CompleteAsync();
        var decoded = await output.Reader.ReadAsync();
        var rest = await input.ReadAsync();
        return (Encoding.ASCII.GetString(decoded.Buffer.ToArray()), trailers, Encoding.ASCII.GetString(rest.Buffer.ToArray()));
    }
}
