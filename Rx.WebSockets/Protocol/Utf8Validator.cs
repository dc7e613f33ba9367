namespace Rx.WebSockets.Protocol;

/// <summary>
/// An incremental UTF-8 validator (RFC 3629 §4, the Unicode "Well-Formed UTF-8 Byte Sequences" table), resumable
/// at any byte: a text message may be fed fragment by fragment, and a fragment piece by piece, with characters
/// split anywhere.
/// </summary>
/// <remarks>
/// <para>
/// RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is not,
/// in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_." The validator therefore
/// reports failure on the first byte that cannot start or continue a well-formed sequence, without waiting
/// for the rest of the input: overlong forms (C0, C1, E0 80–9F, F0 80–8F), UTF-16 surrogates (ED A0–BF),
/// code points above U+10FFFF (F4 90–BF, F5–FF) and unexpected continuation bytes all fail at once. A sequence
/// cut short by the end of the input is not an error until the caller asks <see cref="IsComplete"/>.
/// </para>
/// <para>
/// Once <see cref="Advance"/> has returned <see langword="false"/> the validator stays failed until <see cref="Reset"/>.
/// The default value is a fresh validator. It is a small mutable struct: store it in a field and call it
/// in place, copy it to save a resumption point.
/// </para>
/// <para>Thread-safety: none; a validator belongs to the one reader that feeds it.</para>
/// </remarks>
public struct Utf8Validator
{
    private const byte AsciiMax = 0x7F;
    private const byte ContinuationMin = 0x80;
    private const byte ContinuationMax = 0xBF;

    // Lead bytes per the well-formed table. C0 and C1 could only start overlong two-byte forms; F5–FF would
    // encode code points above U+10FFFF.
    private const byte TwoByteLeadMin = 0xC2;
    private const byte TwoByteLeadMax = 0xDF;
    private const byte ThreeByteLeadMax = 0xEF;
    private const byte FourByteLeadMax = 0xF4;

    // Lead bytes whose first continuation byte has a narrower range than 80–BF.
    private const byte LeadE0 = 0xE0; // second byte A0–BF: 80–9F would be overlong
    private const byte LeadED = 0xED; // second byte 80–9F: A0–BF would be a UTF-16 surrogate (U+D800–U+DFFF)
    private const byte LeadF0 = 0xF0; // second byte 90–BF: 80–8F would be overlong
    private const byte LeadF4 = 0xF4; // second byte 80–8F: 90–BF would be above U+10FFFF

    private const byte FailedState = 0xFF;

    // Continuation bytes still expected by the sequence in progress (0 between characters), or FailedState.
    private byte _pending;

    // The range allowed for the next continuation byte; only the first one after a lead byte is ever narrower.
    private byte _lower;
    private byte _upper;

    /// <summary>
    /// Whether the bytes fed so far form complete, well-formed UTF-8: no sequence is left open and no byte was
    /// invalid. Check it at the end of a message (RFC 6455 §5.6: a text message is valid UTF-8 as a whole).
    /// </summary>
    public readonly bool IsComplete => _pending == 0;

    /// <summary>Whether an invalid byte has been seen since the last <see cref="Reset"/>.</summary>
    public readonly bool HasFailed => _pending == FailedState;

    /// <summary>Validates <paramref name="utf8"/> as a whole: well-formed, with no sequence left open.</summary>
    /// <param name="utf8">The bytes.</param>
    /// <returns><see langword="true"/> when the bytes are complete, well-formed UTF-8.</returns>
    public static bool IsValid(ReadOnlySpan<byte> utf8)
    {
        var validator = default(Utf8Validator);
        return validator.Advance(utf8) && validator.IsComplete;
    }

    /// <summary>Feeds the next bytes of the text, continuing any sequence left open by the previous call.</summary>
    /// <param name="utf8">The next bytes; may end in the middle of a character.</param>
    /// <returns>
    /// <see langword="false"/> as soon as a byte cannot belong to well-formed UTF-8 (the rest is not examined);
    /// <see langword="true"/> when every byte so far is valid or may still be completed by later bytes.
    /// </returns>
    public bool Advance(ReadOnlySpan<byte> utf8)
    {
        int pending = _pending;
        if (pending == FailedState)
        {
            return false;
        }

        int lower = _lower;
        int upper = _upper;
        int i = 0;
        while (i < utf8.Length)
        {
            int b = utf8[i];
            if (pending != 0)
            {
                if (b < lower || b > upper)
                {
                    return Fail();
                }

                pending--;
                lower = ContinuationMin;
                upper = ContinuationMax;
                i++;
                continue;
            }

            if (b <= AsciiMax)
            {
                // Micro-optimisation: text is mostly ASCII, so skip runs of it with the vectorised search.
                int nonAscii = utf8[i..].IndexOfAnyExceptInRange((byte)0, AsciiMax);
                if (nonAscii < 0)
                {
                    break;
                }

                i += nonAscii;
                b = utf8[i];
            }

            i++;
            lower = ContinuationMin;
            upper = ContinuationMax;
            if (b < TwoByteLeadMin)
            {
                // A lone continuation byte (80–BF) or an overlong two-byte lead (C0, C1).
                return Fail();
            }
            else if (b <= TwoByteLeadMax)
            {
                pending = 1;
            }
            else if (b <= ThreeByteLeadMax)
            {
                pending = 2;
                if (b == LeadE0)
                {
                    lower = 0xA0;
                }
                else if (b == LeadED)
                {
                    upper = 0x9F;
                }
            }
            else if (b <= FourByteLeadMax)
            {
                pending = 3;
                if (b == LeadF0)
                {
                    lower = 0x90;
                }
                else if (b == LeadF4)
                {
                    upper = 0x8F;
                }
            }
            else
            {
                return Fail();
            }
        }

        _pending = (byte)pending;
        _lower = (byte)lower;
        _upper = (byte)upper;
        return true;
    }

    /// <summary>Forgets all state, ready for a new text.</summary>
    public void Reset() => this = default;

    private bool Fail()
    {
        _pending = FailedState;
        return false;
    }
}
