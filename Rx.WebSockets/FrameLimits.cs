namespace Rx.WebSockets;

/// <summary>
/// Security limits on frames and messages. Every limit is inclusive: a payload of exactly the limit is accepted.
/// </summary>
/// <remarks>
/// The defaults follow python-websockets (1 MiB messages): large enough for the messages real-time apps send,
/// small enough that one connection cannot make the server buffer much. Ktor has no limits by default
/// (<c>maxFrameSize = Long.MAX_VALUE</c>); we deliberately differ.
/// </remarks>
public sealed record FrameLimits
{
    /// <summary>The default of <see cref="MaxFrameSize"/>: 1 MiB.</summary>
    public const long DefaultMaxFrameSize = 1024 * 1024;

    /// <summary>The default of <see cref="MaxMessageSize"/>: 1 MiB.</summary>
    public const long DefaultMaxMessageSize = 1024 * 1024;

    /// <summary>The default of <see cref="MaxOutgoingBufferSize"/>: 4 MiB.</summary>
    public const long DefaultMaxOutgoingBufferSize = 4 * 1024 * 1024;

    /// <summary>The largest payload length accepted in one frame (<c>int.MaxValue</c> is the hard ceiling).</summary>
    public const long MaxSupportedSize = int.MaxValue;

    private readonly long _maxFrameSize = DefaultMaxFrameSize;
    private readonly long _maxMessageSize = DefaultMaxMessageSize;
    private readonly long _maxOutgoingBufferSize = DefaultMaxOutgoingBufferSize;

    /// <summary>The default limits.</summary>
    public static FrameLimits Default { get; } = new();

    /// <summary>
    /// The largest payload of one received frame; a longer frame fails the connection with 1009 as soon as its
    /// header is read, before its payload is buffered. Default 1 MiB; at most <see cref="MaxSupportedSize"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 1 and <see cref="MaxSupportedSize"/>.</exception>
    public long MaxFrameSize
    {
        get => _maxFrameSize;
        init => _maxFrameSize = CheckRange(value);
    }

    /// <summary>
    /// The largest received message (the sum of its fragments' payloads, after decompression); a longer
    /// message fails the connection with 1009. Default 1 MiB; at most <see cref="MaxSupportedSize"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 1 and <see cref="MaxSupportedSize"/>.</exception>
    public long MaxMessageSize
    {
        get => _maxMessageSize;
        init => _maxMessageSize = CheckRange(value);
    }

    /// <summary>
    /// The most payload bytes accepted for sending but not yet written to the transport. Past it the session
    /// applies its overflow policy (by default it fails with 1008), so a slow peer cannot grow the server's
    /// memory without bound. Default 4 MiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 1 and <see cref="MaxSupportedSize"/>.</exception>
    public long MaxOutgoingBufferSize
    {
        get => _maxOutgoingBufferSize;
        init => _maxOutgoingBufferSize = CheckRange(value);
    }

    private static long CheckRange(long value, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        if (value < 1 || value > MaxSupportedSize)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between 1 and {MaxSupportedSize}.");
        }

        return value;
    }
}
