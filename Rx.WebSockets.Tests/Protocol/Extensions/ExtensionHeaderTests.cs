using System.Collections.Generic;
using System.Linq;
using Rx.WebSockets.Protocol.Extensions;

namespace Rx.WebSockets.Tests.Protocol.Extensions;

/// <summary>
/// RFC 6455 §9.1 <c>Sec-WebSocket-Extensions</c> grammar: extension lists, parameters with and without values,
/// quoted-string values that must unescape to tokens, optional whitespace, empty list elements (RFC 9110 §5.6.1.2),
/// several field lines, and the canonical form written back.
/// </summary>
public sealed class ExtensionHeaderTests
{
    [Fact]
    public void TryParseList_BareExtension_OneElementWithoutParameters()
    {
        Assert.True(ExtensionHeader.TryParseList("permessage-deflate", out var elements));
        var element = Assert.Single(elements);
        Assert.Equal("permessage-deflate", element.Name);
        Assert.Empty(element.Parameters);
    }

    [Fact]
    public void TryParseList_ChromiumOffer_ParameterWithoutValue()
    {
        Assert.True(ExtensionHeader.TryParseList("permessage-deflate; client_max_window_bits", out var elements));
        var parameter = Assert.Single(Assert.Single(elements).Parameters);
        Assert.Equal("client_max_window_bits", parameter.Name);
        Assert.Null(parameter.Value);
    }

    [Fact]
    public void TryParseList_SeveralOffers_ElementsInOrderWithTheirParameters()
    {
        const string Header = "permessage-deflate; server_max_window_bits=10; client_no_context_takeover, permessage-deflate, x-webkit-deflate-frame";
        Assert.True(ExtensionHeader.TryParseList(Header, out var elements));
        Assert.Equal(["permessage-deflate", "permessage-deflate", "x-webkit-deflate-frame"], elements.Select(e => e.Name));
        Assert.Equal(
            [new ExtensionParameter("server_max_window_bits", "10"), new ExtensionParameter("client_no_context_takeover")],
            elements[0].Parameters);
        Assert.Empty(elements[1].Parameters);
    }

    [Theory]
    [InlineData("foo; bar=\"10\"", "10")]
    [InlineData("foo; bar=\"b\\az\"", "baz")]
    [InlineData("foo; bar=\"\\\"\"", null)]
    [InlineData("foo; bar=\"a b\"", null)]
    [InlineData("foo; bar=\"\"", null)]
    [InlineData("foo; bar=\"10", null)]
    [InlineData("foo; bar=\"10\\", null)]
    [InlineData("foo; bar=\"1,0\"", null)]
    public void TryParseList_QuotedValue_UnescapesToTokenOrIsMalformed(string header, string? expected)
    {
        bool parsed = ExtensionHeader.TryParseList(header, out var elements);
        Assert.Equal(expected is not null, parsed);
        if (expected is not null)
        {
            Assert.Equal(expected, Assert.Single(Assert.Single(elements).Parameters).Value);
        }
        else
        {
            Assert.Empty(elements);
        }
    }

    [Fact]
    public void TryParseList_WhitespaceAroundSeparators_Accepted()
    {
        Assert.True(ExtensionHeader.TryParseList(" a ;\tb = 1 ; c ,\td ", out var elements));
        Assert.Equal(["a; b=1; c", "d"], elements.Select(e => e.ToString()));
    }

    [Fact]
    public void TryParseList_EmptyListElements_Skipped()
    {
        Assert.True(ExtensionHeader.TryParseList(", a,, b ,", out var elements));
        Assert.Equal(["a", "b"], elements.Select(e => e.Name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(", ,")]
    [InlineData(";")]
    [InlineData("a;")]
    [InlineData("a; ;b")]
    [InlineData("a;=1")]
    [InlineData("a; b=")]
    [InlineData("a; b= ;c")]
    [InlineData("a b")]
    [InlineData("a=1")]
    [InlineData("a; b=1 2")]
    [InlineData("a; b=c=d")]
    [InlineData("a; b=\"1\"x")]
    [InlineData("a; b=1/2")]
    [InlineData("a(b)")]
    [InlineData("a; b\u00e9")]
    [InlineData("\"a\"")]
    public void TryParseList_Malformed_ReturnsFalseAndNoElements(string header)
    {
        Assert.False(ExtensionHeader.TryParseList(header, out var elements));
        Assert.Empty(elements);
    }

    [Fact]
    public void TryParseList_SeveralFieldLines_OneListInOrder()
    {
        Assert.True(ExtensionHeader.TryParseList(["a; x", "b, c"], out var elements));
        Assert.Equal(["a", "b", "c"], elements.Select(e => e.Name));
    }

    [Fact]
    public void TryParseList_OneMalformedLine_WholeListMalformed()
    {
        Assert.False(ExtensionHeader.TryParseList(["a", "b;"], out var elements));
        Assert.Empty(elements);
    }

    [Fact]
    public void TryParseList_DuplicateParameters_KeptForTheExtensionToJudge()
    {
        Assert.True(ExtensionHeader.TryParseList("a; x=1; x=2", out var elements));
        Assert.Equal(["1", "2"], Assert.Single(elements).Parameters.Select(p => p.Value));
    }

    [Fact]
    public void ToString_CanonicalForm_SemicolonSpaceAndBareValues()
    {
        var element = new ExtensionHeader(
            "permessage-deflate",
            [new ExtensionParameter("server_no_context_takeover"), new ExtensionParameter("server_max_window_bits", "15")]);
        Assert.Equal("permessage-deflate; server_no_context_takeover; server_max_window_bits=15", element.ToString());
    }

    [Fact]
    public void FormatList_SeveralElements_JoinedWithCommaSpace()
    {
        Assert.Equal("a; b, c", ExtensionHeader.FormatList([new ExtensionHeader("a", [new ExtensionParameter("b")]), new ExtensionHeader("c")]));
    }

    [Theory]
    [InlineData("permessage-deflate")]
    [InlineData("permessage-deflate; client_max_window_bits")]
    [InlineData("a; b=1; c, d; e=f")]
    public void FormatList_ParsedCanonicalText_RoundTrips(string header)
    {
        Assert.True(ExtensionHeader.TryParseList(header, out var elements));
        Assert.Equal(header, ExtensionHeader.FormatList(elements));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a;b")]
    [InlineData("\"a\"")]
    public void Constructor_NameNotAToken_Throws(string name)
    {
        Assert.Throws<ArgumentException>(() => new ExtensionHeader(name));
        Assert.Throws<ArgumentException>(() => new ExtensionParameter(name));
        Assert.Throws<ArgumentException>(() => new ExtensionParameter("x", name));
    }

    [Fact]
    public void Constructor_Nulls_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new ExtensionHeader(null!));
        Assert.Throws<ArgumentNullException>(() => new ExtensionHeader("a", new List<ExtensionParameter> { null! }));
        Assert.Throws<ArgumentNullException>(() => ExtensionHeader.TryParseList((string)null!, out _));
    }
}
