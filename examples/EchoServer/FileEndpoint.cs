using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Rx.WebSockets.Hosting;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Ranges;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Examples.EchoServer;

/// <summary>
/// <c>GET</c>/<c>HEAD /files/{name}</c>: the files of one folder (no subfolders), with validators (RFC 9110 §8.8),
/// conditional requests (§13) and ranges (§14).
/// </summary>
/// <remarks>
/// The entity tag is strong and made of the file's length and last write time (as nginx does): the content of a
/// regular file does not change without one of them changing. Every response carries <c>ETag</c>,
/// <c>Last-Modified</c> and <c>Accept-Ranges: bytes</c>.
/// </remarks>
internal sealed class FileEndpoint
{
    private const string HttpDateFormat = "r";

    private static readonly Dictionary<string, string> s_contentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "text/plain; charset=utf-8",
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".json"] = "application/json",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".svg"] = "image/svg+xml",
    };

    // RFC 9110 §5.6.7: the three HTTP-date formats a recipient must accept.
    private static readonly string[] s_httpDateFormats =
    {
        "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
        "dddd, dd'-'MMM'-'yy HH':'mm':'ss 'GMT'",
        "ddd MMM d HH':'mm':'ss yyyy",
    };

    private readonly string _root;

    public FileEndpoint(string root) => _root = Path.GetFullPath(root);

    public async ValueTask ServeAsync(HttpExchange exchange)
    {
        var request = exchange.Request;
        var response = exchange.Response;
        if (ResolveFile(exchange.GetRouteValue("name")) is not { } file)
        {
            NotFound(response);
            return;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            NotFound(response);
            return;
        }

        await using (stream.ConfigureAwait(false))
        {
            // Length and time from the open file, so that the validators describe the bytes about to be sent.
            long length = stream.Length;
            var writeTime = File.GetLastWriteTimeUtc(file.FullName);
            var lastModified = TruncateToSeconds(writeTime);
            string etag = string.Create(CultureInfo.InvariantCulture, $"\"{length:x}-{writeTime.Ticks:x}\"");
            response.Headers.Set("ETag", etag);
            response.Headers.Set("Last-Modified", lastModified.ToString(HttpDateFormat, CultureInfo.InvariantCulture));
            response.Headers.Set("Accept-Ranges", "bytes");

            if (EvaluatePreconditions(request, etag, lastModified) is { } status)
            {
                response.StatusCode = status;
                return;
            }

            string contentType = s_contentTypes.GetValueOrDefault(file.Extension, "application/octet-stream");
            bool isHead = request.Method == HttpMethods.Head;
            // RFC 9110 §14.2: "A server MUST ignore a Range header field received with a request method that is
            // unrecognized or for which range handling is not defined" — defined for GET only; HEAD reports the whole.
            var ranges = isHead || !RangeHeaderParser.IfRangeMatches(request.Headers.Get("If-Range"), etag, lastModified)
                ? default
                : RangeHeaderParser.Parse(request.Headers.Get("Range"), length);
            switch (ranges.Status)
            {
                case RangeParseStatus.NotSatisfiable:
                    // RFC 9110 §15.5.17: a 416 "SHOULD generate a Content-Range header field specifying the current length".
                    response.StatusCode = HttpStatus.RangeNotSatisfiable;
                    response.Headers.Set("Content-Range", RangeParseResult.UnsatisfiedContentRange(length));
                    return;
                case RangeParseStatus.Satisfiable when ranges.Ranges.Count == 1:
                    var range = ranges.Ranges[0];
                    response.StatusCode = HttpStatus.PartialContent;
                    response.Headers.Set("Content-Type", contentType);
                    response.Headers.Set("Content-Range", range.ToContentRange(length));
                    response.Headers.Set("Content-Length", range.Length.ToString(CultureInfo.InvariantCulture));
                    stream.Position = range.First;
                    await CopyAsync(stream, response, range.Length).ConfigureAwait(false);
                    return;
                case RangeParseStatus.Satisfiable:
                    // RFC 9110 §14.6: several ranges go in a multipart/byteranges body, each part with its Content-Range.
                    string boundary = MultipartByteRangesWriter.CreateBoundary(RandomNumberGenerator.GetBytes(MultipartByteRangesWriter.BoundaryRandomBytes));
                    response.StatusCode = HttpStatus.PartialContent;
                    response.Headers.Set("Content-Type", MultipartByteRangesWriter.GetContentType(boundary));
                    response.Headers.Set(
                        "Content-Length",
                        MultipartByteRangesWriter.ComputeLength(ranges.Ranges, length, boundary, contentType).ToString(CultureInfo.InvariantCulture));
                    await MultipleRanges.WriteAsync(response.Body, stream, ranges.Ranges, boundary, contentType).ConfigureAwait(false);
                    return;
                default:
                    response.Headers.Set("Content-Type", contentType);
                    response.Headers.Set("Content-Length", length.ToString(CultureInfo.InvariantCulture));
                    if (!isHead)
                    {
                        await CopyAsync(stream, response, length).ConfigureAwait(false);
                    }

                    return;
            }
        }
    }

    /// <summary>
    /// RFC 9110 §13.2.2's order: If-Match, else If-Unmodified-Since (412); then If-None-Match, else If-Modified-Since
    /// (304 for GET and HEAD). Returns the status to answer with, or null to go on.
    /// </summary>
    private static int? EvaluatePreconditions(HttpRequestHead request, string etag, DateTimeOffset lastModified)
    {
        var headers = request.Headers;
        if (headers.Get("If-Match") is { } ifMatch)
        {
            // RFC 9110 §13.1.1: "An origin server MUST use the strong comparison function when comparing entity-tags
            // for If-Match"; false → 412.
            if (!MatchesAny(ifMatch, etag, weak: false))
            {
                return HttpStatus.PreconditionFailed;
            }
        }
        else if (headers.Get("If-Unmodified-Since") is { } ifUnmodified && TryParseDate(ifUnmodified, out var since) && lastModified > since)
        {
            return HttpStatus.PreconditionFailed;
        }

        if (headers.Get("If-None-Match") is { } ifNoneMatch)
        {
            // RFC 9110 §13.1.2: "A recipient MUST use the weak comparison function"; a match on GET or HEAD → 304.
            if (MatchesAny(ifNoneMatch, etag, weak: true))
            {
                return HttpStatus.NotModified;
            }
        }
        else if (headers.Get("If-Modified-Since") is { } ifModified && TryParseDate(ifModified, out var modifiedSince) && lastModified <= modifiedSince)
        {
            // RFC 9110 §13.1.3: only for GET and HEAD (the only methods of this route), ignored when If-None-Match is present.
            return HttpStatus.NotModified;
        }

        return null;
    }

    private static bool MatchesAny(string headerValue, string etag, bool weak)
    {
        foreach (var raw in headerValue.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw == "*")
            {
                return true;
            }

            bool isWeak = raw.StartsWith("W/", StringComparison.Ordinal);
            string opaque = isWeak ? raw[2..] : raw;
            // RFC 9110 §8.8.3.2: strong comparison needs both tags strong; weak comparison ignores the W/ prefix.
            if ((weak || !isWeak) && string.Equals(opaque, etag, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryParseDate(string value, out DateTimeOffset date) => DateTimeOffset.TryParseExact(
        value.Trim(),
        s_httpDateFormats,
        CultureInfo.InvariantCulture,
        DateTimeStyles.AllowInnerWhite | DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
        out date);

    private static DateTimeOffset TruncateToSeconds(DateTime utc) =>
        new(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static async Task CopyAsync(Stream source, HttpResponse response, long count)
    {
        var buffer = new byte[64 * 1024];
        while (count > 0)
        {
            int read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count))).ConfigureAwait(false);
            if (read == 0)
            {
                // The file shrank after it was opened: the announced length cannot be met, and the engine aborts.
                throw new IOException("The file ended before the announced length.");
            }

            await response.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
            count -= read;
        }
    }

    private static void NotFound(HttpResponse response)
    {
        response.StatusCode = HttpStatus.NotFound;
        response.Headers.Set("Content-Type", "text/plain; charset=utf-8");
        response.Write("Not Found");
    }

    /// <summary>
    /// The file <paramref name="name"/> names directly inside the root, or null: names with a separator, <c>.</c>,
    /// <c>..</c>, a drive or root, NUL, or that reach a folder or a link are refused (404, as for a missing file, so
    /// that probing learns nothing).
    /// </summary>
    private FileInfo? ResolveFile(string? name)
    {
        if (string.IsNullOrEmpty(name)
            || name is "." or ".."
            || name.AsSpan().IndexOfAny("/\\:\0") >= 0
            || Path.IsPathRooted(name)
            || Path.GetFileName(name) != name)
        {
            return null;
        }

        string full = Path.GetFullPath(Path.Combine(_root, name));
        if (!string.Equals(Path.GetDirectoryName(full), _root.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
        {
            return null;
        }

        var file = new FileInfo(full);
        // A link could point anywhere on the machine.
        return file.Exists && file.LinkTarget is null ? file : null;
    }
}
