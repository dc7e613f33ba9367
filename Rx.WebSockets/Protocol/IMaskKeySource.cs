using System.Security.Cryptography;

namespace Rx.WebSockets.Protocol;

/// <summary>
/// Supplies masking keys for frames a client sends (RFC 6455 §5.3: "The masking key needs to be unpredictable;
/// thus, the masking key MUST be derived from a strong source of entropy"). Tests inject a fixed source.
/// </summary>
public interface IMaskKeySource
{
    /// <summary>Returns the masking key for the next frame, in the form <see cref="Masking.ReadMaskKey"/> returns.</summary>
    /// <returns>The key.</returns>
    uint NextMaskKey();
}

/// <summary>Masking keys from <see cref="RandomNumberGenerator"/>, fetched 64 at a time.</summary>
/// <remarks>Thread-safety: not thread-safe; each encoder owns its source.</remarks>
public sealed class RandomMaskKeySource : IMaskKeySource
{
    private readonly uint[] _keys = new uint[64];
    private int _next = 64;

    /// <inheritdoc/>
    public uint NextMaskKey()
    {
        if (_next == _keys.Length)
        {
            RandomNumberGenerator.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_keys.AsSpan()));
            _next = 0;
        }

        return _keys[_next++];
    }
}
