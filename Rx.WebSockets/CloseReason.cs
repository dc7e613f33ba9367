using System.Text;

namespace Rx.WebSockets;

/// <summary>
/// Why a WebSocket connection closed: a <see cref="CloseCode"/> and a message (Ktor's <c>CloseReason(code, message)</c>).
/// </summary>
/// <remarks>
/// A Close frame's payload is at most 125 bytes (RFC 6455 §5.5), two of which carry the code, so the message
/// is at most <see cref="MaxMessageByteCount"/> UTF-8 bytes. The constructor rejects a longer message;
/// <see cref="Truncated"/> cuts one on a character boundary instead.
/// </remarks>
public sealed record CloseReason
{
    /// <summary>The largest message, in UTF-8 bytes, that fits a Close frame: 125 − 2 = 123.</summary>
    public const int MaxMessageByteCount = 123;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Creates a close reason.</summary>
    /// <param name="code">The close code.</param>
    /// <param name="message">The message; at most 123 bytes once encoded as UTF-8.</param>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="message"/> is longer than 123 UTF-8 bytes, or is not valid UTF-16.</exception>
    public CloseReason(CloseCode code, string message = "")
    {
        ArgumentNullException.ThrowIfNull(message);
        int byteCount;
        try
        {
            byteCount = s_strictUtf8.GetByteCount(message);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("The close message is not valid UTF-16 (lone surrogate).", nameof(message), e);
        }

        if (byteCount > MaxMessageByteCount)
        {
            throw new ArgumentException(
                $"The close message is {byteCount} UTF-8 bytes; a Close frame holds at most {MaxMessageByteCount}.", nameof(message));
        }

        Code = code;
        Message = message;
    }

    /// <summary>The close code.</summary>
    public CloseCode Code { get; }

    /// <summary>The message, at most 123 UTF-8 bytes; empty when none was given.</summary>
    public string Message { get; }

    /// <summary>(1000, ""): normal closure with no message.</summary>
    public static CloseReason Normal { get; } = new(CloseCode.Normal);

    /// <summary>(1001, ""): the endpoint is going away.</summary>
    public static CloseReason GoingAway { get; } = new(CloseCode.GoingAway);

    /// <summary>Creates a close reason, cutting <paramref name="message"/> to 123 UTF-8 bytes on a character boundary.</summary>
    /// <param name="code">The close code.</param>
    /// <param name="message">Any message; lone surrogates are replaced by U+FFFD.</param>
    /// <returns>A close reason whose message is the longest whole-character prefix that fits.</returns>
    public static CloseReason Truncated(CloseCode code, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var bytes = Encoding.UTF8.GetBytes(message); // replaces lone surrogates
        if (bytes.Length <= MaxMessageByteCount)
        {
            return new CloseReason(code, Encoding.UTF8.GetString(bytes));
        }

        int end = MaxMessageByteCount;
        // Step back over continuation bytes (10xxxxxx) so that the cut falls before a lead byte.
        while (end > 0 && (bytes[end] & 0xC0) == 0x80)
        {
            end--;
        }

        return new CloseReason(code, Encoding.UTF8.GetString(bytes, 0, end));
    }

    /// <summary>Returns "CloseReason(1000 Normal, message)".</summary>
    /// <returns>The display form.</returns>
    public override string ToString() => $"CloseReason({Code}, {Message})";
}
