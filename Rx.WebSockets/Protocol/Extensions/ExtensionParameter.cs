using Rx.WebSockets.Http;

namespace Rx.WebSockets.Protocol.Extensions;

/// <summary>
/// One parameter of an extension in <c>Sec-WebSocket-Extensions</c> (RFC 6455 §9.1 <c>extension-param</c>): a
/// token name and an optional token value, e.g. <c>client_max_window_bits</c> or <c>server_max_window_bits=10</c>.
/// </summary>
/// <remarks>
/// RFC 6455 §9.1: "When using the quoted-string syntax variant, the value after quoted-string unescaping MUST
/// conform to the 'token' ABNF." So a value is always a token once parsed, and is always written bare. Immutable.
/// </remarks>
public sealed record ExtensionParameter
{
    /// <summary>Creates a parameter.</summary>
    /// <param name="name">The parameter name, a token.</param>
    /// <param name="value">The value, a token, or <see langword="null"/> for a parameter without a value.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> or <paramref name="value"/> is not a token (RFC 9110 §5.6.2).</exception>
    public ExtensionParameter(string name, string? value = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!HttpSyntax.IsToken(name))
        {
            throw new ArgumentException("A parameter name must be a non-empty token (RFC 6455 §9.1).", nameof(name));
        }

        if (value is not null && !HttpSyntax.IsToken(value))
        {
            throw new ArgumentException("A parameter value must be a non-empty token (RFC 6455 §9.1).", nameof(value));
        }

        Name = name;
        Value = value;
    }

    /// <summary>The parameter name, as received (compare it case-insensitively).</summary>
    public string Name { get; }

    /// <summary>The value, unquoted; <see langword="null"/> when the parameter has none.</summary>
    public string? Value { get; }

    /// <summary>The wire form: <c>name</c> or <c>name=value</c>.</summary>
    /// <returns>The parameter as it appears in the header.</returns>
    public override string ToString() => Value is null ? Name : Name + "=" + Value;
}
