using System.Buffers;
using BenchmarkDotNet.Attributes;
using Rx.WebSockets.Internal;
using Rx.WebSockets.Protocol;

namespace Rx.WebSockets.Benchmarks;

/// <summary>
/// Decode and encode of masked frames (what a server receives and a client sends) at 16 B, 1 KiB, 64 KiB and 1 MiB.
/// Targets: encoding and decoding to a span allocate nothing; decoding to a <see cref="Frame"/> allocates only the
/// payload array and the frame object (ADR 0002).
/// </summary>
[MemoryDiagnoser]
public class FrameCodecBenchmarks
{
    private byte[] _wire = Array.Empty<byte>();
    private byte[] _payload = Array.Empty<byte>();
    private byte[] _scratch = Array.Empty<byte>();
    private Frame _frame = Frame.Binary(Array.Empty<byte>());
    private FrameDecoder _decoder = null!;
    private FrameEncoder _encoder = null!;
    private PooledBufferWriter _output = null!;

    [Params(16, 1024, 64 * 1024, 1024 * 1024)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[PayloadSize];
        new Random(6455).NextBytes(_payload);
        _frame = Frame.Binary(_payload);
        var limits = new FrameLimits { MaxFrameSize = 2 * 1024 * 1024, MaxMessageSize = 2 * 1024 * 1024 };
        _decoder = new FrameDecoder(Side.Server, limits);
        _encoder = new FrameEncoder(Side.Client);
        _output = new PooledBufferWriter(PayloadSize + 16);
        _encoder.Encode(_frame, _output);
        _wire = _output.WrittenSpan.ToArray();
        _scratch = new byte[PayloadSize];
    }

    [GlobalCleanup]
    public void Cleanup() => _output.Dispose();

    /// <summary>Server side: header, unmask and copy into a frame that owns its payload.</summary>
    [Benchmark]
    public Frame? DecodeToFrame()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_wire));
        _decoder.TryDecode(ref reader, out var frame);
        return frame;
    }

    /// <summary>
    /// Control for <see cref="DecodeToFrame"/>: only what a delivered frame must own — a payload array of the frame's
    /// size and the frame object — allocated directly, in the same run. Allocation figures above the bare
    /// 24 B + payload + 40 B that show up here too (at 1 MiB, where every op is a large-object allocation and
    /// gen2 collections follow) are the runtime's accounting, not the decoder's.
    /// </summary>
    [Benchmark]
    public Frame PayloadAndFrameOnly() => Frame.Binary(GC.AllocateUninitializedArray<byte>(PayloadSize));

    /// <summary>Server side, no frame object: read the header and unmask the payload into a reused buffer.</summary>
    [Benchmark]
    public int DecodeToSpan()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_wire));
        FrameHeader.TryRead(ref reader, out var header);
        return Masking.Apply(reader.UnreadSpan[..(int)header.PayloadLength], _scratch, header.MaskKey, 0);
    }

    /// <summary>Client side: header and masked payload into a reused pooled writer.</summary>
    [Benchmark]
    public int EncodeMasked()
    {
        _output.Reset();
        _encoder.Encode(_frame, _output);
        return _output.WrittenCount;
    }
}
