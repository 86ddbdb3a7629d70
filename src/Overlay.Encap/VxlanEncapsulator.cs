using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Overlay.Encap;

/// <summary>Settings of a <see cref="VxlanEncapsulator"/>: the outer IPv4/UDP/VXLAN header fields.</summary>
public sealed record VxlanEncapsulatorOptions
{
    /// <summary>The outer source address (the local VTEP, IPv4).</summary>
    public required IPAddress Source { get; init; }

    /// <summary>The outer destination address (the remote VTEP, IPv4).</summary>
    public required IPAddress Destination { get; init; }

    /// <summary>The VXLAN network identifier (0 to 2^24 − 1).</summary>
    public required int Vni { get; init; }

    /// <summary>The outer UDP source port (default 49152; the kernel hashes the inner flow into its source port range).</summary>
    public ushort SourcePort { get; init; } = 49152;

    /// <summary>The outer UDP destination port (default IANA 4789; flannel's default is the kernel's 8472).</summary>
    public ushort DestinationPort { get; init; } = VxlanHeader.IanaPort;

    /// <summary>The outer TTL (default 64).</summary>
    public byte TimeToLive { get; init; } = 64;

    /// <summary>The outer TOS byte (default 0).</summary>
    public byte TypeOfService { get; init; }

    /// <summary>Whether to set the outer "don't fragment" bit (default false, as the kernel's VXLAN device without <c>df set</c>).</summary>
    public bool DontFragment { get; init; }

    /// <summary>Whether to compute the outer UDP checksum (default false: zero, as the kernel's VXLAN device over IPv4 without <c>udpcsum</c>).</summary>
    public bool UdpChecksum { get; init; }

    /// <summary>The Group Based Policy extension, or <see langword="null"/> for plain VXLAN.</summary>
    public VxlanGroupPolicy? GroupPolicy { get; init; }
}

/// <summary>
/// Builds VXLAN-over-IPv4 packets (outer IPv4 + UDP + VXLAN around an inner Ethernet frame) from a
/// precomputed header template, either into a separate buffer or in place into reserved headroom,
/// and parses them back. No method allocates.
/// </summary>
/// <remarks>
/// An instance keeps an IP identification counter and is not thread-safe: use one per sending thread.
/// </remarks>
public sealed class VxlanEncapsulator
{
    /// <summary>Outer IPv4 (20) + UDP (8) + VXLAN (8): the headroom <see cref="EncapsulateInPlace"/> needs in front of the frame.</summary>
    public const int HeaderLength = IPv4Header.MinimumLength + UdpHeader.Length + VxlanHeader.Length;

    /// <summary>The overhead relative to an inner IP packet (50), which is why flannel's VXLAN MTU is the underlay MTU − 50.</summary>
    public const int Overhead = HeaderLength + EthernetHeader.Length;

    private readonly byte[] _template = new byte[HeaderLength];
    private readonly uint _ipPartialSum;     // folded sum of the constant IPv4 header words
    private readonly bool _udpChecksum;
    private ushort _identification;

    /// <summary>Creates an encapsulator.</summary>
    /// <param name="options">The outer header fields.</param>
    /// <exception cref="ArgumentException">An address is not IPv4 or the VNI is out of range.</exception>
    public VxlanEncapsulator(VxlanEncapsulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Span<byte> t = _template;
        IPv4Header.Write(t, 0, 0, options.DontFragment ? IPv4Header.DontFragment : (ushort)0, options.TimeToLive, IPProtocols.Udp,
            IPv4Header.ToUInt32(options.Source), IPv4Header.ToUInt32(options.Destination), options.TypeOfService);
        t[10] = 0;
        t[11] = 0;
        _ipPartialSum = InternetChecksum.Fold(InternetChecksum.Sum(t[..IPv4Header.MinimumLength]));
        UdpHeader.Write(t[IPv4Header.MinimumLength..], options.SourcePort, options.DestinationPort, 0);
        VxlanHeader.Write(t[(IPv4Header.MinimumLength + UdpHeader.Length)..], options.Vni, options.GroupPolicy);
        _udpChecksum = options.UdpChecksum;
    }

    /// <summary>The settings this encapsulator was built from.</summary>
    public VxlanEncapsulatorOptions Options { get; }

    /// <summary>The identification the next packet gets; settable so tests and callers can start from a known value.</summary>
    public ushort NextIdentification
    {
        get => _identification;
        set => _identification = value;
    }

    /// <summary>Copies <paramref name="innerFrame"/> behind freshly written outer headers in <paramref name="destination"/>.</summary>
    /// <param name="innerFrame">The inner Ethernet frame.</param>
    /// <param name="destination">The output buffer; at least <see cref="HeaderLength"/> + frame length bytes.</param>
    /// <returns>The length of the outer packet.</returns>
    /// <exception cref="ArgumentException">The buffer is too small or the packet would exceed 65,535 bytes.</exception>
    public int Encapsulate(ReadOnlySpan<byte> innerFrame, Span<byte> destination)
    {
        int total = HeaderLength + innerFrame.Length;
        if (total > ushort.MaxValue || destination.Length < total)
        {
            ThrowHelper.ThrowArgument(nameof(destination), "The destination cannot hold the encapsulated packet.");
        }

        innerFrame.CopyTo(destination[HeaderLength..]);
        WriteHeaders(destination[..total]);
        return total;
    }

    /// <summary>
    /// Writes the outer headers into the <see cref="HeaderLength"/> bytes in front of a frame that already
    /// sits in <paramref name="buffer"/> at <paramref name="frameOffset"/>, without moving the frame.
    /// </summary>
    /// <param name="buffer">The buffer holding headroom and frame.</param>
    /// <param name="frameOffset">Where the inner frame starts; at least <see cref="HeaderLength"/>.</param>
    /// <param name="frameLength">The inner frame length.</param>
    /// <returns>The outer packet (a slice of <paramref name="buffer"/>).</returns>
    /// <exception cref="ArgumentException">There is not enough headroom or the packet is too large.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> EncapsulateInPlace(Span<byte> buffer, int frameOffset, int frameLength)
    {
        int start = frameOffset - HeaderLength;
        int total = HeaderLength + frameLength;
        if (start < 0 || (uint)total > ushort.MaxValue || (uint)(frameOffset + frameLength) > (uint)buffer.Length)
        {
            ThrowHelper.ThrowArgument(nameof(frameOffset), "The buffer needs HeaderLength bytes of headroom in front of the frame.");
        }

        Span<byte> packet = buffer.Slice(start, total);
        WriteHeaders(packet);
        return packet;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteHeaders(Span<byte> packet)
    {
        ref byte dst = ref MemoryMarshal.GetReference(packet);
        ref byte src = ref MemoryMarshal.GetArrayDataReference(_template);
        Unsafe.CopyBlockUnaligned(ref dst, ref src, HeaderLength);

        int total = packet.Length;
        ushort id = _identification++;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, 2), BinaryPrimitives.ReverseEndianness((ushort)total));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, 4), BinaryPrimitives.ReverseEndianness(id));
        // Three 16-bit terms: two end-around carries fold the sum completely.
        uint sum = _ipPartialSum + (uint)total + id;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        ushort checksum = (ushort)~sum;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, 10), BinaryPrimitives.ReverseEndianness(checksum));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, 24), BinaryPrimitives.ReverseEndianness((ushort)(total - IPv4Header.MinimumLength)));
        if (_udpChecksum)
        {
            var udp = new UdpHeader(packet[IPv4Header.MinimumLength..]);
            udp.Checksum = udp.ComputeChecksumIPv4(packet.Slice(12, 4), packet.Slice(16, 4));
        }
    }

    /// <summary>
    /// Parses a complete outer IPv4 packet as VXLAN: a valid IPv4 header (checksum, lengths), protocol UDP,
    /// a consistent UDP length and (when non-zero) checksum, a VXLAN header with the I flag, and an inner Ethernet frame.
    /// </summary>
    /// <param name="outerPacket">The outer packet, exactly as long as its IPv4 total length.</param>
    /// <param name="packet">The parsed views on success.</param>
    /// <returns>The result; <see cref="VxlanDecodeStatus.Success"/> when <paramref name="packet"/> is set.</returns>
    public static VxlanDecodeStatus TryDecapsulate(Span<byte> outerPacket, out VxlanPacket packet)
    {
        packet = default;
        if (IPv4Header.Validate(outerPacket) != IPv4Validation.Valid)
        {
            return VxlanDecodeStatus.BadOuterIPv4;
        }

        var ip = new IPv4Header(outerPacket);
        if (ip.Protocol != IPProtocols.Udp || ip.IsFragment)
        {
            return VxlanDecodeStatus.NotUdp;
        }

        Span<byte> udpSpan = outerPacket[ip.HeaderLength..];
        if (udpSpan.Length < UdpHeader.Length)
        {
            return VxlanDecodeStatus.BadUdp;
        }

        var udp = new UdpHeader(udpSpan);
        if (udp.DatagramLength != udpSpan.Length)
        {
            return VxlanDecodeStatus.BadUdp;
        }

        if (udp.Checksum != 0 && udp.ComputeChecksumIPv4(ip.SourceBytes, ip.DestinationBytes) != udp.Checksum)
        {
            return VxlanDecodeStatus.BadUdpChecksum;
        }

        VxlanDecodeStatus status = TryDecapsulateUdpPayload(udpSpan[UdpHeader.Length..], out VxlanHeader vxlan, out Span<byte> frame);
        if (status == VxlanDecodeStatus.Success)
        {
            packet = new VxlanPacket(ip, udp, vxlan, frame);
        }

        return status;
    }

    /// <summary>Parses a UDP payload (as a UDP socket receives it) as a VXLAN header and an inner Ethernet frame.</summary>
    /// <param name="udpPayload">The datagram payload.</param>
    /// <param name="vxlan">The VXLAN header view.</param>
    /// <param name="innerFrame">The inner Ethernet frame.</param>
    /// <returns>The result.</returns>
    public static VxlanDecodeStatus TryDecapsulateUdpPayload(Span<byte> udpPayload, out VxlanHeader vxlan, out Span<byte> innerFrame)
    {
        vxlan = default;
        innerFrame = default;
        if (udpPayload.Length < VxlanHeader.Length + EthernetHeader.Length)
        {
            return VxlanDecodeStatus.TooShort;
        }

        var header = new VxlanHeader(udpPayload);
        if (!header.HasVni)
        {
            return VxlanDecodeStatus.NoVniFlag;
        }

        vxlan = header;
        innerFrame = udpPayload[VxlanHeader.Length..];
        return VxlanDecodeStatus.Success;
    }
}

/// <summary>The views of a parsed VXLAN packet.</summary>
public readonly ref struct VxlanPacket
{
    internal VxlanPacket(IPv4Header outer, UdpHeader udp, VxlanHeader vxlan, Span<byte> innerFrame)
    {
        Outer = outer;
        Udp = udp;
        Vxlan = vxlan;
        InnerFrame = innerFrame;
    }

    /// <summary>The outer IPv4 header.</summary>
    public IPv4Header Outer { get; }

    /// <summary>The outer UDP header.</summary>
    public UdpHeader Udp { get; }

    /// <summary>The VXLAN header.</summary>
    public VxlanHeader Vxlan { get; }

    /// <summary>The inner Ethernet frame.</summary>
    public Span<byte> InnerFrame { get; }
}

/// <summary>The outcome of parsing a VXLAN packet.</summary>
public enum VxlanDecodeStatus
{
    /// <summary>Parsed.</summary>
    Success = 0,

    /// <summary>The outer IPv4 header is malformed.</summary>
    BadOuterIPv4,

    /// <summary>The outer packet is not an unfragmented UDP datagram.</summary>
    NotUdp,

    /// <summary>The UDP header or length is inconsistent.</summary>
    BadUdp,

    /// <summary>The UDP checksum is wrong.</summary>
    BadUdpChecksum,

    /// <summary>Too short for a VXLAN header and an Ethernet header.</summary>
    TooShort,

    /// <summary>The VXLAN I flag is clear.</summary>
    NoVniFlag,
}
