using System.Buffers;
using System.Collections.Generic;

namespace Rx.WebSockets.Tests.TestSupport;

/// <summary>Builds <see cref="ReadOnlySequence{T}"/> shapes that force parsers down their slow paths (Kestrel's SegmentPerByteFactory).</summary>
public static class Sequences
{
    /// <summary>The whole input in one segment.</summary>
    public static ReadOnlySequence<byte> Single(byte[] bytes) => new(bytes);

    /// <summary>Each byte in a segment of its own.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes)
    {
        var cuts = new List<int>();
        for (int i = 1; i < bytes.Length; i++)
        {
            cuts.Add(i);
        }

        return Split(bytes, cuts);
    }

    /// <summary>The input cut into segments at the given indexes (ascending, each in 1..Length-1).</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, IReadOnlyList<int> cuts)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Segment? first = null;
        Segment? last = null;
        int start = 0;
        for (int i = 0; i <= cuts.Count; i++)
        {
            int end = i < cuts.Count ? cuts[i] : bytes.Length;
            // Copy into a fresh array so that a parser reading past a segment's end cannot see its neighbour.
            var memory = bytes.AsSpan(start, end - start).ToArray();
            if (first is null)
            {
                first = last = new Segment(memory, 0);
            }
            else
            {
                last = last!.Append(memory);
            }

            start = end;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>The input as two segments, split at <paramref name="index"/> (0..Length).</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] bytes, int index) =>
        index <= 0 || index >= bytes.Length ? Single(bytes) : Split(bytes, new[] { index });

    /// <summary>Every shape a parser test should survive: one segment, one byte per segment, and every two-way split.</summary>
    public static IEnumerable<(string Name, ReadOnlySequence<byte> Sequence)> AllShapes(byte[] bytes)
    {
        yield return ("single", Single(bytes));
        yield return ("one-byte segments", OneBytePerSegment(bytes));
        for (int i = 1; i < bytes.Length; i++)
        {
            yield return ($"split at {i}", SplitAt(bytes, i));
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
