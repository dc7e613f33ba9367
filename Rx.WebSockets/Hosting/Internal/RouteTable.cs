using System.Collections.Generic;
using System.Linq;
using Rx.WebSockets.Http;
using Rx.WebSockets.Server;
using Rx.WebSockets.Session;

namespace Rx.WebSockets.Hosting.Internal;

/// <summary>A WebSocket route: its session flavour, options and handler.</summary>
/// <param name="Pattern">The path pattern as registered.</param>
/// <param name="Handler">The session handler.</param>
/// <param name="Options">The options of the route's sessions (the application's defaults with the route's changes).</param>
/// <param name="Raw">Whether sessions are raw (every frame, nothing answered automatically).</param>
internal sealed record WebSocketRoute(string Pattern, WebSocketHandler Handler, WebSocketOptions Options, bool Raw);

/// <summary>What a request resolved to.</summary>
internal enum RouteMatchKind
{
    NotFound,
    MethodNotAllowed,
    Http,
    WebSocket,
}

/// <summary>The outcome of <see cref="RouteTable.Match"/>.</summary>
/// <param name="Kind">What the request resolved to.</param>
/// <param name="Pattern">The matched path pattern (for logs and metric tags), or null when not found.</param>
/// <param name="Handler">The HTTP handler for <see cref="RouteMatchKind.Http"/>.</param>
/// <param name="WebSocket">The route for <see cref="RouteMatchKind.WebSocket"/>.</param>
/// <param name="Allow">The <c>Allow</c> value for <see cref="RouteMatchKind.MethodNotAllowed"/>.</param>
/// <param name="ParameterName">The name of the pattern's trailing parameter, if any.</param>
/// <param name="ParameterValue">Its percent-decoded value from the request path.</param>
internal readonly record struct RouteMatch(
    RouteMatchKind Kind,
    string? Pattern = null,
    HttpRequestHandler? Handler = null,
    WebSocketRoute? WebSocket = null,
    string? Allow = null,
    string? ParameterName = null,
    string? ParameterValue = null);

/// <summary>
/// An immutable route table: exact paths, plus patterns whose last segment is one parameter (<c>/files/{name}</c>).
/// Built by <see cref="Builder"/>, swapped whole by <see cref="Application"/> when its module runs again.
/// </summary>
/// <remarks>
/// Matching is on the path as sent (not percent-decoded, no dot-segment removal), so <c>/files/../x</c> is the
/// pattern <c>/files/{name}</c> with the value <c>..</c>, and <c>/files/a/b</c> matches nothing: a parameter never
/// spans a <c>/</c>. An exact path wins over a pattern; among patterns the longest prefix wins.
/// Thread-safety: immutable once built.
/// </remarks>
internal sealed class RouteTable
{
    private const char Slash = '/';
    private const char OpenBrace = '{';
    private const char CloseBrace = '}';

    // The order methods are listed in Allow; others follow alphabetically.
    private static readonly string[] s_methodOrder =
    {
        HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete, HttpMethods.Options,
    };

    private readonly Dictionary<string, Entry> _exact;
    private readonly Entry[] _patterns;

    private RouteTable(Dictionary<string, Entry> exact, Entry[] patterns)
    {
        _exact = exact;
        _patterns = patterns;
    }

    /// <summary>A table without routes: every request is 404.</summary>
    public static RouteTable Empty { get; } = new(new Dictionary<string, Entry>(StringComparer.Ordinal), Array.Empty<Entry>());

    /// <summary>The number of (pattern, method) routes, WebSocket routes counted once.</summary>
    public int Count => _exact.Values.Concat(_patterns).Sum(e => e.Handlers.Count + (e.WebSocket is null ? 0 : 1));

    /// <summary>Every WebSocket route.</summary>
    public IEnumerable<WebSocketRoute> WebSocketRoutes =>
        _exact.Values.Concat(_patterns).Select(e => e.WebSocket).OfType<WebSocketRoute>();

    /// <summary>Resolves a request.</summary>
    /// <param name="method">The request method (case-sensitive, RFC 9110 §9.1).</param>
    /// <param name="target">The request path (origin-form) or an absolute-form target.</param>
    /// <param name="isWebSocketRequest">Whether the request asks for a WebSocket upgrade.</param>
    /// <returns>The match.</returns>
    public RouteMatch Match(string method, string target, bool isWebSocketRequest)
    {
        string? path = ToPath(target);
        if (path is null)
        {
            return new RouteMatch(RouteMatchKind.NotFound);
        }

        string? value = null;
        if (!_exact.TryGetValue(path, out var entry))
        {
            entry = null;
            foreach (var pattern in _patterns)
            {
                if (path.Length > pattern.Prefix.Length
                    && path.StartsWith(pattern.Prefix, StringComparison.Ordinal)
                    && path.IndexOf(Slash, pattern.Prefix.Length) < 0)
                {
                    entry = pattern;
                    value = Uri.UnescapeDataString(path[pattern.Prefix.Length..]);
                    break;
                }
            }

            if (entry is null)
            {
                return new RouteMatch(RouteMatchKind.NotFound);
            }
        }

        // A WebSocket route answers its GETs; a plain GET goes to an HTTP handler on the same path when there is one,
        // else to the handshake, which refuses it with 426 and says which upgrade it wants (RFC 9110 §15.5.22).
        if (entry.WebSocket is { } ws && method == HttpMethods.Get && (isWebSocketRequest || !entry.Handlers.ContainsKey(HttpMethods.Get)))
        {
            return new RouteMatch(RouteMatchKind.WebSocket, entry.Pattern, WebSocket: ws, ParameterName: entry.Parameter, ParameterValue: value);
        }

        if (entry.Handlers.TryGetValue(method, out var handler)
            // RFC 9110 §9.3.2: "The HEAD method is identical to GET except that the server MUST NOT send content";
            // the engine drops the body, so the GET handler answers HEAD.
            || (method == HttpMethods.Head && entry.Handlers.TryGetValue(HttpMethods.Get, out handler)))
        {
            return new RouteMatch(RouteMatchKind.Http, entry.Pattern, Handler: handler, ParameterName: entry.Parameter, ParameterValue: value);
        }

        // RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405 response containing a list
        // of the target resource's currently supported methods."
        return new RouteMatch(RouteMatchKind.MethodNotAllowed, entry.Pattern, Allow: entry.Allow);
    }

    /// <summary>The path of an origin-form or absolute-form target (RFC 9112 §3.2.1–3.2.2); null for other forms.</summary>
    private static string? ToPath(string target)
    {
        if (target.Length > 0 && target[0] == Slash)
        {
            return target;
        }

        // RFC 9112 §3.2.2: "A server MUST accept the absolute-form in requests even though most HTTP/1.1 clients will
        // only send the absolute-form to a proxy."
        if (Uri.TryCreate(target, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri.GetComponents(UriComponents.Path | UriComponents.KeepDelimiter, UriFormat.UriEscaped) is { Length: > 0 } p ? p : "/";
        }

        return null;
    }

    /// <summary>The routes of one path or pattern.</summary>
    private sealed class Entry
    {
        public Entry(string pattern, string prefix, string? parameter)
        {
            Pattern = pattern;
            Prefix = prefix;
            Parameter = parameter;
        }

        public string Pattern { get; }

        public string Prefix { get; }

        public string? Parameter { get; }

        public Dictionary<string, HttpRequestHandler> Handlers { get; } = new(StringComparer.Ordinal);

        public WebSocketRoute? WebSocket { get; set; }

        public string Allow { get; set; } = string.Empty;

        public string ComputeAllow()
        {
            var methods = new HashSet<string>(Handlers.Keys, StringComparer.Ordinal);
            if (methods.Contains(HttpMethods.Get) || WebSocket is not null)
            {
                methods.Add(HttpMethods.Get);
            }

            if (Handlers.ContainsKey(HttpMethods.Get))
            {
                methods.Add(HttpMethods.Head);
            }

            return string.Join(", ", methods
                .OrderBy(m => Array.IndexOf(s_methodOrder, m) is var i && i >= 0 ? i : s_methodOrder.Length)
                .ThenBy(m => m, StringComparer.Ordinal));
        }
    }

    /// <summary>Collects routes, then builds a table. Thread-safety: not thread-safe; the caller serialises.</summary>
    public sealed class Builder
    {
        private readonly Dictionary<string, Entry> _exact = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Entry> _patterns = new(StringComparer.Ordinal);

        /// <summary>Starts from an existing table's routes (to add one route to a running table).</summary>
        /// <param name="table">The table to copy.</param>
        /// <returns>A builder holding the same routes.</returns>
        public static Builder From(RouteTable table)
        {
            var builder = new Builder();
            foreach (var entry in table._exact.Values.Concat(table._patterns))
            {
                foreach (var (method, handler) in entry.Handlers)
                {
                    builder.AddHttp(method, entry.Pattern, handler);
                }

                if (entry.WebSocket is { } ws)
                {
                    builder.AddWebSocket(ws);
                }
            }

            return builder;
        }

        /// <summary>Adds an HTTP route.</summary>
        /// <exception cref="ArgumentException">The method is not a token, the pattern is invalid, or the route exists.</exception>
        public void AddHttp(string method, string pattern, HttpRequestHandler handler)
        {
            if (method.Length == 0 || method.Any(c => c <= ' ' || c >= '\x7F' || "\"(),/:;<=>?@[\\]{}".Contains(c, StringComparison.Ordinal)))
            {
                // RFC 9110 §9.1: method = token.
                throw new ArgumentException($"'{method}' is not an HTTP method token.", nameof(method));
            }

            var entry = GetEntry(pattern);
            if (!entry.Handlers.TryAdd(method, handler))
            {
                throw new ArgumentException($"{method} {pattern} is already mapped.", nameof(pattern));
            }
        }

        /// <summary>Adds a WebSocket route.</summary>
        /// <exception cref="ArgumentException">The pattern is invalid or already has a WebSocket route.</exception>
        public void AddWebSocket(WebSocketRoute route)
        {
            var entry = GetEntry(route.Pattern);
            if (entry.WebSocket is not null)
            {
                throw new ArgumentException($"A WebSocket route is already mapped at {route.Pattern}.", nameof(route));
            }

            entry.WebSocket = route;
        }

        /// <summary>Builds the table.</summary>
        /// <returns>The immutable table.</returns>
        public RouteTable Build()
        {
            foreach (var entry in _exact.Values.Concat(_patterns.Values))
            {
                entry.Allow = entry.ComputeAllow();
            }

            var patterns = _patterns.Values.OrderByDescending(e => e.Prefix.Length).ToArray();
            return new RouteTable(new Dictionary<string, Entry>(_exact, StringComparer.Ordinal), patterns);
        }

        private Entry GetEntry(string pattern)
        {
            var (prefix, parameter) = ParsePattern(pattern);
            var map = parameter is null ? _exact : _patterns;
            if (!map.TryGetValue(prefix, out var entry))
            {
                entry = new Entry(pattern, prefix, parameter);
                map.Add(prefix, entry);
            }
            else if (!string.Equals(entry.Parameter, parameter, StringComparison.Ordinal))
            {
                throw new ArgumentException($"The pattern {pattern} conflicts with {entry.Pattern}: one path, two parameter names.", nameof(pattern));
            }

            return entry;
        }

        private static (string Prefix, string? Parameter) ParsePattern(string pattern)
        {
            if (pattern.Length == 0 || pattern[0] != Slash)
            {
                throw new ArgumentException($"The path '{pattern}' must start with '/'.", nameof(pattern));
            }

            if (pattern.AsSpan().IndexOfAny("?#") >= 0)
            {
                throw new ArgumentException($"The path '{pattern}' must not contain a query or a fragment.", nameof(pattern));
            }

            int open = pattern.IndexOf(OpenBrace, StringComparison.Ordinal);
            if (open < 0)
            {
                return pattern.Contains(CloseBrace, StringComparison.Ordinal)
                    ? throw new ArgumentException($"The path '{pattern}' has an unmatched '}}'.", nameof(pattern))
                    : (pattern, null);
            }

            // Only a whole last segment may be a parameter: "/files/{name}".
            string name = pattern[(open + 1)..^1];
            bool valid = pattern[open - 1] == Slash
                && pattern[^1] == CloseBrace
                && name.Length > 0
                && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
            if (!valid)
            {
                throw new ArgumentException(
                    $"The path '{pattern}' is not supported: a parameter must be the whole last segment, as in '/files/{{name}}'.",
                    nameof(pattern));
            }

            return (pattern[..open], name);
        }
    }
}
