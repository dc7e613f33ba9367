using System.Buffers;
using System.Collections.Generic;
using System.Text;
using Rx.WebSockets.Http;

namespace Rx.WebSockets.Tests.Http;

/// <summary>
/// RFC 9110 §5.5 field values, §5.6.3 OWS, §5.6.4 quoted-string, §5.6.6 parameters (and RFC 6455 §9.1
/// extension-param), RFC 9112 §5 field lines: the shared syntax that every HTTP parser and writer goes through.
/// </summary>
public sealed class HttpSyntaxTests
{
    // Each row: the text after a token, what the RFC 9110 rules read, what the RFC 6455 extension rules read.
    // "a=1,b" lists parameters, "@n" where the list ends, "!" an error.
    [Theory]
    [InlineData("; a=1", "a=1@5", "a=1@5")]
    [InlineData(" ;a=1 ; b=\"x y\" ", "a=1,b=x y@16", "a=1,b=x y@16")]
    [InlineData("; a = 1", "!", "a=1@7")]
    [InlineData("; a", "!", "a@3")]
    [InlineData("; a , b", "!", "a@4")]
    [InlineData(";; a=1;", "a=1@7", "!")]
    [InlineData("; a=1; ", "a=1@7", "!")]
    [InlineData("; a=", "!", "!")]
    [InlineData("; a=\"x", "!", "!")]
    [InlineData("; =1", "!", "!")]
    [InlineData("; a=\"\"", "a=@6", "a=@6")]
    [InlineData(" x", "@1", "@1")]
    public void ParameterReader_SameText_ReadsAsEachGrammarSays(string text, string rfc9110, string rfc6455)
    {
        Assert.Equal(rfc9110, Read(text, HttpParameterRules.Rfc9110));
        Assert.Equal(rfc6455, Read(text, HttpParameterRules.Rfc6455Extension));
    }

    [Theory]
    [InlineData("form-data; name=a; filename=\"b\\\"c\"", 9, null)]
    [InlineData("form-data; name=a b", 9, "unexpected 'b' at offset 18: parameters must be separated by ';'")]
    [InlineData("form-data; name", 9, "parameter 'name' has no '=' directly after its name")]
    public void ReadParameters_ToTheEnd_ReturnsNullOrWhatIsWrong(string value, int start, string? error)
    {
        var parameters = new List<KeyValuePair<string, string>>();
        Assert.Equal(error, HttpSyntax.ReadParameters(value, start, parameters));
        if (error is null)
        {
            Assert.Equal(new KeyValuePair<string, string>[] { new("name", "a"), new("filename", "b\"c") }, parameters);
        }
    }

    [Theory]
    [InlineData("\"a\\\"b\\\\c\" tail", "a\"b\\c", 9)]
    [InlineData("\"\" tail", "", 2)]
    [InlineData("\"\u00e9\u0085\"", "\u00e9\u0085", 4)]
    [InlineData("\"a\tb\"", "a\tb", 5)]
    [InlineData("\"a", null, 0)]
    [InlineData("\"a\\", null, 0)]
    [InlineData("\"a\u0001\"", null, 0)]
    [InlineData("\"a\\\u007F\"", null, 0)]
    public void ReadQuotedString_Text_UnescapesOrRefuses(string text, string? expected, int end)
    {
        int i = 0;
        Assert.Equal(expected, HttpSyntax.ReadQuotedString(text, ref i));
        Assert.Equal(end, i);
    }

    [Theory]
    [InlineData("Host: example.com", true, "None", -1, "Host", "example.com")]
    [InlineData("X: \t a b \t", true, "None", -1, "X", "a b")]
    [InlineData("X:", true, "None", -1, "X", "")]
    [InlineData(" X: a", true, "ObsoleteLineFolding", -1, "", "")]
    [InlineData("\tX: a\r", true, "ObsoleteLineFolding", -1, "", "")]
    [InlineData("X: a\rb", true, "BareCR", -1, "", "")]
    [InlineData("X: a\rb", false, "InvalidValue", 1, "X", "a\rb")]
    [InlineData("X\r: a", false, "InvalidName", 1, "X\r", "")]
    [InlineData("no colon\r", true, "BareCR", -1, "", "")]
    [InlineData("no colon", true, "MissingColon", -1, "", "")]
    [InlineData(": a", true, "InvalidName", -1, "", "")]
    [InlineData("X : a", true, "InvalidName", 1, "X ", "")]
    [InlineData("X(: a", true, "InvalidName", 1, "X(", "")]
    [InlineData("X: a\u0000", true, "InvalidValue", 1, "X", "a\u0000")]
    [InlineData("X: a\u007F", true, "InvalidValue", 1, "X", "a\u007F")]
    [InlineData("X: caf\u00e9", true, "None", -1, "X", "caf\u00e9")]
    public void ParseFieldLine_Line_SplitsOrNamesTheFirstFault(
        string line,
        bool rejectBareCR,
        string expected,
        int errorIndex,
        string name,
        string value)
    {
        var error = HttpSyntax.ParseFieldLine(Encoding.Latin1.GetBytes(line), rejectBareCR, out var nameBytes, out var valueBytes, out int index);

        Assert.Equal(Enum.Parse<HttpSyntax.FieldLineError>(expected), error);
        Assert.Equal(errorIndex, index);
        Assert.Equal(name, Encoding.Latin1.GetString(nameBytes));
        Assert.Equal(value, Encoding.Latin1.GetString(valueBytes));
    }

    [Fact]
    public void IsFieldValue_CharsAndBytes_AgreeOnEveryLatin1Character()
    {
        for (int c = 0; c <= 0xFF; c++)
        {
            bool expected = c == '\t' || (c >= 0x20 && c != 0x7F);
            Assert.True(expected == HttpSyntax.IsFieldValue([(char)c]), $"char U+{c:X4}");
            Assert.True(expected == HttpSyntax.IsFieldValue([(byte)c]), $"byte 0x{c:X2}");
        }

        Assert.False(HttpSyntax.IsFieldValue("\u0100"));
        Assert.Equal(2, HttpSyntax.IndexOfNonFieldValue("ab\u0100\n"));
        Assert.Equal(-1, HttpSyntax.IndexOfNonFieldValue("a\tb"));
    }

    [Fact]
    public void WriteHead_NoFields_WritesTheLineAndTheEmptyLine()
    {
        var output = new ArrayBufferWriter<byte>();
        HttpSyntax.WriteHead(output, "0", null);
        Assert.Equal("0\r\n\r\n", Encoding.Latin1.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("Bad Name", "v")]
    [InlineData("X", "a\r\nInjected: 1")]
    public void WriteHead_UnsafeField_ThrowsAndWritesNothing(string name, string value)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<InvalidOperationException>(() => HttpSyntax.WriteHead(output, "GET / HTTP/1.1", new HttpHeaders().Add(name, value)));
        Assert.Equal(0, output.WrittenCount);
    }

    private static string Read(string text, HttpParameterRules rules)
    {
        var reader = new HttpParameterReader(text, 0, rules);
        var read = new List<string>();
        while (reader.TryRead(out string name, out string? value))
        {
            read.Add(value is null ? name : name + "=" + value);
        }

        return reader.Error is not null ? "!" : string.Join(",", read) + "@" + reader.Position;
    }
}
