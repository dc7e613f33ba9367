using Rx.WebSockets.Protocol;

namespace Rx.WebSockets.Tests.TestSupport;

/// <summary>
/// Masking keys drawn from a seeded <see cref="Random"/>: any of the 2^32 values (zero included), like a real
/// client's, yet the same on every run so that a failing case can be replayed.
/// </summary>
public sealed class SeededMaskKeySource(int seed) : IMaskKeySource
{
    private readonly Random _random = new(seed);

    public int Calls { get; private set; }

    public uint NextMaskKey()
    {
        Calls++;
        return (uint)_random.NextInt64(0, 1L << 32);
    }
}
