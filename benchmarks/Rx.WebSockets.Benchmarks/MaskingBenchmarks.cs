using BenchmarkDotNet.Attributes;
using Rx.WebSockets.Protocol;

namespace Rx.WebSockets.Benchmarks;

/// <summary>
/// Unmasking 64 KiB (copy + XOR in one pass, as the decoder does) against a plain <see cref="Span{T}.CopyTo"/> of the
/// same size: the memory-bandwidth bound. Target: unmasking at ≥ 50% of the copy's speed.
/// </summary>
[MemoryDiagnoser]
public class MaskingBenchmarks
{
    private byte[] _source = Array.Empty<byte>();
    private byte[] _destination = Array.Empty<byte>();
    private uint _key;

    [Params(64 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _source = new byte[Size];
        _destination = new byte[Size];
        new Random(42).NextBytes(_source);
        _key = Masking.ReadMaskKey(new byte[] { 0x37, 0xFA, 0x21, 0x3D });
    }

    [Benchmark(Baseline = true)]
    public void CopyTo() => _source.AsSpan().CopyTo(_destination);

    [Benchmark]
    public int UnmaskWhileCopying() => Masking.Apply(_source, _destination, _key, 1);

    [Benchmark]
    public int UnmaskInPlace() => Masking.Apply(_destination, _key, 1);
}
