using System.Buffers;
using System.Linq;
using System.Text;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Body;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Http;

/// <summary>RFC 9112 §7.1 Chunked Transfer Coding, sending side: chunk framing, the last chunk and trailer fields.</summary>
public sealed class ChunkedEncoderTests
{
    [Theory]
    [InlineData(1, "1")]
    [InlineData(10, "a")]
    [InlineData(26, "1a")]
    [InlineData(255, "ff")]
    [InlineData(4096, "1000")]
    [InlineData(70000, "11170")]
    public void WriteChunk_Data_IsFramedWithLowercaseHexSize(int length, string hex)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var output = new ArrayBufferWriter<byte>();
        ChunkedEncoder.WriteChunk(data, output);

        var expected = Encoding.ASCII.GetBytes(hex + "\r\n").Concat(data).Concat("\r\n"u8.ToArray()).ToArray();
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteChunk_Hello_MatchesTheWireBytes()
    {
        var output = new ArrayBufferWriter<byte>();
        ChunkedEncoder.WriteChunk("Hello"u8, output);
        Hex.AssertEqual("35 0D 0A 48 65 6C 6C 6F 0D 0A", output.WrittenSpan);
    }

    [Fact]
    public void WriteChunk_EmptyData_WritesNothing()
    {
        var output = new ArrayBufferWriter<byte>();
        ChunkedEncoder.WriteChunk(ReadOnlySpan<byte>.Empty, output);
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void WriteChunk_WriterWithSmallSpans_StillWritesEveryByte()
    {
        var data = new byte[1000];
        new Random(7).NextBytes(data);
        var output = new SmallSpanWriter(16);
        ChunkedEncoder.WriteChunk(data, output);
        Assert.Equal(Encoding.ASCII.GetBytes("3e8\r\n").Concat(data).Concat("\r\n"u8.ToArray()).ToArray(), output.Written.ToArray());
    }

    [Fact]
    public void WriteLastChunk_WithoutTrailers_IsZeroCrlfCrlf()
    {
        var output = new ArrayBufferWriter<byte>();
        ChunkedEncoder.WriteLastChunk(output);
        Assert.Equal("0\r\n\r\n", Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void WriteLastChunk_WithTrailers_WritesEachField()
    {
        var output = new ArrayBufferWriter<byte>();
        ChunkedEncoder.WriteLastChunk(output, new HttpHeaders().Add("Checksum", "abc").Add("X-Note", "caf\u00E9\tx"));
        Assert.Equal("0\r\nChecksum: abc\r\nX-Note: caf\u00E9\tx\r\n\r\n", Encoding.Latin1.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("Bad Name", "v")]
    [InlineData("", "v")]
    [InlineData("X-A", "v\r\nInjected: 1")]
    [InlineData("X-A", "v\0")]
    [InlineData("X-A", "\u20AC")]
    public void WriteLastChunk_UnsafeTrailer_ThrowsBeforeWritingAnything(string name, string value)
    {
        var output = new ArrayBufferWriter<byte>();
        var trailers = new HttpHeaders().Add("Ok", "1").Add(name, value);
        Assert.Throws<ArgumentException>(() => ChunkedEncoder.WriteLastChunk(output, trailers));
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void EncodedChunks_DecodeToTheSameBodyAndTrailers()
    {
        var random = new Random(9112);
        var body = new byte[5000];
        random.NextBytes(body);
        var output = new ArrayBufferWriter<byte>();
        for (int offset = 0; offset < body.Length;)
        {
            int length = Math.Min(random.Next(0, 700), body.Length - offset);
            ChunkedEncoder.WriteChunk(body.AsSpan(offset, length), output);
            offset += length;
        }

        ChunkedEncoder.WriteLastChunk(output, new HttpHeaders().Add("Digest", "x"));

        var decoder = new ChunkedDecoder(HttpLimits.Default);
        var reader = new SequenceReader<byte>(Sequences.Single(output.WrittenSpan.ToArray()));
        var decoded = new byte[body.Length];
        Assert.Equal(OperationStatus.Done, decoder.Decode(ref reader, decoded, out int written));
        Assert.Equal(body.Length, written);
        Assert.Equal(body, decoded);
        Assert.Equal("x", decoder.Trailers.Get("Digest"));
        Assert.True(reader.End);
    }

    /// <summary>A writer that hands out spans no larger than asked or a small maximum, like a pipe near a segment end.</summary>
    private sealed class SmallSpanWriter(int maxSpan) : IBufferWriter<byte>
    {
        private readonly System.Collections.Generic.List<byte> _written = new();
        private byte[] _buffer = Array.Empty<byte>();

        public System.Collections.Generic.IReadOnlyList<byte> Written => _written;

        public void Advance(int count) => _written.AddRange(_buffer.AsSpan(0, count).ToArray());

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            _buffer = new byte[Math.Max(sizeHint, maxSpan)];
            return _buffer;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
