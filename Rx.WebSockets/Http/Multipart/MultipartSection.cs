using System.Buffers;

namespace Rx.WebSockets.Http.Multipart;

/// <summary>What a <see cref="MultipartSection"/> reports.</summary>
public enum MultipartSectionKind
{
    /// <summary>Bytes of the preamble (before the first delimiter; RFC 2046 §5.1.1 says to ignore them).</summary>
    PreambleData,

    /// <summary>A part begins: its header fields were read (<see cref="MultipartSection.Headers"/>, possibly empty).</summary>
    PartStart,

    /// <summary>Bytes of the current part's body, certainly not part of a delimiter.</summary>
    PartBodyData,

    /// <summary>The current part's body ended at a delimiter.</summary>
    PartEnd,

    /// <summary>The close delimiter was read: no more parts follow. Anything after it is reported as <see cref="EpilogueData"/>.</summary>
    End,

    /// <summary>Bytes of the epilogue (after the close delimiter line; RFC 2046 §5.1.1 says to ignore them).</summary>
    EpilogueData,
}

/// <summary>One event of <see cref="MultipartParser.Read"/>.</summary>
/// <remarks>
/// <see cref="Data"/> is a slice of the caller's input: it is valid only until the caller releases that buffer (e.g.
/// <c>PipeReader.AdvanceTo</c>), so a streaming wrapper copies or writes it out before advancing.
/// </remarks>
public readonly struct MultipartSection
{
    internal MultipartSection(MultipartSectionKind kind, int partIndex, ReadOnlySequence<byte> data, HttpHeaders? headers)
    {
        Kind = kind;
        PartIndex = partIndex;
        Data = data;
        Headers = headers;
    }

    /// <summary>What this section reports.</summary>
    public MultipartSectionKind Kind { get; }

    /// <summary>The zero-based index of the part for <c>PartStart</c>, <c>PartBodyData</c> and <c>PartEnd</c>; -1 otherwise.</summary>
    public int PartIndex { get; }

    /// <summary>The bytes for the <c>*Data</c> kinds (never empty for them); empty otherwise.</summary>
    public ReadOnlySequence<byte> Data { get; }

    /// <summary>The part's header fields for <see cref="MultipartSectionKind.PartStart"/>; null otherwise.</summary>
    public HttpHeaders? Headers { get; }

    /// <summary>Describes the section, e.g. <c>PartBodyData #2 (12 bytes)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => Kind switch
    {
        MultipartSectionKind.PartStart => $"PartStart #{PartIndex} ({Headers!.Count} headers)",
        MultipartSectionKind.PartBodyData => $"PartBodyData #{PartIndex} ({Data.Length} bytes)",
        MultipartSectionKind.PartEnd => $"PartEnd #{PartIndex}",
        MultipartSectionKind.PreambleData or MultipartSectionKind.EpilogueData => $"{Kind} ({Data.Length} bytes)",
        _ => Kind.ToString(),
    };
}
