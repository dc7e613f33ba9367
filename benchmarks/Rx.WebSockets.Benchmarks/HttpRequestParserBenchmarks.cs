using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Benchmarks;

/// <summary>
/// One request head through <see cref="HttpRequestParser"/>, as the server parses it: wrk's plaintext GET (request line
/// and Host) and a browser-like GET with ten fields, each from one buffer segment. Allocated bytes are the head's
/// objects and strings (benchmarks/README.md, "HTTP plaintext").
/// </summary>
[MemoryDiagnoser]
public class HttpRequestParserBenchmarks
{
    private readonly HttpRequestParser _parser = new(HttpLimits.Default);
    private ReadOnlySequence<byte> _wrk;
    private ReadOnlySequence<byte> _browser;

    [GlobalSetup]
    public void Setup()
    {
        _wrk = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:18081\r\n\r\n"));
        _browser = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(
            "GET /app/index.html HTTP/1.1\r\n" +
            "Host: www.example.com\r\n" +
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
            "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
            "Accept-Language: en-US,en;q=0.5\r\n" +
            "Accept-Encoding: gzip, deflate, br\r\n" +
            "Connection: keep-alive\r\n" +
            "Upgrade-Insecure-Requests: 1\r\n" +
            "Sec-Fetch-Dest: document\r\n" +
            "Sec-Fetch-Mode: navigate\r\n" +
            "Cache-Control: max-age=0\r\n\r\n"));
    }

    [Benchmark(Baseline = true)]
    public HttpRequestHead? WrkGet() => Parse(_wrk);

    [Benchmark]
    public HttpRequestHead? BrowserGet() => Parse(_browser);

    private HttpRequestHead? Parse(ReadOnlySequence<byte> sequence)
    {
        var reader = new SequenceReader<byte>(sequence);
        _parser.TryParseRequestHead(ref reader, out var head);
        return head;
    }
}
