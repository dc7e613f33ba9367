using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Rx.WebSockets.Http.Multipart;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Http;

/// <summary>
/// RFC 2046 §5.1.1 Common Syntax (multipart bodies) and RFC 7578 multipart/form-data: the sans-I/O parser, checked
/// byte-exact on every segment shape and every arrival split.
/// </summary>
public sealed class MultipartParserTests
{
    private const string Boundary = "boundary";

    private const string FormBody =
        "preamble\r\n" +
        "--boundary\r\n" +
        "Content-Disposition: form-data; name=\"a\"\r\n" +
        "\r\n" +
        "value-a\r\n" +
        "--boundary\r\n" +
        "Content-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n" +
        "Content-Type: text/plain\r\n" +
        "\r\n" +
        "line1\r\nline2\r\n\r\n" +
        "--boundary\r\n" +
        "Content-Disposition: form-data; name=\"c\"\r\n" +
        "\r\n" +
        "c--boundary \r\n--bound\r\n--boundar\r\n" +
        "--boundary--\r\n" +
        "epilogue";

    private static readonly string[] s_formEvents =
    {
        "preamble:preamble",
        "start#0:[Content-Disposition: form-data; name=\"a\"]",
        "body#0:value-a",
        "end#0",
        "start#1:[Content-Disposition: form-data; name=\"f\"; filename=\"x.txt\"|Content-Type: text/plain]",
        "body#1:line1\r\nline2\r\n",
        "end#1",
        "start#2:[Content-Disposition: form-data; name=\"c\"]",
        "body#2:c--boundary \r\n--bound\r\n--boundar",
        "end#2",
        "end",
        "epilogue:epilogue",
    };

    [Fact]
    public void Read_FormWithPreambleAndEpilogue_ReportsEverySectionByteExact()
        => AssertEveryShape(FormBody, s_formEvents);

    [Fact]
    public void Read_EveryArrivalSplitOfThreePartBody_GivesIdenticalParts()
    {
        var bytes = Latin1(FormBody);
        for (int first = 0; first <= bytes.Length; first++)
        {
            for (int second = first; second <= bytes.Length; second += 7)
            {
                Assert.Equal(s_formEvents, Drive(Sequences.Single(bytes), new long[] { first, second }));
            }
        }
    }

    [Fact]
    public void Read_OneByteArrivalsOnOneByteSegments_GivesIdenticalParts()
    {
        var bytes = Latin1(FormBody);
        var arrivals = Enumerable.Range(0, bytes.Length).Select(i => (long)i);
        Assert.Equal(s_formEvents, Drive(Sequences.OneBytePerSegment(bytes), arrivals));
    }

    [Fact]
    public void Read_PartWithoutHeaders_ReportsEmptyHeaderSection()
        => AssertEveryShape("--boundary\r\n\r\nbody\r\n--boundary--", "start#0:[]", "body#0:body", "end#0", "end");

    [Fact]
    public void Read_EmptyBodyAfterHeaders_ReportsNoBodyData()
        => AssertEveryShape(
            "--boundary\r\nX: y\r\n\r\n\r\n--boundary--\r\n",
            "start#0:[X: y]", "end#0", "end");

    [Fact]
    public void Read_DelimiterRightAfterHeaderSection_EndsEmptyBody()
        => AssertEveryShape(
            "--boundary\r\nX: y\r\n\r\n--boundary\r\n\r\nz\r\n--boundary--",
            "start#0:[X: y]", "end#0", "start#1:[]", "body#1:z", "end#1", "end");

    [Fact]
    public void Read_DelimiterRightAfterDelimiterLine_ReportsPartWithNothing()
        => AssertEveryShape(
            "--boundary\r\n--boundary\r\n\r\nx\r\n--boundary--",
            "start#0:[]", "end#0", "start#1:[]", "body#1:x", "end#1", "end");

    [Fact]
    public void Read_BoundaryWithoutLeadingCrlfInsideBody_DoesNotSplit()
        => AssertEveryShape(
            "--boundary\r\n\r\nx--boundary y--boundary--z\n--boundary\r--boundary\r\n--boundary--",
            "start#0:[]", "body#0:x--boundary y--boundary--z\n--boundary\r--boundary", "end#0", "end");

    [Fact]
    public void Read_CrlfDashDashPrefixOfBoundaryInsideBody_DoesNotSplit()
        => AssertEveryShape(
            "--boundary\r\n\r\n\r\n--bound\r\n--boundar\r\n-\r\n\r\r\n--boundary--",
            "start#0:[]", "body#0:\r\n--bound\r\n--boundar\r\n-\r\n\r", "end#0", "end");

    [Fact]
    public void Read_BinaryBodyFullOfCrLf_IsReportedUnchanged()
    {
        var random = new Random(2046);
        var body = new byte[300];
        random.NextBytes(body);
        for (int i = 0; i < body.Length; i += 5)
        {
            body[i] = (byte)"\r\n-"[i % 3];
        }

        string bodyText = Encoding.Latin1.GetString(body);
        Assert.DoesNotContain("\r\n--boundary", bodyText, StringComparison.Ordinal);
        AssertEveryShape(
            "--boundary\r\nContent-Type: application/octet-stream\r\n\r\n" + bodyText + "\r\n--boundary--",
            "start#0:[Content-Type: application/octet-stream]", "body#0:" + bodyText, "end#0", "end");
    }

    [Fact]
    public void Read_TransportPaddingAfterDelimiters_IsSkipped()
        => AssertEveryShape(
            "--boundary \t \r\n\r\nx\r\n--boundary  \r\n\r\ny\r\n--boundary-- \t\r\nepi\r\n",
            "start#0:[]", "body#0:x", "end#0", "start#1:[]", "body#1:y", "end#1", "end", "epilogue:epi\r\n");

    [Fact]
    public void Read_CloseDelimiterWithoutCrlf_EndsWithoutEpilogue()
        => AssertEveryShape("--boundary\r\n\r\nvalue\r\n--boundary--", "start#0:[]", "body#0:value", "end#0", "end");

    [Fact]
    public void Read_CloseDelimiterFollowedByTextWithoutCrlf_TakesTextAsEpilogue()
        => AssertEveryShape("--boundary\r\n\r\nv\r\n--boundary--tail", "start#0:[]", "body#0:v", "end#0", "end", "epilogue:tail");

    [Fact]
    public void Read_OnlyCloseDelimiter_ReportsEndWithoutParts()
        => AssertEveryShape("--boundary--\r\n", "end");

    [Fact]
    public void Read_PreambleEndingInCrlf_DoesNotReportTheCrlf()
        => AssertEveryShape(
            "\r\n\r\n--boundary\r\n\r\nv\r\n--boundary--",
            "preamble:\r\n", "start#0:[]", "body#0:v", "end#0", "end");

    [Fact]
    public void Read_RawUtf8HeaderValue_IsDecodedAsUtf8()
    {
        string body = "--boundary\r\nContent-Disposition: form-data; name=\"f\"; filename=\"файл.txt\"\r\n\r\nx\r\n--boundary--";
        var events = Drive(Sequences.Single(Encoding.UTF8.GetBytes(body)), Array.Empty<long>());
        Assert.Equal("start#0:[Content-Disposition: form-data; name=\"f\"; filename=\"файл.txt\"]", events[0]);
    }

    [Fact]
    public void Read_InvalidUtf8HeaderValue_IsDecodedAsLatin1()
    {
        var events = Drive(Sequences.Single(Latin1("--boundary\r\nX: caf\xE9\r\n\r\n\r\n--boundary--")), Array.Empty<long>());
        Assert.Equal("start#0:[X: caf\xE9]", events[0]);
    }

    [Fact]
    public void Read_PartialDelimiterAtEndOfInput_IsHeldBackUnconsumed()
    {
        var parser = new MultipartParser(Boundary);
        var reader = new SequenceReader<byte>(Sequences.Single(Latin1("--boundary\r\n\r\nabc\r\n--bou")));
        Assert.Equal(OperationStatus.Done, parser.Read(ref reader, out var start));
        Assert.Equal(MultipartSectionKind.PartStart, start.Kind);
        Assert.Equal(OperationStatus.Done, parser.Read(ref reader, out var data));
        Assert.Equal("abc", Encoding.Latin1.GetString(data.Data.ToArray()));
        Assert.Equal(OperationStatus.NeedMoreData, parser.Read(ref reader, out _));
        Assert.Equal(7, reader.Remaining);
    }

    [Fact]
    public void Read_CrLfNotStartingDelimiter_IsReleasedOnceDecided()
    {
        var parser = new MultipartParser(Boundary);
        var reader = new SequenceReader<byte>(Sequences.Single(Latin1("--boundary\r\n\r\nabc\r\n-x")));
        Assert.Equal(OperationStatus.Done, parser.Read(ref reader, out _));
        Assert.Equal(OperationStatus.Done, parser.Read(ref reader, out var data));
        Assert.Equal("abc\r\n-x", Encoding.Latin1.GetString(data.Data.ToArray()));
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Read_LargeBodyArrivingInChunks_IsStreamedNotBuffered()
    {
        var payload = new string('z', 100_000);
        var bytes = Latin1("--boundary\r\n\r\n" + payload + "\r\n--boundary--");
        var parser = new MultipartParser(Boundary);
        long consumed = 0;
        int bodyEvents = 0;
        long bodyBytes = 0;
        for (long available = 4096; ; available = Math.Min(available + 4096, bytes.Length))
        {
            var reader = new SequenceReader<byte>(Sequences.Single(bytes).Slice(consumed, available - consumed));
            while (parser.Read(ref reader, out var section) == OperationStatus.Done)
            {
                if (section.Kind == MultipartSectionKind.PartBodyData)
                {
                    bodyEvents++;
                    bodyBytes += section.Data.Length;
                    Assert.True(section.Data.Length <= 4096);
                }
            }

            consumed += reader.Consumed;

            // Nothing but a possible delimiter prefix is ever left behind.
            Assert.True(available - consumed <= Boundary.Length + 4, $"{available - consumed} bytes held back");
            if (available == bytes.Length)
            {
                break;
            }
        }

        parser.Complete();
        Assert.Equal(payload.Length, bodyBytes);
        Assert.True(bodyEvents >= 24, $"{bodyEvents} body events");
    }

    [Theory]
    [InlineData("")]
    [InlineData("preamble only")]
    [InlineData("--boundary\r\n\r\nbody")]
    [InlineData("--boundary\r\n\r\nbody\r\n--boundary")]
    [InlineData("--boundary\r\n\r\nbody\r\n--boundary\r\n")]
    [InlineData("--boundary\r\n\r\nbody\r\n--boundary-")]
    [InlineData("--boundary\r\nX: y\r\n")]
    public void Complete_InputEndsBeforeCloseDelimiter_ThrowsMissingClosingBoundary(string body)
    {
        var error = Assert.Throws<MultipartException>(() => Drive(Sequences.Single(Latin1(body)), Array.Empty<long>()));
        Assert.Equal(MultipartErrorKind.Malformed, error.Kind);
        Assert.Contains("missing closing boundary", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Complete_EveryStrictPrefixBeforeCloseDelimiter_Throws()
    {
        var bytes = Latin1(FormBody);
        int closeEnd = FormBody.IndexOf("--boundary--", StringComparison.Ordinal) + "--boundary--".Length;
        for (int length = 0; length < closeEnd; length++)
        {
            Assert.Throws<MultipartException>(() => Drive(Sequences.Single(bytes.AsSpan(0, length).ToArray()), Array.Empty<long>()));
        }

        for (int length = closeEnd; length <= bytes.Length; length++)
        {
            Drive(Sequences.Single(bytes.AsSpan(0, length).ToArray()), Array.Empty<long>());
        }
    }

    [Theory]
    [InlineData("--boundary\r\n\r\nx\r\n--boundaryX\r\n--boundary--", "boundary")]
    [InlineData("--boundary\r\n\r\nx\r\n--boundary-X\r\n--boundary--", "boundary")]
    [InlineData("--boundary\r\n\r\nx\r\n--boundary\rX\r\n--boundary--", "boundary")]
    [InlineData("--boundary  X\r\n\r\nx\r\n--boundary--", "boundary")]
    [InlineData("--boundaryX\r\n\r\nx\r\n--boundary--", "boundary")]
    [InlineData("--boundary\r\nX: y\nZ: w\r\n\r\n\r\n--boundary--", "bare LF")]
    [InlineData("--boundary\r\nX: y\r\n folded\r\n\r\n\r\n--boundary--", "folding")]
    [InlineData("--boundary\r\nX : y\r\n\r\n\r\n--boundary--", "whitespace between the field name and the colon")]
    [InlineData("--boundary\r\nno colon\r\n\r\n\r\n--boundary--", "no ':'")]
    [InlineData("--boundary\r\n: y\r\n\r\n\r\n--boundary--", "empty field name")]
    [InlineData("--boundary\r\nX(: y\r\n\r\n\r\n--boundary--", "not a token")]
    [InlineData("--boundary\r\nX: a\u0001b\r\n\r\n\r\n--boundary--", "control byte 0x01")]
    public void Read_MalformedBody_ThrowsMalformed(string body, string messagePart)
    {
        foreach (var (name, sequence) in Sequences.AllShapes(Latin1(body)))
        {
            var error = Assert.Throws<MultipartException>(() => Drive(sequence, Array.Empty<long>()));
            Assert.Equal(MultipartErrorKind.Malformed, error.Kind);
            Assert.True(error.Message.Contains(messagePart, StringComparison.Ordinal), $"{name}: {error.Message}");
        }
    }

    [Fact]
    public void Read_JunkAfterDelimiter_FailsBeforePartEnd()
    {
        var parser = new MultipartParser(Boundary);
        var reader = new SequenceReader<byte>(Sequences.Single(Latin1("--boundary\r\n\r\nx\r\n--boundaryX")));
        Assert.Equal(OperationStatus.Done, parser.Read(ref reader, out _));
        Assert.Equal(OperationStatus.Done, parser.Read(ref reader, out var data));
        Assert.Equal(MultipartSectionKind.PartBodyData, data.Kind);
        long consumed = reader.Consumed;
        Assert.Throws<MultipartException>(() => ReadOnce(parser, Latin1("--boundary\r\n\r\nx\r\n--boundaryX"), consumed));
    }

    [Fact]
    public void Limits_PartHeaderSectionAtLimit_IsAcceptedAndOneMoreByteThrows()
    {
        // Section = "X: " + value + CRLF + CRLF after the delimiter line's CRLF (2 bytes).
        const int limit = 64;
        string AtSize(int size) => "--boundary\r\nX: " + new string('v', size - 2 - 3 - 4) + "\r\n\r\n\r\n--boundary--";
        var limits = new MultipartLimits { MaxPartHeaderBytes = limit };
        AssertEveryShape(AtSize(limit), limits, "start#0:[X: " + new string('v', limit - 9) + "]", "end#0", "end");
        AssertLimitExceeded(AtSize(limit + 1), limits, "MaxPartHeaderBytes");
    }

    [Fact]
    public void Limits_EndlessHeaderLine_ThrowsWithoutWaitingForMoreData()
    {
        var limits = new MultipartLimits { MaxPartHeaderBytes = 100 };
        var parser = new MultipartParser(Boundary, limits);
        var error = Assert.Throws<MultipartException>(() => ReadOnce(parser, Latin1("--boundary\r\nX: " + new string('v', 200))));
        Assert.Equal(MultipartErrorKind.LimitExceeded, error.Kind);
    }

    [Fact]
    public void Limits_EndlessTransportPadding_Throws()
    {
        var parser = new MultipartParser(Boundary, new MultipartLimits { MaxPartHeaderBytes = 100 });
        var error = Assert.Throws<MultipartException>(() => ReadOnce(parser, Latin1("--boundary" + new string(' ', 200))));
        Assert.Equal(MultipartErrorKind.LimitExceeded, error.Kind);
    }

    [Fact]
    public void Limits_HeaderCountAtLimit_IsAcceptedAndOneMoreThrows()
    {
        string WithFields(int count) =>
            "--boundary\r\n" + string.Concat(Enumerable.Range(0, count).Select(i => $"H{i}: {i}\r\n")) + "\r\n\r\n--boundary--";
        var limits = new MultipartLimits { MaxHeaderCount = 3 };
        AssertEveryShape(WithFields(3), limits, "start#0:[H0: 0|H1: 1|H2: 2]", "end#0", "end");
        AssertLimitExceeded(WithFields(4), limits, "MaxHeaderCount");
    }

    [Fact]
    public void Limits_PartCountAtLimit_IsAcceptedAndOneMoreThrows()
    {
        string WithParts(int count) => string.Concat(Enumerable.Repeat("--boundary\r\n\r\np\r\n", count)) + "--boundary--";
        var limits = new MultipartLimits { MaxPartCount = 3 };
        AssertEveryShape(
            WithParts(3), limits,
            "start#0:[]", "body#0:p", "end#0", "start#1:[]", "body#1:p", "end#1", "start#2:[]", "body#2:p", "end#2", "end");
        AssertLimitExceeded(WithParts(4), limits, "MaxPartCount");
    }

    [Fact]
    public void Limits_PartBodyAtLimit_IsAcceptedAndOneMoreByteThrows()
    {
        var limits = new MultipartLimits { MaxPartBodySize = 10 };
        AssertEveryShape(
            "--boundary\r\n\r\n0123456789\r\n--boundary\r\n\r\nabcdefghij\r\n--boundary--", limits,
            "start#0:[]", "body#0:0123456789", "end#0", "start#1:[]", "body#1:abcdefghij", "end#1", "end");
        AssertLimitExceeded("--boundary\r\n\r\n0123456789A\r\n--boundary--", limits, "MaxPartBodySize");
    }

    [Fact]
    public void Limits_PreambleAtLimit_IsAcceptedAndOneMoreByteThrows()
    {
        var limits = new MultipartLimits { MaxPreambleBytes = 8 };
        AssertEveryShape("12345678\r\n--boundary--", limits, "preamble:12345678", "end");
        AssertLimitExceeded("123456789\r\n--boundary--", limits, "MaxPreambleBytes");
    }

    [Fact]
    public void Limits_DefaultPreambleWithoutBoundary_ThrowsAfter8KiB()
    {
        var parser = new MultipartParser(Boundary);
        var error = Assert.Throws<MultipartException>(() => ReadOnce(parser, Latin1(new string('p', MultipartLimits.DefaultMaxPreambleBytes + 1))));
        Assert.Equal(MultipartErrorKind.LimitExceeded, error.Kind);
        Assert.Equal(8192, MultipartLimits.DefaultMaxPreambleBytes);
    }

    [Fact]
    public void Limits_Defaults_AreTheDocumentedValues()
    {
        var limits = MultipartLimits.Default;
        Assert.Equal(16 * 1024, limits.MaxPartHeaderBytes);
        Assert.Equal(32, limits.MaxHeaderCount);
        Assert.Equal(1000, limits.MaxPartCount);
        Assert.Equal(long.MaxValue, limits.MaxPartBodySize);
        Assert.Equal(8 * 1024, limits.MaxPreambleBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultipartLimits { MaxPartCount = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultipartLimits { MaxPartBodySize = -1 });
    }

    [Fact]
    public void Constructor_InvalidBoundary_Throws()
    {
        Assert.Throws<ArgumentException>(() => new MultipartParser(""));
        Assert.Throws<ArgumentException>(() => new MultipartParser(new string('b', 71)));
        Assert.Throws<ArgumentNullException>(() => new MultipartParser(null!));
    }

    [Fact]
    public void Read_AfterEnd_ReportsEpilogueAndIsCompleted()
    {
        var parser = new MultipartParser(Boundary);
        var reader = new SequenceReader<byte>(Sequences.Single(Latin1("--boundary--\r\n")));
        Assert.False(parser.IsCompleted);
        Assert.Equal(OperationStatus.Done, parser.Read(ref reader, out var end));
        Assert.Equal(MultipartSectionKind.End, end.Kind);
        Assert.True(parser.IsCompleted);
        Assert.Equal(OperationStatus.NeedMoreData, parser.Read(ref reader, out _));
        parser.Complete();
        Assert.Equal(0, parser.PartCount);
    }

    private static void AssertEveryShape(string body, params string[] expected) => AssertEveryShape(body, null, expected);

    private static void AssertEveryShape(string body, MultipartLimits? limits, params string[] expected)
    {
        var bytes = Latin1(body);
        foreach (var (name, sequence) in Sequences.AllShapes(bytes))
        {
            Assert.True(expected.SequenceEqual(Drive(sequence, Array.Empty<long>(), limits)), name);
        }

        // Arrivals: the input delivered as a growing buffer, cut at every index (split delimiters, headers, CRLFs).
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var events = Drive(Sequences.Single(bytes), new long[] { cut }, limits);
            Assert.True(expected.SequenceEqual(events), $"arrival cut at {cut}: {string.Join(" ; ", events)}");
        }

        var oneByOne = Drive(Sequences.OneBytePerSegment(bytes), Enumerable.Range(0, bytes.Length).Select(i => (long)i), limits);
        Assert.Equal(expected, oneByOne);
    }

    private static void AssertLimitExceeded(string body, MultipartLimits limits, string limitName)
    {
        var bytes = Latin1(body);
        foreach (var (name, sequence) in Sequences.AllShapes(bytes))
        {
            var error = Assert.Throws<MultipartException>(() => Drive(sequence, Array.Empty<long>(), limits));
            Assert.Equal(MultipartErrorKind.LimitExceeded, error.Kind);
            Assert.True(error.Message.Contains(limitName, StringComparison.Ordinal), $"{name}: {error.Message}");
        }

        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var error = Assert.Throws<MultipartException>(() => Drive(Sequences.Single(bytes), new long[] { cut }, limits));
            Assert.Equal(MultipartErrorKind.LimitExceeded, error.Kind);
        }
    }

    /// <summary>
    /// Plays the pipe loop of a server: the parser sees the bytes that arrived so far minus what it consumed; after
    /// each arrival it is read until it needs more data, which must consume nothing. Adjacent data events are joined,
    /// so the result does not depend on how the input was cut.
    /// </summary>
    private static List<string> Drive(ReadOnlySequence<byte> input, IEnumerable<long> arrivals, MultipartLimits? limits = null)
    {
        var parser = new MultipartParser(Boundary, limits);
        var events = new List<string>();
        var pending = new StringBuilder();
        string? pendingPrefix = null;
        long consumed = 0;
        foreach (long arrived in arrivals.Append(input.Length))
        {
            long available = Math.Max(arrived, consumed);
            var reader = new SequenceReader<byte>(input.Slice(consumed, available - consumed));
            while (true)
            {
                long before = reader.Consumed;
                var status = parser.Read(ref reader, out var section);
                if (status == OperationStatus.NeedMoreData)
                {
                    Assert.Equal(before, reader.Consumed);
                    break;
                }

                Assert.Equal(OperationStatus.Done, status);
                Assert.True(reader.Consumed > before, "a section must consume input");
                string? dataPrefix = section.Kind switch
                {
                    MultipartSectionKind.PreambleData => "preamble:",
                    MultipartSectionKind.PartBodyData => $"body#{section.PartIndex}:",
                    MultipartSectionKind.EpilogueData => "epilogue:",
                    _ => null,
                };
                if (dataPrefix is not null)
                {
                    Assert.False(section.Data.IsEmpty);
                    if (pendingPrefix != dataPrefix)
                    {
                        Flush();
                        pendingPrefix = dataPrefix;
                    }

                    pending.Append(Encoding.Latin1.GetString(section.Data.ToArray()));
                    continue;
                }

                Flush();
                events.Add(section.Kind switch
                {
                    MultipartSectionKind.PartStart =>
                        $"start#{section.PartIndex}:[{string.Join("|", section.Headers!.Select(h => $"{h.Key}: {h.Value}"))}]",
                    MultipartSectionKind.PartEnd => $"end#{section.PartIndex}",
                    _ => "end",
                });
            }

            consumed += reader.Consumed;
        }

        Flush();
        parser.Complete();
        return events;

        void Flush()
        {
            if (pendingPrefix is not null)
            {
                events.Add(pendingPrefix + pending);
                pending.Clear();
                pendingPrefix = null;
            }
        }
    }

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    private static OperationStatus ReadOnce(MultipartParser parser, byte[] bytes, long offset = 0)
    {
        var reader = new SequenceReader<byte>(Sequences.Single(bytes).Slice(offset));
        return parser.Read(ref reader, out _);
    }
}
