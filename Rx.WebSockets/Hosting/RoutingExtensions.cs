using System.Runtime.CompilerServices;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Hosting;

/// <summary>Reads the value of a route's trailing path parameter, e.g. <c>name</c> in <c>/files/{name}</c>.</summary>
public static class RoutingExtensions
{
    // HttpExchange has no item bag: the value is attached to the exchange object for its lifetime.
    private static readonly ConditionalWeakTable<HttpExchange, RouteValue> s_exchangeValues = new();

    private const string CallItemPrefix = "Rx.WebSockets.Hosting.RouteValue:";

    /// <summary>The value of the route parameter <paramref name="name"/> for this request.</summary>
    /// <param name="exchange">A request dispatched by an <see cref="Application"/> route.</param>
    /// <param name="name">The parameter name as written in the pattern, without braces.</param>
    /// <returns>
    /// The percent-decoded path segment (it may contain <c>/</c>, <c>\</c> or be <c>..</c> once decoded: validate it before
    /// using it as a file name), or null when the route has no parameter of that name.
    /// </returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static string? GetRouteValue(this HttpExchange exchange, string name)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(name);
        return s_exchangeValues.TryGetValue(exchange, out var value) && string.Equals(value.Name, name, StringComparison.Ordinal)
            ? value.Value
            : null;
    }

    /// <summary>The value of the route parameter <paramref name="name"/> for this upgraded request.</summary>
    /// <param name="call">The call of a session started by an <see cref="Application"/> WebSocket route.</param>
    /// <param name="name">The parameter name, without braces.</param>
    /// <returns>The percent-decoded path segment, or null when the route has no parameter of that name.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static string? GetRouteValue(this ICall call, string name)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(name);
        return call.Items.TryGetValue(CallItemPrefix + name, out var value) ? value as string : null;
    }

    internal static void SetRouteValue(HttpExchange exchange, string name, string value) =>
        s_exchangeValues.AddOrUpdate(exchange, new RouteValue(name, value));

    internal static void SetRouteValue(ICall call, string name, string value) => call.Items[CallItemPrefix + name] = value;

    private sealed record RouteValue(string Name, string Value);
}
