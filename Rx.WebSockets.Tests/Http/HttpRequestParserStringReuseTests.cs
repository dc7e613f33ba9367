using System.Buffers;
using System.Collections.Generic;
using System.Text;
using Rx.WebSockets.Http;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Http;

/// <summary>
/// RFC 9112 §3 (request target) and §3.2 (Host) on a parser that reuses the strings of targets and Host values it
/// parsed before: the same bytes give the same value (the same string), and a reused Host value is never one that
/// failed validation.
/// </summary>
public sealed class HttpRequestParserStringReuseTests
{
    [Fact]
    public void TryParseRequestHead_SameTargetAndHostAgain_ReturnsTheSameStrings()
    {
        var parser = new HttpRequestParser(HttpLimits.Default);
        var first = Parse(parser, "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
        var second = Parse(parser, "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");

        Assert.Equal("/plaintext", second.Target);
        Assert.Equal("127.0.0.1:8080", second.Headers.Get("Host"));
        Assert.Same(first.Target, second.Target);
        Assert.Same(first.Headers.Get("Host"), second.Headers.Get("Host"));
    }

    [Fact]
    public void TryParseRequestHead_OtherTargetsAndHosts_GetTheirOwnValuesOnEveryShape()
    {
        var parser = new HttpRequestParser(HttpLimits.Default);
        for (int i = 0; i < 200; i++)
        {
            // More distinct values than the table has slots, so slots are replaced and collide.
            string target = $"/item/{i % 150}";
            string host = $"host{i % 90}.example:{8000 + (i % 7)}";
            var bytes = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n");
            IEnumerable<(string Name, ReadOnlySequence<byte> Sequence)> shapes = i % 50 == 0 ? Sequences.AllShapes(bytes) : new[] { ("one segment", Sequences.Single(bytes)) };
            foreach (var (shape, sequence) in shapes)
            {
                var head = Parse(parser, sequence);
                Assert.True(target == head.Target, shape);
                Assert.True(host == head.Headers.Get("Host"), shape);
            }
        }
    }

    [Fact]
    public void TryParseRequestHead_TargetWithQuery_IsParsedWhole()
    {
        var parser = new HttpRequestParser(HttpLimits.Default);
        var first = Parse(parser, "GET /a?token=1 HTTP/1.1\r\nHost: a\r\n\r\n");
        var second = Parse(parser, "GET /a?token=2 HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.Equal("/a?token=1", first.Target);
        Assert.Equal("token=2", second.Query);
    }

    [Theory]
    [InlineData("exa mple.com")]
    [InlineData("example.com:80x")]
    [InlineData("[::1")]
    public void TryParseRequestHead_InvalidHostAfterValidOnes_IsStillRefused(string invalid)
    {
        var parser = new HttpRequestParser(HttpLimits.Default);
        Parse(parser, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
        Parse(parser, "GET / HTTP/1.1\r\nHost: example.com:80\r\n\r\n");

        for (int attempt = 0; attempt < 2; attempt++)
        {
            var sequence = Sequences.Single(Encoding.Latin1.GetBytes($"GET / HTTP/1.1\r\nHost: {invalid}\r\n\r\n"));
            var e = Assert.Throws<HttpRequestRejectedException>(() => TryParse(parser, sequence));
            Assert.Equal(400, e.StatusCode);
        }
    }

    [Fact]
    public void TryParseRequestHead_NonAsciiHostBytes_AreRefusedEveryTime()
    {
        var parser = new HttpRequestParser(HttpLimits.Default);
        var bytes = Encoding.Latin1.GetBytes("GET / HTTP/1.1\r\nHost: caf\u00e9.example\r\n\r\n");
        for (int attempt = 0; attempt < 2; attempt++)
        {
            Assert.Throws<HttpRequestRejectedException>(() => TryParse(parser, Sequences.Single(bytes)));
        }
    }

    private static bool TryParse(HttpRequestParser parser, ReadOnlySequence<byte> sequence)
    {
        var reader = new SequenceReader<byte>(sequence);
        return parser.TryParseRequestHead(ref reader, out _);
    }

    private static HttpRequestHead Parse(HttpRequestParser parser, string request) =>
        Parse(parser, Sequences.Single(Encoding.ASCII.GetBytes(request)));

    private static HttpRequestHead Parse(HttpRequestParser parser, ReadOnlySequence<byte> sequence)
    {
        var reader = new SequenceReader<byte>(sequence);
        Assert.True(parser.TryParseRequestHead(ref reader, out var head));
        Assert.Equal(sequence.Length, reader.Consumed);
        return head;
    }
}
