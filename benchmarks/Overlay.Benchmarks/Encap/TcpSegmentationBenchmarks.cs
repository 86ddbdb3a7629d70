using BenchmarkDotNet.Attributes;
using Overlay.Encap;

namespace Overlay.Benchmarks.Encap;

/// <summary>
/// Splitting a 64 KiB TCP/IPv4 super-packet (as TUN TSO hands it out) into 1,448-byte segments with full
/// checksums, and coalescing those segments back into one super-packet with a virtio header. Excludes I/O.
/// Expect 0 B allocated; the cost is dominated by one copy and one checksum pass over the payload.
/// </summary>
[MemoryDiagnoser]
public class TcpSegmentationBenchmarks
{
    private const int Mss = 1448;
    private readonly byte[] _super = new byte[20 + 32 + (45 * Mss)];
    private readonly byte[] _segments = new byte[140_000];
    private readonly TcpCoalescer _coalescer = new();
    private int _count;
    private int _segmentLength;
    private int _lastLength;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_super);
        IPv4Header.Write(_super, (ushort)_super.Length, 1, IPv4Header.DontFragment, 64, IPProtocols.Tcp, 0xC6130101, 0xC6130201);
        var tcp = new TcpHeader(_super.AsSpan(20)) { HeaderLength = 32, Flags = TcpFlags.Ack };
        tcp.Options[0] = 1;
        _count = TcpSegmenter.Segment(_super, Mss, _segments, out _segmentLength, out _lastLength);
    }

    [Benchmark(Description = "Segment 64 KiB super-packet (45 segments)")]
    public int Segment() => TcpSegmenter.Segment(_super, Mss, _segments, out _, out _);

    [Benchmark(Description = "Coalesce 45 segments")]
    public int Coalesce()
    {
        for (int i = 0; i < _count; i++)
        {
            _coalescer.TryAdd(_segments.AsSpan(i * _segmentLength, i == _count - 1 ? _lastLength : _segmentLength));
        }

        return _coalescer.Flush().Length;
    }
}
