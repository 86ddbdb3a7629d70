using System.Net;
using BenchmarkDotNet.Attributes;
using Overlay.Encap;

namespace Overlay.Benchmarks.Encap;

/// <summary>
/// VXLAN encapsulation and decapsulation of a 1,400-byte inner frame with a reused buffer: header template copy,
/// length/id/checksum patching, and (for the copying variant) the frame copy. The baseline copies the same 1,400
/// bytes with <see cref="Span{T}.CopyTo"/> and nothing else. Excludes any socket or TUN I/O. Expect 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class VxlanEncapsulationBenchmarks
{
    private const int FrameLength = 1400;
    private const int Headroom = 64;
    private readonly byte[] _frame = new byte[FrameLength];
    private readonly byte[] _copyTarget = new byte[FrameLength];
    private readonly byte[] _output = new byte[VxlanEncapsulator.HeaderLength + FrameLength];
    private readonly byte[] _inPlace = new byte[Headroom + FrameLength];
    private readonly byte[] _encapsulated = new byte[VxlanEncapsulator.HeaderLength + FrameLength];
    private VxlanEncapsulator _encapsulator = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_frame);
        _frame.CopyTo(_inPlace, Headroom);
        _encapsulator = new VxlanEncapsulator(new VxlanEncapsulatorOptions
        {
            Source = IPAddress.Parse("198.18.0.1"),
            Destination = IPAddress.Parse("198.18.0.2"),
            Vni = 1,
            DestinationPort = VxlanHeader.LinuxDefaultPort,
        });
        _encapsulator.Encapsulate(_frame, _encapsulated);
    }

    [Benchmark(Baseline = true, Description = "Span.CopyTo 1400 B (baseline)")]
    public void CopyOnly() => _frame.AsSpan().CopyTo(_copyTarget);

    [Benchmark(Description = "Encapsulate with copy")]
    public int EncapsulateCopy() => _encapsulator.Encapsulate(_frame, _output);

    [Benchmark(Description = "Encapsulate in place (header write)")]
    public int EncapsulateInPlace() => _encapsulator.EncapsulateInPlace(_inPlace, Headroom, FrameLength).Length;

    [Benchmark(Description = "Decapsulate outer IPv4 packet (validated, in place)")]
    public int Decapsulate() => VxlanEncapsulator.TryDecapsulate(_encapsulated, out VxlanPacket packet) == VxlanDecodeStatus.Success ? packet.InnerFrame.Length : -1;

    [Benchmark(Description = "Decapsulate with copy of the inner frame")]
    public int DecapsulateCopy()
    {
        if (VxlanEncapsulator.TryDecapsulate(_encapsulated, out VxlanPacket packet) != VxlanDecodeStatus.Success)
        {
            return -1;
        }

        packet.InnerFrame.CopyTo(_copyTarget);
        return packet.InnerFrame.Length;
    }

    [Benchmark(Description = "Decapsulate UDP payload (in place)")]
    public int DecapsulatePayload() =>
        VxlanEncapsulator.TryDecapsulateUdpPayload(_encapsulated.AsSpan(IPv4Header.MinimumLength + UdpHeader.Length), out VxlanHeader vxlan, out Span<byte> frame) == VxlanDecodeStatus.Success
            ? frame.Length + vxlan.Vni
            : -1;
}
