using System.Linq;
using System.Text;

namespace Rx.WebSockets.Tests;

/// <summary>RFC 6455 §7.4 close codes and the 123-byte close message limit (§5.5).</summary>
public sealed class CloseReasonTests
{
    [Theory]
    [InlineData(999, false)]
    [InlineData(1000, true)]
    [InlineData(1003, true)]
    [InlineData(1004, false)]
    [InlineData(1005, false)]
    [InlineData(1006, false)]
    [InlineData(1007, true)]
    [InlineData(1011, true)]
    [InlineData(1012, true)]
    [InlineData(1013, true)]
    [InlineData(1014, true)]
    [InlineData(1015, false)]
    [InlineData(1016, false)]
    [InlineData(2999, false)]
    [InlineData(3000, true)]
    [InlineData(4999, true)]
    [InlineData(5000, false)]
    [InlineData(0, false)]
    public void CloseCode_IsSendable_FollowsRfc6455Section7_4(int code, bool sendable)
    {
        Assert.Equal(sendable, new CloseCode((ushort)code).IsSendable);
        Assert.Equal(sendable, new CloseCode((ushort)code).IsValidOnReceive);
    }

    [Fact]
    public void CloseCode_NamesFollowKtor()
    {
        Assert.Equal(1000, CloseCode.Normal.Value);
        Assert.Equal(1003, CloseCode.CannotAccept.Value);
        Assert.Equal(1007, CloseCode.NotConsistent.Value);
        Assert.Equal(1008, CloseCode.ViolatedPolicy.Value);
        Assert.Equal(1009, CloseCode.TooBig.Value);
        Assert.Equal(1010, CloseCode.NoExtension.Value);
        Assert.Equal(1013, CloseCode.TryAgainLater.Value);
        Assert.Equal("1011 InternalError", CloseCode.InternalError.ToString());
        Assert.Equal("4000", new CloseCode(4000).ToString());
    }

    [Fact]
    public void Message_Of123Utf8Bytes_IsAccepted_124IsRejected()
    {
        Assert.Equal(123, new CloseReason(CloseCode.Normal, new string('a', 123)).Message.Length);
        Assert.Throws<ArgumentException>(() => new CloseReason(CloseCode.Normal, new string('a', 124)));
        // 62 two-byte characters = 124 bytes.
        Assert.Throws<ArgumentException>(() => new CloseReason(CloseCode.Normal, new string('é', 62)));
    }

    [Fact]
    public void Truncated_CutsOnCharacterBoundary()
    {
        var reason = CloseReason.Truncated(CloseCode.InternalError, new string('é', 100));
        Assert.Equal(61, reason.Message.Length);
        Assert.True(Encoding.UTF8.GetByteCount(reason.Message) <= 123);

        var emoji = CloseReason.Truncated(CloseCode.InternalError, string.Concat(Enumerable.Repeat("😀", 40)));
        Assert.Equal(30, emoji.Message.Length / 2);
        Assert.Equal("short", CloseReason.Truncated(CloseCode.Normal, "short").Message);
    }
}
