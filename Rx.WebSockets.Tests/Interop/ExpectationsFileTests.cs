using System.Linq;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// expected-interop.json against the suite: a section per peer the suite drives and none for a peer it does not, and in
/// the sections checked scenario by scenario, exactly the scenarios the tests name (a stale entry would never be compared).
/// The sections of scripted peers are diffed whole, so their stale entries already fail their own test.
/// </summary>
[Trait("Category", "Interop")]
public sealed class ExpectationsFileTests
{
    [Fact]
    public void ExpectationsFile_HasASectionPerPeer_AndNoOther()
    {
        string[] peers = { ClientWebSocketTests.Peer, NodeWsTests.Peer, PythonWebSocketsTests.Peer, ChromiumTests.Peer, CurlTests.Peer };

        Assert.Equal(peers.Order(), Expectations.File.Select(p => p.Key).Order());
    }

    [Theory]
    [InlineData(ClientWebSocketTests.Peer, typeof(ClientWebSocketTests))]
    [InlineData(CurlTests.Peer, typeof(CurlTests))]
    public void ExpectationsFile_ScenarioSection_ListsExactlyTheScenariosOfItsTests(string peer, Type tests)
    {
        Assert.Equal(Expectations.ScenariosOf(tests).Order(), Expectations.Section(peer).Select(p => p.Key).Order());
    }
}
