using Rx.WebSockets.Protocol;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Protocol;

/// <summary>RFC 6455 §5.3 Client-to-Server Masking: the vectorised transform against a scalar reference.</summary>
public sealed class MaskingTests
{
    private static readonly byte[] s_key = Hex.Parse("37 FA 21 3D");

    [Fact]
    public void Apply_MatchesScalarReference_ForEveryLength0To300AndEveryOffset()
    {
        var random = new Random(6455);
        uint maskKey = Masking.ReadMaskKey(s_key);
        for (int length = 0; length <= 300; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            for (int offset = 0; offset < 4; offset++)
            {
                var expected = new byte[length];
                for (int i = 0; i < length; i++)
                {
                    expected[i] = (byte)(data[i] ^ s_key[(offset + i) % 4]);
                }

                var inPlace = (byte[])data.Clone();
                int next = Masking.Apply(inPlace, maskKey, offset);
                Assert.Equal(expected, inPlace);
                Assert.Equal((offset + length) % 4, next);

                var copy = new byte[length];
                Masking.Apply(data, copy, maskKey, offset);
                Assert.Equal(expected, copy);
            }
        }
    }

    [Fact]
    public void Apply_ResumedAtEverySplitPoint_EqualsOnePass()
    {
        var data = new byte[97];
        new Random(1).NextBytes(data);
        uint maskKey = Masking.ReadMaskKey(s_key);
        var onePass = (byte[])data.Clone();
        Masking.Apply(onePass, maskKey, 0);
        for (int split = 0; split <= data.Length; split++)
        {
            var pieces = (byte[])data.Clone();
            int offset = Masking.Apply(pieces.AsSpan(0, split), maskKey, 0);
            Masking.Apply(pieces.AsSpan(split), maskKey, offset);
            Assert.Equal(onePass, pieces);
        }
    }

    [Fact]
    public void Apply_Rfc6455Section5_7_MaskedHello()
    {
        var payload = "Hello"u8.ToArray();
        Masking.Apply(payload, Masking.ReadMaskKey(s_key), 0);
        Hex.AssertEqual("7F 9F 4D 51 58", payload);
    }

    [Fact]
    public void RandomMaskKeySource_ProducesVaryingKeys()
    {
        var source = new RandomMaskKeySource();
        var keys = new System.Collections.Generic.HashSet<uint>();
        for (int i = 0; i < 200; i++)
        {
            keys.Add(source.NextMaskKey());
        }

        Assert.True(keys.Count > 190, $"only {keys.Count} distinct keys in 200");
    }
}
