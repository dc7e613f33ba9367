using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Tasks;
using Rx.WebSockets.Http;
using Rx.WebSockets.Http.Multipart;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Examples.EchoServer;

/// <summary>One part of an upload as <c>POST /upload</c> reports it.</summary>
/// <param name="Name">The form field name (<c>Content-Disposition</c> <c>name</c>), or null.</param>
/// <param name="Filename">The file name exactly as sent (<c>""</c> kept), or null when the part had none.</param>
/// <param name="ContentType">The part's <c>Content-Type</c>, or null when it had none.</param>
/// <param name="Size">The body's length in bytes.</param>
/// <param name="Sha256">The body's SHA-256, lowercase hex.</param>
public sealed record UploadedPart(string? Name, string? Filename, string? ContentType, long Size, string Sha256);

/// <summary>The JSON answer of <c>POST /upload</c>: <c>{"parts":[...]}</c>.</summary>
/// <param name="Parts">The parts in order.</param>
public sealed record UploadResult(IReadOnlyList<UploadedPart> Parts);

/// <summary>Source-generated JSON for the upload answer (camelCase, nulls written).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(UploadResult))]
public sealed partial class EchoJsonContext : JsonSerializerContext;

/// <summary>
/// <c>POST /upload</c>: reads a multipart/form-data body part by part and answers each part's name, file name, type,
/// size and SHA-256. Part bodies are hashed as they stream in: memory stays bounded whatever the upload's size.
/// </summary>
internal static class UploadEndpoint
{
    public static async ValueTask HandleAsync(HttpExchange exchange)
    {
        var response = exchange.Response;
        var parts = new List<UploadedPart>();
        try
        {
            await foreach (var item in Multipart.ParseAsync(exchange.Body, exchange.Request.Headers).ConfigureAwait(false))
            {
                if (item is MultipartPart part)
                {
                    parts.Add(await SummariseAsync(part).ConfigureAwait(false));
                }
            }
        }
        catch (MultipartException e)
        {
            response.StatusCode = e.Kind switch
            {
                MultipartErrorKind.InvalidContentType => 415,
                MultipartErrorKind.LimitExceeded => HttpStatus.ContentTooLarge,
                _ => HttpStatus.BadRequest,
            };
            response.Headers.Set("Content-Type", "text/plain; charset=utf-8");
            // The exception's message may quote the client's bytes; the status says enough.
            response.Write(e.Kind == MultipartErrorKind.InvalidContentType
                ? "Expected a multipart/form-data body with a boundary."
                : "Malformed multipart body.");
            return;
        }

        response.Headers.Set("Content-Type", "application/json");
        // Written without a flush: the engine sends it with its Content-Length.
        response.Body.Write(JsonSerializer.SerializeToUtf8Bytes(new UploadResult(parts), EchoJsonContext.Default.UploadResult));
    }

    private static async Task<UploadedPart> SummariseAsync(MultipartPart part)
    {
        ContentDisposition.TryParse(part.Headers.Get("Content-Disposition"), out var disposition);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        PipeReader body = part.Body;
        while (true)
        {
            var result = await body.ReadAsync().ConfigureAwait(false);
            foreach (var segment in result.Buffer)
            {
                hash.AppendData(segment.Span);
            }

            size += result.Buffer.Length;
            body.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        return new UploadedPart(
            disposition?.Name,
            disposition?.FileName,
            part.Headers.Get("Content-Type"),
            size,
            Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
