using System.Collections.Generic;

namespace Rx.WebSockets.Fuzz.Targets;

/// <summary>
/// Every fuzz target by name. A target returns normally when the parser kept its contract (a result, need-more-data,
/// or its typed rejection) and throws anything else: <see cref="FuzzFindingException"/> for a broken invariant, or
/// the parser's own untyped exception. The corpus folder of a target is fuzz/corpus/&lt;name&gt;/.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The targets, in the order run.sh runs them.</summary>
    public static IReadOnlyList<(string Name, FuzzTarget Run)> All { get; } =
    [
        ("frame", ProtocolTargets.Frames),
        ("http", HttpTargets.RequestHeads),
        ("utf8", ProtocolTargets.Utf8),
        ("close", ProtocolTargets.ClosePayload),
        ("chunked", HttpTargets.Chunked),
        ("multipart", HttpTargets.Multipart),
        ("range", HttpTargets.Range),
        ("extension", ProtocolTargets.ExtensionHeaders),
        ("inflate", ProtocolTargets.Inflate),
    ];

    /// <summary>Finds a target by name.</summary>
    /// <param name="name">The target name.</param>
    /// <returns>The target, or null when there is none of that name.</returns>
    public static FuzzTarget? Find(string name)
    {
        foreach (var (n, run) in All)
        {
            if (n == name)
            {
                return input => run(input[..Math.Min(input.Length, MaxInputLength)]);
            }
        }

        return null;
    }

    /// <summary>
    /// Inputs are cut to this length (afl-fuzz may grow them to 1 MB): the parsers' limits under fuzzing are far
    /// smaller, so longer inputs only slow a run down. Replays cut the same way, so a saved input means the same.
    /// </summary>
    public const int MaxInputLength = 64 * 1024;
}

/// <summary>One fuzz target: consumes one input.</summary>
/// <param name="input">The fuzz input.</param>
public delegate void FuzzTarget(ReadOnlySpan<byte> input);
