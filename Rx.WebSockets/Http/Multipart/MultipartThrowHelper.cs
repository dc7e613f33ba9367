using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Rx.WebSockets.Http.Multipart;

/// <summary>Throw helpers for the multipart parser, kept out of the scanning loops (Kestrel's shape).</summary>
internal static class MultipartThrowHelper
{
    /// <summary>Throws a <see cref="MultipartException"/> of kind <see cref="MultipartErrorKind.Malformed"/>.</summary>
    /// <param name="message">What is wrong.</param>
    [DoesNotReturn]
    [StackTraceHidden]
    public static void ThrowMalformed(string message) => throw Create(MultipartErrorKind.Malformed, message);

    /// <summary>Throws a <see cref="MultipartException"/> of kind <see cref="MultipartErrorKind.LimitExceeded"/>.</summary>
    /// <param name="message">Which limit, and its value.</param>
    [DoesNotReturn]
    [StackTraceHidden]
    public static void ThrowLimitExceeded(string message) => throw Create(MultipartErrorKind.LimitExceeded, message);

    /// <summary>Throws a <see cref="MultipartException"/> of kind <see cref="MultipartErrorKind.InvalidContentType"/>.</summary>
    /// <param name="message">What is wrong with the media type.</param>
    [DoesNotReturn]
    [StackTraceHidden]
    public static void ThrowInvalidContentType(string message) => throw Create(MultipartErrorKind.InvalidContentType, message);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static MultipartException Create(MultipartErrorKind kind, string message) => new(kind, message);
}
