using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;
using Rx.WebSockets.Protocol.Handshake;

namespace Rx.WebSockets.Tests.Protocol.Handshake;

/// <summary>RFC 6455 §1.3 and §4.1: the Sec-WebSocket-Key nonce and the Sec-WebSocket-Accept answer.</summary>
public sealed class HandshakeKeysTests
{
    [Fact]
    public void ComputeAccept_Rfc6455Section1_3SampleKey_GivesSampleAccept()
    {
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", HandshakeKeys.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    [Fact]
    public void ComputeAccept_RandomKeys_MatchNaiveConcatenateHashEncode()
    {
        var random = new Random(6455);
        var nonce = new byte[HandshakeKeys.NonceLength];
        for (int i = 0; i < 200; i++)
        {
            random.NextBytes(nonce);
            string key = Convert.ToBase64String(nonce);

            string expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + HandshakeKeys.Guid)));

            Assert.Equal(expected, HandshakeKeys.ComputeAccept(key));
        }
    }

    [Fact]
    public void ComputeAccept_KeyLongerThanStackBuffer_StillCorrect()
    {
        string key = new('A', 1000);
        string expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + HandshakeKeys.Guid)));

        Assert.Equal(expected, HandshakeKeys.ComputeAccept(key));
    }

    [Fact]
    public void Guid_IsTheRfc6455Constant()
    {
        Assert.Equal("258EAFA5-E914-47DA-95CA-C5AB0DC85B11", HandshakeKeys.Guid);
    }

    [Fact]
    public void CreateKey_Rfc6455Section1_3SampleNonce_GivesSampleKey()
    {
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", HandshakeKeys.CreateKey("the sample nonce"u8));
    }

    [Fact]
    public void CreateKey_Rfc6455Section4_1ExampleBytes_GivesCanonicalBase64()
    {
        // RFC 6455 §4.1 prints "AQIDBAUGBwgJCgsMDQ4PEC==" for 0x01..0x10; the canonical encoding ends in "EA==".
        byte[] nonce = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10];

        Assert.Equal("AQIDBAUGBwgJCgsMDQ4PEA==", HandshakeKeys.CreateKey(nonce));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(17)]
    public void CreateKey_NonceNot16Bytes_Throws(int length)
    {
        Assert.Throws<ArgumentException>(() => HandshakeKeys.CreateKey(new byte[length]));
    }

    [Fact]
    public void CreateKey_Random_ValidAndFreshEachTime()
    {
        var keys = new HashSet<string>();
        for (int i = 0; i < 64; i++)
        {
            string key = HandshakeKeys.CreateKey();
            Assert.True(HandshakeKeys.IsValidKey(key), key);
            Assert.True(keys.Add(key), $"Key {key} repeated.");
        }
    }

    [Theory]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==")]
    [InlineData("AQIDBAUGBwgJCgsMDQ4PEA==")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("/////////////////////w==")]
    [InlineData("+++++++++++++++++++++w==")]
    public void IsValidKey_Base64Of16Bytes_True(string key)
    {
        Assert.True(HandshakeKeys.IsValidKey(key));
    }

    [Fact]
    public void IsValidKey_Rfc6455Section4_1PrintedExampleWithNonZeroPadBits_True()
    {
        // Lenient on pad bits (RFC 4648 §3.5 allows it), so the RFC's own example key is accepted.
        Assert.True(HandshakeKeys.IsValidKey("AQIDBAUGBwgJCgsMDQ4PEC=="));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ=")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ===")]
    [InlineData("AAECAwQFBgcICQoLDA0O")]
    [InlineData("AAECAwQFBgcICQoLDA0ODxAR")]
    [InlineData("AAECAwQFBgcICQoLDA0ODxA=")]
    [InlineData("dGhl IHNhbXBsZSBub25jZQ==")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ= =")]
    [InlineData("dGhlIHNhbXBsZSBub25j\tQ==")]
    [InlineData("AAECAwQF BgcICQoL DA0O  ")]
    [InlineData("AAECAwQFBgcICQoLDA0O\r\n\r\n")]
    [InlineData("-_________________-___w==")]
    [InlineData("dGhlIHNhbXBsZSBub25jZ\u00E9==")]
    [InlineData("========================")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ==")]
    public void IsValidKey_NotBase64Of16Bytes_False(string? key)
    {
        Assert.False(HandshakeKeys.IsValidKey(key));
    }
}
