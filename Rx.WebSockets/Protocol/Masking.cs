using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Rx.WebSockets.Protocol;

/// <summary>
/// The masking transform of RFC 6455 §5.3: octet i of the data is XORed with octet (i MOD 4) of the masking key.
/// Vectorised, and resumable at any offset into the key so that a payload can be unmasked piecewise.
/// </summary>
/// <remarks>
/// A masking key is passed as a <see cref="uint"/> holding its four octets in wire order in memory, i.e. as read
/// by <see cref="ReadMaskKey"/> (little-endian load of the four bytes). Thread-safety: stateless.
/// </remarks>
public static class Masking
{
    /// <summary>Reads a masking key from its four wire octets.</summary>
    /// <param name="key">The four octets that follow the payload length in a masked frame.</param>
    /// <returns>The key, for <see cref="Apply(Span{byte}, uint, int)"/>.</returns>
    public static uint ReadMaskKey(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt32LittleEndian(key);

    /// <summary>Writes a masking key as its four wire octets.</summary>
    /// <param name="maskKey">The key.</param>
    /// <param name="destination">At least four bytes.</param>
    public static void WriteMaskKey(uint maskKey, Span<byte> destination) => BinaryPrimitives.WriteUInt32LittleEndian(destination, maskKey);

    /// <summary>Masks (or unmasks: the transform is its own inverse) <paramref name="data"/> in place.</summary>
    /// <param name="data">The bytes to transform.</param>
    /// <param name="maskKey">The masking key.</param>
    /// <param name="maskOffset">The index (0–3) of the key octet that applies to <c>data[0]</c>: the number of payload bytes already transformed, modulo 4.</param>
    /// <returns>The offset to pass for the bytes that follow <paramref name="data"/>.</returns>
    public static int Apply(Span<byte> data, uint maskKey, int maskOffset) => Apply(data, data, maskKey, maskOffset);

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/>, masking (or unmasking) on the way, in one pass.</summary>
    /// <param name="source">The bytes to transform.</param>
    /// <param name="destination">At least as long as <paramref name="source"/>; may be the same memory.</param>
    /// <param name="maskKey">The masking key.</param>
    /// <param name="maskOffset">The index (0–3) of the key octet that applies to <c>source[0]</c>.</param>
    /// <returns>The offset to pass for the bytes that follow <paramref name="source"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    public static int Apply(ReadOnlySpan<byte> source, Span<byte> destination, uint maskKey, int maskOffset)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maskOffset);
        maskOffset &= 3;
        if (source.IsEmpty)
        {
            return maskOffset;
        }

        // Rotate the key so that its octet at maskOffset comes first; building it in memory keeps this
        // independent of the machine's byte order.
        Span<byte> key = stackalloc byte[4];
        WriteMaskKey(maskKey, key);
        Span<byte> rotatedKey = stackalloc byte[4];
        for (int k = 0; k < 4; k++)
        {
            rotatedKey[k] = key[(maskOffset + k) & 3];
        }

        uint rotated = MemoryMarshal.Read<uint>(rotatedKey);
        int i = 0;
        if (Vector.IsHardwareAccelerated && source.Length >= Vector<byte>.Count)
        {
            // Vector<byte>.Count is a multiple of 4, so the key pattern lines up at every vector boundary.
            var mask = new Vector<uint>(rotated).As<uint, byte>();
            var sourceVectors = MemoryMarshal.Cast<byte, Vector<byte>>(source);
            var destinationVectors = MemoryMarshal.Cast<byte, Vector<byte>>(destination);
            for (int v = 0; v < sourceVectors.Length; v++)
            {
                destinationVectors[v] = sourceVectors[v] ^ mask;
            }

            i = sourceVectors.Length * Vector<byte>.Count;
        }

        ulong mask64 = rotated | ((ulong)rotated << 32);
        for (; i + sizeof(ulong) <= source.Length; i += sizeof(ulong))
        {
            ulong value = MemoryMarshal.Read<ulong>(source[i..]);
            value ^= mask64;
            MemoryMarshal.Write(destination[i..], in value);
        }

        for (; i < source.Length; i++)
        {
            destination[i] = (byte)(source[i] ^ rotatedKey[i & 3]);
        }

        return (maskOffset + source.Length) & 3;
    }
}
