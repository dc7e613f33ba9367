using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Rx.WebSockets.Http.Multipart;
using Rx.WebSockets.Http.Ranges;

namespace Rx.WebSockets.Tests.Http;

/// <summary>RFC 9110 §14.6 multipart/byteranges, written byte-for-byte as Ktor's writeMultipleRanges.</summary>
public sealed class MultipartByteRangesWriterTests
{
    private const string Content = "0123456789abcdef";
    private const string Boundary = "rxws-boundary-000102030405060708090a0b0c0d0e0f";

    private static readonly ByteRange[] s_twoRanges = { new(1, 3), new(5, 6) };

    [Fact]
    public void Write_TwoRanges_ProducesExactBody()
    {
        const string expected =
            "--" + Boundary + "\r\n" +
            "Content-Type: text/plain\r\n" +
            "Content-Range: bytes 1-3/16\r\n" +
            "\r\n" +
            "123\r\n" +
            "--" + Boundary + "\r\n" +
            "Content-Type: text/plain\r\n" +
            "Content-Range: bytes 5-6/16\r\n" +
            "\r\n" +
            "56\r\n" +
            "--" + Boundary + "--\r\n";
        Assert.Equal(expected, WriteToString(s_twoRanges, "text/plain"));
    }

    [Fact]
    public void Write_UnknownLength_WritesStar()
    {
        var output = new ArrayBufferWriter<byte>();
        MultipartByteRangesWriter.Write(s_twoRanges, r => Encoding.ASCII.GetBytes(Content.Substring((int)r.First, (int)r.Length)), null, "b", "text/plain", output);
        Assert.Equal(
            "--b\r\nContent-Type: text/plain\r\nContent-Range: bytes 1-3/*\r\n\r\n123\r\n" +
            "--b\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/*\r\n\r\n56\r\n--b--\r\n",
            Encoding.Latin1.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Write_NonAscendingRanges_KeepsGivenOrder()
    {
        string body = WriteToString(new ByteRange[] { new(1, 3), new(5, 6), new(0, 1) }, "text/plain");
        int first = body.IndexOf("bytes 1-3/16", StringComparison.Ordinal);
        int second = body.IndexOf("bytes 5-6/16", StringComparison.Ordinal);
        int third = body.IndexOf("bytes 0-1/16", StringComparison.Ordinal);
        Assert.True(first < second && second < third, body);
        Assert.EndsWith("\r\n\r\n01\r\n--" + Boundary + "--\r\n", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new long[] { 1, 3, 5, 6 }, 16L, "text/plain")]
    [InlineData(new long[] { 0, 0 }, 16L, "application/octet-stream")]
    [InlineData(new long[] { 0, 15 }, null, "x/y")]
    [InlineData(new long[] { 0, 0, 2, 2, 4, 9, 10, 15 }, 16L, "text/plain; charset=utf-8")]
    [InlineData(new long[0], 16L, "text/plain")]
    public void ComputeLength_EqualsKtorFormulaAndActualOutput(long[] bounds, long? fullLength, string contentType)
    {
        var ranges = Enumerable.Range(0, bounds.Length / 2).Select(i => new ByteRange(bounds[2 * i], bounds[(2 * i) + 1])).ToArray();
        long computed = MultipartByteRangesWriter.ComputeLength(ranges, fullLength, Boundary, contentType);

        // Ktor's calculateMultipleRangesBodyLength, written out independently.
        long formula = Boundary.Length + 6;
        foreach (var range in ranges)
        {
            string contentRange = $"bytes {range.First}-{range.Last}/{(fullLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "*")}";
            formula += 39 + Boundary.Length + contentType.Length + contentRange.Length + range.Length + 2;
        }

        var output = new ArrayBufferWriter<byte>();
        MultipartByteRangesWriter.Write(ranges, r => Encoding.ASCII.GetBytes(Content.Substring((int)r.First, (int)r.Length)), fullLength, Boundary, contentType, output);
        Assert.Equal(formula, computed);
        Assert.Equal(output.WrittenCount, computed);
    }

    [Fact]
    public void PiecewiseWrites_EqualConvenienceWrite()
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var range in s_twoRanges)
        {
            MultipartByteRangesWriter.WritePartHeader(range, Content.Length, Boundary, "text/plain", output);
            output.Write(Encoding.ASCII.GetBytes(Content).AsSpan((int)range.First, (int)range.Length));
            MultipartByteRangesWriter.WritePartTrailer(output);
        }

        MultipartByteRangesWriter.WriteClosing(Boundary, output);
        Assert.Equal(WriteToString(s_twoRanges, "text/plain"), Encoding.Latin1.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Write_Output_ParsesBackWithMultipartParser()
    {
        var output = new ArrayBufferWriter<byte>();
        MultipartByteRangesWriter.Write(s_twoRanges, Encoding.ASCII.GetBytes(Content), Boundary, "text/plain", output);
        var parser = new MultipartParser(Boundary);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(output.WrittenMemory));
        var parts = new List<(string ContentRange, string Body)>();
        while (parser.Read(ref reader, out var section) == OperationStatus.Done)
        {
            if (section.Kind == MultipartSectionKind.PartStart)
            {
                parts.Add((section.Headers!.Get("Content-Range")!, string.Empty));
            }
            else if (section.Kind == MultipartSectionKind.PartBodyData)
            {
                parts[^1] = (parts[^1].ContentRange, parts[^1].Body + Encoding.ASCII.GetString(section.Data.ToArray()));
            }
        }

        parser.Complete();
        Assert.Equal(new[] { ("bytes 1-3/16", "123"), ("bytes 5-6/16", "56") }, parts);

        // Only the CRLF ending the close delimiter line is left, and it is not epilogue.
        Assert.True(parser.IsCompleted);
        Assert.Equal(2, reader.Remaining);
    }

    [Fact]
    public void CreateBoundary_SixteenBytes_IsPrefixAndLowercaseHex()
    {
        var bytes = Enumerable.Range(0, 16).Select(i => (byte)(i * 17)).ToArray();
        Assert.Equal("rxws-boundary-00112233445566778899aabbccddeeff", MultipartByteRangesWriter.CreateBoundary(bytes));
        Assert.True(MultipartBoundary.IsValid(MultipartByteRangesWriter.CreateBoundary(bytes)));
        Assert.Throws<ArgumentException>(() => MultipartByteRangesWriter.CreateBoundary(new byte[15]));
    }

    [Fact]
    public void GetContentType_QuotesOnlyWhenNeeded()
    {
        Assert.Equal("multipart/byteranges; boundary=" + Boundary, MultipartByteRangesWriter.GetContentType(Boundary));
        Assert.Equal("multipart/byteranges; boundary=\"a:b\"", MultipartByteRangesWriter.GetContentType("a:b"));
        Assert.Equal("a:b", MultipartBoundary.Parse(MultipartByteRangesWriter.GetContentType("a:b")));
    }

    [Fact]
    public void Write_InvalidArguments_Throw()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => MultipartByteRangesWriter.WritePartHeader(new ByteRange(0, 1), 16, Boundary, "text/plain\r\nX-Injected: 1", output));
        Assert.Throws<ArgumentException>(() => MultipartByteRangesWriter.WritePartHeader(new ByteRange(0, 1), 16, "bad boundary ", "text/plain", output));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipartByteRangesWriter.WritePartHeader(new ByteRange(0, 16), 16, Boundary, "text/plain", output));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipartByteRangesWriter.ComputeLength(new[] { new ByteRange(0, 16) }, 16, Boundary, "text/plain"));
        Assert.Throws<InvalidOperationException>(() => MultipartByteRangesWriter.Write(s_twoRanges, _ => new byte[1], 16, Boundary, "text/plain", output));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipartByteRangesWriter.Write(new[] { new ByteRange(10, 20) }, new byte[16], Boundary, "text/plain", output));
    }

    private static string WriteToString(IReadOnlyList<ByteRange> ranges, string contentType)
    {
        var output = new ArrayBufferWriter<byte>();
        MultipartByteRangesWriter.Write(ranges, Encoding.ASCII.GetBytes(Content), Boundary, contentType, output);
        Assert.Equal(MultipartByteRangesWriter.ComputeLength(ranges, Content.Length, Boundary, contentType), output.WrittenCount);
        return Encoding.Latin1.GetString(output.WrittenSpan);
    }
}
