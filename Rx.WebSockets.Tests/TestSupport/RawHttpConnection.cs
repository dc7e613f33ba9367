using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Tests.TestSupport;

/// <summary>
/// A loopback TCP client that speaks raw HTTP (Kestrel's functional-test <c>TestConnection</c>): lines are joined
/// with CRLF, responses are compared byte for byte. Every operation gives up after <see cref="Timeout"/>, so a
/// server that hangs fails the test instead of hanging it.
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    /// <summary>How long any single operation may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _buffered;
    private int _offset;

    private RawHttpConnection(Socket socket) => _socket = socket;

    /// <summary>The client socket.</summary>
    public Socket Socket => _socket;

    /// <summary>Connects to <paramref name="endPoint"/>.</summary>
    public static async Task<RawHttpConnection> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(endPoint, cts.Token);
        return new RawHttpConnection(socket);
    }

    /// <summary>Sends the lines joined with CRLF (no CRLF is added after the last one: end with "" to finish a head).</summary>
    public Task Send(params string[] lines) => SendBytes(Encoding.Latin1.GetBytes(string.Join("\r\n", lines)));

    /// <summary>Sends raw bytes.</summary>
    public async Task SendBytes(ReadOnlyMemory<byte> bytes)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None, cts.Token);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Half-closes the client's sending side (FIN), as a client that has sent its last request.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads exactly the bytes of the lines joined with CRLF and asserts they are those bytes.</summary>
    public async Task Receive(params string[] lines)
    {
        var expected = string.Join("\r\n", lines);
        var actual = await ReceiveExactly(Encoding.Latin1.GetByteCount(expected));
        Assert.Equal(expected, actual);
    }

    /// <summary>Reads the expected lines, then asserts that the server closed the connection cleanly (FIN).</summary>
    public async Task ReceiveEnd(params string[] lines)
    {
        await Receive(lines);
        await AssertClosedCleanly();
    }

    /// <summary>Reads <paramref name="count"/> bytes (Latin-1 text); fails if the connection ends first.</summary>
    public async Task<string> ReceiveExactly(int count)
    {
        var bytes = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            if (!await Fill())
            {
                Assert.Fail($"The connection ended after {filled} of {count} bytes: '{Escape(Encoding.Latin1.GetString(bytes, 0, filled))}'.");
            }

            int take = Math.Min(count - filled, _buffered - _offset);
            Array.Copy(_buffer, _offset, bytes, filled, take);
            _offset += take;
            filled += take;
        }

        return Encoding.Latin1.GetString(bytes);
    }

    /// <summary>Reads up to and including the next empty line (a response head) and returns it.</summary>
    public async Task<string> ReceiveHead()
    {
        var head = new StringBuilder();
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (!await Fill())
            {
                Assert.Fail($"The connection ended inside a head: '{Escape(head.ToString())}'.");
            }

            head.Append((char)_buffer[_offset++]);
        }

        return head.ToString();
    }

    /// <summary>Reads until the server closes the connection and returns everything read.</summary>
    public async Task<string> ReceiveToEnd()
    {
        var all = new List<byte>();
        while (await Fill())
        {
            all.AddRange(_buffer.AsSpan(_offset, _buffered - _offset).ToArray());
            _offset = _buffered;
        }

        return Encoding.Latin1.GetString(all.ToArray());
    }

    /// <summary>Asserts that nothing more arrives and the server half-closed the connection (a FIN, not a reset).</summary>
    public async Task AssertClosedCleanly()
    {
        bool more = await Fill();
        Assert.False(more, $"Expected the end of the connection, got '{Escape(Encoding.Latin1.GetString(_buffer, _offset, _buffered - _offset))}'.");
    }

    /// <summary>Asserts that the server reset the connection (RST), after any bytes it had sent.</summary>
    public async Task AssertReset()
    {
        try
        {
            while (await Fill())
            {
                _offset = _buffered;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return;
        }

        Assert.Fail("Expected a connection reset, got a clean end of stream.");
    }

    /// <summary>Closes the client socket.</summary>
    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string Escape(string text) => text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    // False at the end of the stream.
    private async Task<bool> Fill()
    {
        if (_offset < _buffered)
        {
            return true;
        }

        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            _buffered = await _socket.ReceiveAsync(_buffer, SocketFlags.None, cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No bytes from the server within {Timeout.TotalSeconds} s.");
        }

        _offset = 0;
        return _buffered > 0;
    }
}
