using System.Security.Cryptography;
using System.Text;

namespace Rx.WebSockets.Protocol.Handshake;

/// <summary>
/// The two values of the opening handshake that prove both ends speak WebSocket: the client's
/// <c>Sec-WebSocket-Key</c> nonce (RFC 6455 §4.1) and the server's <c>Sec-WebSocket-Accept</c> answer (§4.2.2).
/// </summary>
/// <remarks>Thread-safety: stateless.</remarks>
public static class HandshakeKeys
{
    /// <summary>The GUID that RFC 6455 §1.3 appends to the key before hashing.</summary>
    public const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The length of the nonce before base64: RFC 6455 §4.1 "a randomly selected 16-byte value".</summary>
    public const int NonceLength = 16;

    // base64 of 16 bytes: five full 4-character groups (15 bytes) and "XX==" for the last byte.
    private const int KeyLength = 24;
    private const int Sha1Length = 20;
    private const int StackBufferLength = 256;

    private static ReadOnlySpan<byte> GuidBytes => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    /// <summary>
    /// Computes <c>Sec-WebSocket-Accept</c> for a <c>Sec-WebSocket-Key</c>: base64(SHA-1(key + <see cref="Guid"/>)).
    /// </summary>
    /// <param name="secWebSocketKey">The key exactly as sent (base64 text, not decoded).</param>
    /// <returns>The 28-character accept value; <c>dGhlIHNhbXBsZSBub25jZQ==</c> gives <c>s3pPLMBiTxaQ9kYGzzhZRbK+xOo=</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="secWebSocketKey"/> is null.</exception>
    /// <remarks>Allocates only the returned string for keys up to about 70 characters.</remarks>
    public static string ComputeAccept(string secWebSocketKey)
    {
        ArgumentNullException.ThrowIfNull(secWebSocketKey);

        // RFC 6455 §4.2.2: "concatenating /key/ ... with the string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", taking
        // the SHA-1 hash of this concatenated value to obtain a 20-byte value and base64-encoding ... this 20-byte hash."
        // A valid key is ASCII; UTF-8 only decides what an invalid one hashes to.
        int maxLength = Encoding.UTF8.GetMaxByteCount(secWebSocketKey.Length) + GuidBytes.Length;
        Span<byte> buffer = maxLength <= StackBufferLength ? stackalloc byte[StackBufferLength] : new byte[maxLength];
        int keyBytes = Encoding.UTF8.GetBytes(secWebSocketKey, buffer);
        GuidBytes.CopyTo(buffer[keyBytes..]);

        Span<byte> hash = stackalloc byte[Sha1Length];

        // SHA-1 is what the peer computes, and RFC 6455 §10.8: the handshake "doesn't depend on any security
        // properties of SHA-1, such as collision resistance or resistance to the second pre-image attack".
        SHA1.HashData(buffer[..(keyBytes + GuidBytes.Length)], hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>Creates a fresh <c>Sec-WebSocket-Key</c> from 16 bytes of <see cref="RandomNumberGenerator"/>.</summary>
    /// <returns>A 24-character base64 key.</returns>
    /// <remarks>RFC 6455 §4.1: "The nonce MUST be selected randomly for each connection."</remarks>
    public static string CreateKey()
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        RandomNumberGenerator.Fill(nonce);
        return CreateKey(nonce);
    }

    /// <summary>Encodes a given 16-byte nonce as a <c>Sec-WebSocket-Key</c> (deterministic, for tests and custom entropy).</summary>
    /// <param name="nonce">Exactly <see cref="NonceLength"/> bytes, which the caller selected randomly.</param>
    /// <returns>The base64 of <paramref name="nonce"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="nonce"/> is not 16 bytes long.</exception>
    public static string CreateKey(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != NonceLength)
        {
            throw new ArgumentException($"A Sec-WebSocket-Key nonce is {NonceLength} bytes long, not {nonce.Length}.", nameof(nonce));
        }

        return Convert.ToBase64String(nonce);
    }

    /// <summary>Whether <paramref name="value"/> is a valid <c>Sec-WebSocket-Key</c>: padded base64 that decodes to exactly 16 bytes.</summary>
    /// <param name="value">The header value (already trimmed by the HTTP parser).</param>
    /// <returns><see langword="true"/> when valid.</returns>
    /// <remarks>
    /// Strict about the alphabet and padding of RFC 4648 §4 (no whitespace inside, no URL-safe <c>-_</c>, no
    /// missing <c>==</c>), lenient about non-zero pad bits (RFC 4648 §3.5 lets decoders accept them, and the
    /// example key printed in RFC 6455 §4.1, <c>AQIDBAUGBwgJCgsMDQ4PEC==</c>, has them).
    /// </remarks>
    public static bool IsValidKey(string? value)
    {
        // RFC 6455 §4.2.1: "A |Sec-WebSocket-Key| header field with a base64-encoded (see Section 4 of [RFC4648])
        // value that, when decoded, is 16 bytes in length." Convert's decoder skips whitespace inside its input, but
        // with exactly 24 characters any whitespace leaves at most 20 base64 characters, i.e. 15 bytes, so the
        // length checks below also refuse keys with spaces inside; unpadded keys are 22 characters.
        if (value is null || value.Length != KeyLength)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[NonceLength];
        return Convert.TryFromBase64String(value, decoded, out int written) && written == NonceLength;
    }
}
