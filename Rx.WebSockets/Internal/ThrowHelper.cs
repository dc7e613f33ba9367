using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Rx.WebSockets.Internal;

/// <summary>Throw helpers kept out of hot methods so that those stay small enough to inline (Kestrel's shape).</summary>
internal static class ThrowHelper
{
    /// <summary>Fails the WebSocket connection (RFC 6455 §7.1.7) with <paramref name="code"/>.</summary>
    /// <param name="code">The close code to send.</param>
    /// <param name="message">What the peer did wrong, for logs.</param>
    [DoesNotReturn]
    [StackTraceHidden]
    public static void ThrowProtocolError(CloseCode code, string message) => throw CreateProtocolError(code, message);

    /// <summary>Fails the connection with 1009 because <paramref name="size"/> exceeds <paramref name="limit"/>.</summary>
    /// <param name="size">The size seen.</param>
    /// <param name="limit">The limit.</param>
    [DoesNotReturn]
    [StackTraceHidden]
    public static void ThrowTooBig(long size, long limit) => throw new FrameTooBigException(size, limit);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WebSocketProtocolException CreateProtocolError(CloseCode code, string message) => new(code, message);
}
