using Rx.WebSockets.Protocol;

namespace Rx.WebSockets.Tests.TestSupport;

/// <summary>Hands out masking keys from a list in turn (hex, wire order) and counts the requests.</summary>
public sealed class SequenceMaskKeySource : IMaskKeySource
{
    private readonly uint[] _keys;

    public SequenceMaskKeySource(params string[] hexKeys)
    {
        _keys = new uint[hexKeys.Length];
        for (int i = 0; i < hexKeys.Length; i++)
        {
            _keys[i] = Masking.ReadMaskKey(Hex.Parse(hexKeys[i]));
        }
    }

    public int Calls { get; private set; }

    public uint NextMaskKey() => _keys[Calls++ % _keys.Length];
}
