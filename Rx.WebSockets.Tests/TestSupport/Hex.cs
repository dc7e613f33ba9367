using System.Globalization;
using System.Text;

namespace Rx.WebSockets.Tests.TestSupport;

/// <summary>Hex strings ("81 05 48 65") to bytes and back, for wire expectations.</summary>
public static class Hex
{
    /// <summary>Parses hex with optional spaces, dashes or new lines between bytes.</summary>
    public static byte[] Parse(string hex)
    {
        var digits = new StringBuilder(hex.Length);
        foreach (var c in hex)
        {
            if (Uri.IsHexDigit(c))
            {
                digits.Append(c);
            }
            else if (!char.IsWhiteSpace(c) && c != '-')
            {
                throw new FormatException($"'{c}' is not a hex digit.");
            }
        }

        return Convert.FromHexString(digits.ToString());
    }

    /// <summary>Formats bytes as "81 05 48 65".</summary>
    public static string Format(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }

            builder.Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>Asserts that <paramref name="actual"/> equals the hex <paramref name="expected"/>, printing both sides as hex.</summary>
    public static void AssertEqual(string expected, ReadOnlySpan<byte> actual) =>
        Assert.Equal(Format(Parse(expected)), Format(actual));
}
