using System.Buffers;
using System.Collections.Generic;

namespace Rx.WebSockets.Fuzz.Targets;

/// <summary>
/// A fuzz target broke its contract: an invariant failed (inconsistent results across segmentations, bytes consumed
/// on need-more-data, no progress). Any exception other than a parser's typed one is a finding too; this one names
/// the invariant.
/// </summary>
public sealed class FuzzFindingException : Exception
{
    /// <summary>Creates a finding.</summary>
    /// <param name="message">What went wrong.</param>
    public FuzzFindingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates a finding.</summary>
    public FuzzFindingException()
    {
    }

    /// <summary>Creates a finding.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public FuzzFindingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// How a fuzz input is delivered to a streaming parser: as a series of arrivals (read completions), each presented
/// together with the still unconsumed bytes of the earlier ones as one multi-segment sequence, exactly as a
/// <c>PipeReader</c> loop does. Every shape is derived from the input alone, so a run is deterministic.
/// </summary>
public static class Delivery
{
    // Byte-per-arrival delivery costs O(n) calls that may each rescan O(n) buffered bytes; past this size the
    // other shapes cover the input.
    private const int MaxBytewiseLength = 1024;

    /// <summary>The arrival sizes to try on <paramref name="input"/>: whole, byte by byte, a cut derived from the input, and pseudo-random small chunks.</summary>
    /// <param name="input">The fuzz input.</param>
    /// <returns>Named lists of chunk lengths, each summing to the input length.</returns>
    public static IReadOnlyList<(string Name, int[] Chunks)> Shapes(ReadOnlySpan<byte> input)
    {
        var shapes = new List<(string, int[])> { ("whole", [input.Length]) };
        if (input.Length <= 1)
        {
            return shapes;
        }

        uint hash = Hash(input);
        int cut = 1 + (int)(hash % (uint)(input.Length - 1));
        shapes.Add(("cut@" + cut, [cut, input.Length - cut]));
        if (input.Length <= MaxBytewiseLength)
        {
            var ones = new int[input.Length];
            Array.Fill(ones, 1);
            shapes.Add(("bytewise", ones));
        }

        var random = new List<int>();
        uint state = hash | 1;
        for (int left = input.Length; left > 0;)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            int size = Math.Min(left, 1 + (int)(state % 23));
            random.Add(size);
            left -= size;
        }

        shapes.Add(("random", random.ToArray()));
        return shapes;
    }

    /// <summary>FNV-1a over the input: a stable seed for the derived shapes.</summary>
    /// <param name="input">The bytes.</param>
    /// <returns>The hash.</returns>
    public static uint Hash(ReadOnlySpan<byte> input)
    {
        uint hash = 2166136261;
        foreach (byte b in input)
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }

    /// <summary>Lowercase hex of a byte sequence, for transcripts.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The hex text.</returns>
    public static string Hex(ReadOnlySequence<byte> bytes) => Convert.ToHexStringLower(bytes.ToArray());

    /// <summary>Fails with a finding that shows where two transcripts first differ.</summary>
    /// <param name="target">The target name.</param>
    /// <param name="reference">The transcript of the first shape.</param>
    /// <param name="referenceName">Its shape.</param>
    /// <param name="other">Another shape's transcript.</param>
    /// <param name="otherName">Its shape.</param>
    /// <exception cref="FuzzFindingException">The transcripts differ.</exception>
    public static void AssertSame(string target, IReadOnlyList<string> reference, string referenceName, IReadOnlyList<string> other, string otherName)
    {
        int count = Math.Max(reference.Count, other.Count);
        for (int i = 0; i < count; i++)
        {
            string a = i < reference.Count ? reference[i] : "<none>";
            string b = i < other.Count ? other[i] : "<none>";
            if (a != b)
            {
                throw new FuzzFindingException(
                    $"{target}: the result depends on how the input is split. Event {i}: '{Clip(a)}' with {referenceName}, '{Clip(b)}' with {otherName}.");
            }
        }
    }

    private static string Clip(string s) => s.Length <= 300 ? s : s[..300] + "...";
}

/// <summary>
/// The unconsumed bytes of a connection: arrivals are appended as new segments, and the parser's reader position
/// marks what it consumed. The sequence it presents is multi-segment whenever bytes of several arrivals are unconsumed.
/// </summary>
public sealed class ArrivalBuffer
{
    private Segment? _start;
    private int _startIndex;
    private Segment? _last;

    /// <summary>The unconsumed bytes.</summary>
    public ReadOnlySequence<byte> Unconsumed =>
        _start is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_start, _startIndex, _last!, _last!.Memory.Length);

    /// <summary>Appends one arrival, copied into a fresh array so that a parser reading past a segment's end cannot see its neighbour.</summary>
    /// <param name="chunk">The bytes that arrived.</param>
    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            return;
        }

        var segment = new Segment(chunk.ToArray(), _last is null ? 0 : _last.RunningIndex + _last.Memory.Length);
        if (_last is null)
        {
            _start = _last = segment;
            _startIndex = 0;
        }
        else
        {
            _last.SetNext(segment);
            _last = segment;
        }
    }

    /// <summary>Releases everything before <paramref name="position"/>, a position within <see cref="Unconsumed"/>.</summary>
    /// <param name="position">The reader's position after a call.</param>
    public void ConsumeTo(SequencePosition position)
    {
        if (_start is null)
        {
            return;
        }

        // A default position (the empty sequence's) carries no segment: nothing was consumed.
        if (position.GetObject() is Segment segment)
        {
            _start = segment;
            _startIndex = position.GetInteger();
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
