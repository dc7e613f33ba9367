using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Body;
using Rx.WebSockets.Http.Multipart;
using Rx.WebSockets.Http.Ranges;

namespace Rx.WebSockets.Fuzz.Targets;

/// <summary>Fuzz targets for the HTTP/1.1 engine's parsers (Rx.WebSockets.Http).</summary>
public static class HttpTargets
{
    /// <summary>The boundary the multipart target and its seeds use (RFC 7578 §4.1's example style).</summary>
    public const string MultipartBoundary = "AaB03x";

    // Small limits, so that the fuzzer reaches the 413/414/431 paths with small inputs.
    internal static readonly HttpLimits Limits = new()
    {
        MaxRequestLineLength = 256,
        MaxRequestHeadersTotalSize = 1024,
        MaxRequestHeaderCount = 16,
        MaxRequestBodySize = 4096,
        MaxChunkPrefixLength = 64,
        MaxTrailerSize = 256,
    };

    internal static readonly MultipartLimits PartLimits = new()
    {
        MaxPartHeaderBytes = 256,
        MaxHeaderCount = 8,
        MaxPartCount = 8,
        MaxPartBodySize = 2048,
        MaxPreambleBytes = 256,
    };

    /// <summary>
    /// RFC 9112 §2–§5: the input is what a client sends on a connection; request heads are parsed back to back
    /// (pipelining) by <see cref="HttpRequestParser.TryParseRequestHead"/> in every delivery shape.
    /// </summary>
    /// <param name="input">The fuzz input.</param>
    public static void RequestHeads(ReadOnlySpan<byte> input) =>
        StreamingHarness.Run("http", input, () => new RequestHeadParser());

    /// <summary>
    /// RFC 9112 §7.1: the input is a chunked body (and what follows it) for <see cref="ChunkedDecoder.Decode"/>; the
    /// decoded bytes, trailers and end position must not depend on the delivery shape or the output buffer size.
    /// </summary>
    /// <param name="input">The fuzz input.</param>
    public static void Chunked(ReadOnlySpan<byte> input)
    {
        int outputSize = input.IsEmpty ? 1 : 1 + (input[0] % 16);
        var reference = StreamingHarness.Run("chunked", input, () => new ChunkedParser(outputSize));
        var large = StreamingHarness.Run("chunked", input, () => new ChunkedParser(8192));
        Delivery.AssertSame("chunked", reference, $"{outputSize}-byte output", large, "8192-byte output");
    }

    /// <summary>
    /// RFC 2046 §5.1.1 / RFC 7578: the input is a multipart body with boundary <see cref="MultipartBoundary"/> for
    /// <see cref="MultipartParser.Read"/>; the sections (body bytes joined per part) must not depend on the delivery shape.
    /// </summary>
    /// <param name="input">The fuzz input.</param>
    public static void Multipart(ReadOnlySpan<byte> input) =>
        StreamingHarness.Run("multipart", input, () => new MultipartBodyParser());

    /// <summary>
    /// RFC 9110 §14.1–§14.2: the input is a Range field value (Latin-1) resolved by <see cref="RangeHeaderParser.Parse"/>
    /// against a few representation lengths; it must not throw and a satisfiable answer must hold in-bounds,
    /// coalesced ranges, at most maxRangeCount of them. <see cref="RangeHeaderParser.IfRangeMatches"/> must not throw either.
    /// </summary>
    /// <param name="input">The fuzz input.</param>
    /// <exception cref="FuzzFindingException">An invariant failed.</exception>
    public static void Range(ReadOnlySpan<byte> input)
    {
        string value = Encoding.Latin1.GetString(input);
        long derived = Delivery.Hash(input) % 100_000;
        foreach (long length in new[] { 0L, 1L, 10L, 1000L, derived, long.MaxValue })
        {
            foreach (int maxCount in new[] { 1, 2, RangeHeaderParser.DefaultMaxRangeCount })
            {
                CheckRanges(value, length, maxCount);
            }
        }

        RangeHeaderParser.IfRangeMatches(value, "\"etag\"", DateTimeOffset.UnixEpoch);
        RangeHeaderParser.IfRangeMatches("\"etag\"", value, null);
    }

    private static void CheckRanges(string value, long length, int maxCount)
    {
        var result = RangeHeaderParser.Parse(value, length, maxCount);
        string where = $"range: '{(value.Length > 200 ? value[..200] + "..." : value)}' with length {length}, max {maxCount}";
        if (result.Status != RangeParseStatus.Satisfiable)
        {
            if (result.Ranges.Count != 0)
            {
                throw new FuzzFindingException($"{where}: {result.Status} carries ranges.");
            }

            return;
        }

        var ranges = result.Ranges;
        if (ranges.Count == 0 || ranges.Count > maxCount)
        {
            throw new FuzzFindingException($"{where}: satisfiable with {ranges.Count} ranges.");
        }

        foreach (var range in ranges)
        {
            if (range.First < 0 || range.Last < range.First || range.Last >= length)
            {
                throw new FuzzFindingException($"{where}: range {range} is out of bounds.");
            }
        }

        // Coalesced: no two ranges overlap or touch.
        var sorted = ranges.OrderBy(r => r.First).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].First <= sorted[i - 1].Last + 1)
            {
                throw new FuzzFindingException($"{where}: ranges {sorted[i - 1]} and {sorted[i]} overlap or touch.");
            }
        }
    }

    private static string DescribeHeaders(HttpHeaders headers) =>
        string.Join("|", headers.Select(h => h.Key + ":" + h.Value));

    private sealed class RequestHeadParser : IStreamingParser
    {
        private readonly HttpRequestParser _parser = new(Limits);

        public bool ConsumesNothingOnNeedMoreData => true;

        public OperationStatus Step(ref SequenceReader<byte> reader, List<string> transcript)
        {
            long before = reader.Consumed;
            if (!_parser.TryParseRequestHead(ref reader, out var head))
            {
                return OperationStatus.NeedMoreData;
            }

            long consumed = reader.Consumed - before;
            if (consumed < 16)
            {
                // The shortest head, "GET / HTTP/1.1\r\n\r\n" less a field section, is 18 bytes with both CRLFs.
                throw new FuzzFindingException($"http: a head was parsed from {consumed} bytes.");
            }

            transcript.Add($"{head.Method} {head.Target} {head.Version} path={head.Path} query={head.Query} [{DescribeHeaders(head.Headers)}] consumed={consumed}");
            return OperationStatus.Done;
        }

        public void Finish(long unconsumed, List<string> transcript) => transcript.Add($"end unconsumed={unconsumed}");

        public string? Classify(Exception exception) =>
            exception is HttpRequestRejectedException e ? $"error {e.StatusCode} {e.Reason}" : null;
    }

    private sealed class ChunkedParser : IStreamingParser
    {
        private readonly ChunkedDecoder _decoder = new(Limits);
        private readonly byte[] _output;
        private readonly List<byte> _body = [];
        private bool _reported;

        public ChunkedParser(int outputSize)
        {
            _output = new byte[outputSize];
        }

        // Chunk data is consumed as it is copied out, so need-more-data may have consumed some.
        public bool ConsumesNothingOnNeedMoreData => false;

        public OperationStatus Step(ref SequenceReader<byte> reader, List<string> transcript)
        {
            if (_reported)
            {
                // The body has ended: whatever follows belongs to the next request and stays unconsumed.
                return OperationStatus.NeedMoreData;
            }

            long before = reader.Consumed;
            var status = _decoder.Decode(ref reader, _output, out int written);
            if (written < 0 || written > _output.Length)
            {
                throw new FuzzFindingException($"chunked: wrote {written} bytes into {_output.Length}.");
            }

            _body.AddRange(_output.AsSpan(0, written).ToArray());
            if (_decoder.BodyLength != _body.Count)
            {
                throw new FuzzFindingException($"chunked: BodyLength {_decoder.BodyLength} but {_body.Count} bytes were written.");
            }

            if (_body.Count > Limits.MaxRequestBodySize)
            {
                throw new FuzzFindingException($"chunked: {_body.Count} body bytes passed the {Limits.MaxRequestBodySize}-byte limit.");
            }

            switch (status)
            {
                case OperationStatus.Done:
                    if (!_decoder.IsComplete)
                    {
                        throw new FuzzFindingException("chunked: Done while IsComplete is false.");
                    }

                    transcript.Add($"body {Convert.ToHexStringLower(_body.ToArray())} trailers [{DescribeHeaders(_decoder.Trailers)}]");
                    _reported = true;
                    return OperationStatus.NeedMoreData;
                case OperationStatus.DestinationTooSmall:
                    if (written != _output.Length)
                    {
                        throw new FuzzFindingException($"chunked: DestinationTooSmall with {written} of {_output.Length} bytes written.");
                    }

                    return status;
                case OperationStatus.NeedMoreData:
                    if (_decoder.IsComplete)
                    {
                        throw new FuzzFindingException("chunked: need-more-data after the body completed.");
                    }

                    // Leftover bytes must be a partial chunk line, CRLF or trailer: anything decodable would have been decoded.
                    return status;
                default:
                    throw new FuzzFindingException($"chunked: unexpected status {status} (consumed {reader.Consumed - before}).");
            }
        }

        public void Finish(long unconsumed, List<string> transcript)
        {
            if (!_reported)
            {
                // Truncated body: what was decoded so far is shape-independent only as a whole line count, so report
                // just the fact and the decoded length.
                transcript.Add($"truncated decoded={_body.Count}");
            }

            transcript.Add($"end unconsumed={(_reported ? unconsumed : -1)}");
        }

        public string? Classify(Exception exception) =>
            exception is HttpRequestRejectedException e ? $"error {e.StatusCode} {e.Reason}" : null;
    }

    private sealed class MultipartBodyParser : IStreamingParser
    {
        private readonly MultipartParser _parser = new(MultipartBoundary, PartLimits);
        private readonly List<byte> _data = [];
        private MultipartSectionKind? _dataKind;

        public bool ConsumesNothingOnNeedMoreData => true;

        public OperationStatus Step(ref SequenceReader<byte> reader, List<string> transcript)
        {
            long before = reader.Consumed;
            var status = _parser.Read(ref reader, out var section);
            if (status != OperationStatus.Done)
            {
                return status;
            }

            long consumed = reader.Consumed - before;
            switch (section.Kind)
            {
                case MultipartSectionKind.PreambleData or MultipartSectionKind.PartBodyData or MultipartSectionKind.EpilogueData:
                    if (section.Data.Length == 0 || consumed < section.Data.Length)
                    {
                        throw new FuzzFindingException($"multipart: {section.Kind} of {section.Data.Length} bytes after consuming {consumed}.");
                    }

                    // Data sections are split wherever the arrivals are: join them before comparing.
                    if (_dataKind != section.Kind)
                    {
                        FlushData(transcript);
                        _dataKind = section.Kind;
                    }

                    _data.AddRange(section.Data.ToArray());
                    break;
                default:
                    FlushData(transcript);
                    transcript.Add($"{section.Kind} part={section.PartIndex} headers=[{(section.Headers is null ? "-" : DescribeHeaders(section.Headers))}]");
                    break;
            }

            return status;
        }

        public void Finish(long unconsumed, List<string> transcript)
        {
            FlushData(transcript);
            _parser.Complete();
            transcript.Add($"complete parts={_parser.PartCount}");
        }

        public string? Classify(Exception exception)
        {
            if (exception is not MultipartException e)
            {
                return null;
            }

            // How many body bytes were reported before a limit or syntax error depends on where the arrivals ended:
            // only the error itself is compared.
            _data.Clear();
            return $"error {e.Kind}";
        }

        private void FlushData(List<string> transcript)
        {
            if (_dataKind is { } kind)
            {
                transcript.Add($"{kind} {Convert.ToHexStringLower(_data.ToArray())}");
                _data.Clear();
                _dataKind = null;
            }
        }
    }
}
