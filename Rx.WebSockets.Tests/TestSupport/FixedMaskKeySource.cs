using Rx.WebSockets.Protocol;

namespace Rx.WebSockets.Tests.TestSupport;

/// <summary>A deterministic masking key source: always the same four wire octets (e.g. "37 FA 21 3D" from RFC 6455 §5.7).</summary>
public sealed class FixedMaskKeySource : IMaskKeySource
{
    private readonly uint _key;

    public FixedMaskKeySource(string hexKey) => _key = Masking.ReadMaskKey(Hex.Parse(hexKey));

    public uint NextMaskKey() => _key;
}
