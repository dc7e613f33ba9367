namespace Rx.WebSockets.Http.Multipart;

/// <summary>Why a multipart body (or its <c>Content-Type</c>) was rejected; a server maps it to a status code.</summary>
public enum MultipartErrorKind
{
    /// <summary>The body violates RFC 2046 §5.1 or the part headers violate RFC 9112 §5 (→ 400 Bad Request).</summary>
    Malformed,

    /// <summary>
    /// The request's <c>Content-Type</c> is missing, is not <c>multipart/*</c> or has no valid <c>boundary</c>
    /// parameter (→ 415 Unsupported Media Type, as Ktor's <c>UnsupportedMediaTypeExceptionCIO</c>).
    /// </summary>
    InvalidContentType,

    /// <summary>A <see cref="MultipartLimits"/> cap was exceeded (→ 413 Content Too Large).</summary>
    LimitExceeded,
}

/// <summary>A multipart body, one of its part headers or its media type is invalid or exceeds a limit.</summary>
/// <remarks>The message is for logs; it may quote a few bytes of the peer's input and should not be echoed to the peer.</remarks>
public sealed class MultipartException : Exception
{
    /// <summary>Creates the exception; <see cref="Kind"/> is <see cref="MultipartErrorKind.Malformed"/>.</summary>
    public MultipartException()
        : this(MultipartErrorKind.Malformed, "Malformed multipart body.")
    {
    }

    /// <summary>Creates the exception with a message; <see cref="Kind"/> is <see cref="MultipartErrorKind.Malformed"/>.</summary>
    /// <param name="message">What is wrong.</param>
    public MultipartException(string message)
        : this(MultipartErrorKind.Malformed, message)
    {
    }

    /// <summary>Creates the exception with a message and a cause; <see cref="Kind"/> is <see cref="MultipartErrorKind.Malformed"/>.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public MultipartException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = MultipartErrorKind.Malformed;
    }

    /// <summary>Creates the exception with its kind.</summary>
    /// <param name="kind">What kind of failure this is.</param>
    /// <param name="message">What is wrong.</param>
    public MultipartException(MultipartErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>What kind of failure this is; decides the HTTP status a server answers with.</summary>
    public MultipartErrorKind Kind { get; }
}
