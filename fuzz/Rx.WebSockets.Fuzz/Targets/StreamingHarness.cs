using System.Buffers;
using System.Collections.Generic;

namespace Rx.WebSockets.Fuzz.Targets;

/// <summary>One fresh parser instance driven by <see cref="StreamingHarness"/>; it writes what it decodes into a transcript.</summary>
public interface IStreamingParser
{
    /// <summary>
    /// Whether <see cref="OperationStatus.NeedMoreData"/> must leave the input untouched (the house rule for every
    /// parser except decoders that stream body bytes out as they arrive).
    /// </summary>
    bool ConsumesNothingOnNeedMoreData { get; }

    /// <summary>One parser call on the unconsumed input.</summary>
    /// <param name="reader">The unconsumed input.</param>
    /// <param name="transcript">Receives a line per decoded item.</param>
    /// <returns>
    /// <see cref="OperationStatus.NeedMoreData"/> to wait for the next arrival; anything else to call again at once.
    /// </returns>
    OperationStatus Step(ref SequenceReader<byte> reader, List<string> transcript);

    /// <summary>The input has ended (the connection closed) with <paramref name="unconsumed"/> bytes not consumed.</summary>
    /// <param name="unconsumed">How many bytes were never consumed.</param>
    /// <param name="transcript">Receives the terminal line(s).</param>
    void Finish(long unconsumed, List<string> transcript);

    /// <summary>The transcript line for one of the parser's typed exceptions, or null when the exception is a finding.</summary>
    /// <param name="exception">What the parser threw.</param>
    /// <returns>A line naming the rejection (type and code), or null.</returns>
    string? Classify(Exception exception);
}

/// <summary>Feeds an input to a streaming parser in every <see cref="Delivery.Shapes"/> shape and checks that they agree.</summary>
public static class StreamingHarness
{
    // A parser that reports Done without consuming can legitimately emit a few events in a row (e.g. an end-of-part
    // followed by an end-of-body); many more is a loop.
    private const int MaxStepsWithoutProgress = 64;

    /// <summary>Runs the input through fresh parsers in every shape; throws a finding when any contract breaks.</summary>
    /// <param name="target">The target name, for messages.</param>
    /// <param name="input">The fuzz input.</param>
    /// <param name="create">Creates a fresh parser.</param>
    /// <returns>The transcript of the whole-input shape.</returns>
    /// <exception cref="FuzzFindingException">An invariant failed.</exception>
    public static IReadOnlyList<string> Run(string target, ReadOnlySpan<byte> input, Func<IStreamingParser> create)
    {
        List<string>? reference = null;
        string referenceName = "";
        foreach (var (name, chunks) in Delivery.Shapes(input))
        {
            var transcript = RunShape(target, name, input, chunks, create());
            if (reference is null)
            {
                reference = transcript;
                referenceName = name;
            }
            else
            {
                Delivery.AssertSame(target, reference, referenceName, transcript, name);
            }
        }

        return reference!;
    }

    private static List<string> RunShape(string target, string shape, ReadOnlySpan<byte> input, int[] chunks, IStreamingParser parser)
    {
        var transcript = new List<string>();
        var buffer = new ArrivalBuffer();
        int offset = 0;
        try
        {
            foreach (int chunk in chunks)
            {
                buffer.Append(input.Slice(offset, chunk));
                offset += chunk;
                int idle = 0;
                while (true)
                {
                    var reader = new SequenceReader<byte>(buffer.Unconsumed);
                    var status = parser.Step(ref reader, transcript);
                    if (status == OperationStatus.NeedMoreData)
                    {
                        if (parser.ConsumesNothingOnNeedMoreData && reader.Consumed != 0)
                        {
                            throw new FuzzFindingException(
                                $"{target} ({shape}): need-more-data consumed {reader.Consumed} bytes at input offset {offset}.");
                        }

                        buffer.ConsumeTo(reader.Position);
                        break;
                    }

                    idle = reader.Consumed == 0 ? idle + 1 : 0;
                    if (idle > MaxStepsWithoutProgress)
                    {
                        throw new FuzzFindingException($"{target} ({shape}): {idle} calls in a row returned {status} without consuming anything.");
                    }

                    buffer.ConsumeTo(reader.Position);
                }
            }

            parser.Finish(buffer.Unconsumed.Length, transcript);
        }
        catch (Exception e) when (e is not FuzzFindingException && parser.Classify(e) is { } line)
        {
            transcript.Add(line);
        }

        return transcript;
    }
}
