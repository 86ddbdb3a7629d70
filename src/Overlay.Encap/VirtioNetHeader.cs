using System.Runtime.InteropServices;

namespace Overlay.Encap;

/// <summary>The <c>gso_type</c> values of a <see cref="VirtioNetHeader"/>.</summary>
public enum VirtioGsoType : byte
{
    /// <summary>Not a GSO packet.</summary>
    None = 0,

    /// <summary>TCP over IPv4 (TSO4).</summary>
    TcpV4 = 1,

    /// <summary>UDP fragmentation offload (obsolete).</summary>
    Udp = 3,

    /// <summary>TCP over IPv6 (TSO6).</summary>
    TcpV6 = 4,

    /// <summary>UDP segmentation offload (USO).</summary>
    UdpL4 = 5,
}

/// <summary>
/// The 10-byte <c>virtio_net_hdr</c> that precedes every packet read from or written to a TUN device
/// opened with <c>IFF_VNET_HDR</c> (native byte order).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VirtioNetHeader : IEquatable<VirtioNetHeader>
{
    /// <summary>The header length.</summary>
    public const int Length = 10;

    /// <summary>The <c>NEEDS_CSUM</c> flag: the checksum at <see cref="ChecksumStart"/> + <see cref="ChecksumOffset"/> holds only the pseudo-header sum.</summary>
    public const byte FlagNeedsChecksum = 1;

    /// <summary>The ECN bit of <c>gso_type</c>.</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>The flags (<see cref="FlagNeedsChecksum"/>).</summary>
    public byte Flags { get; set; }

    /// <summary>The raw <c>gso_type</c> byte (may include <see cref="GsoEcn"/>).</summary>
    public byte RawGsoType { get; set; }

    /// <summary>The length of the headers to copy per segment.</summary>
    public ushort HeaderLength { get; set; }

    /// <summary>The segment payload size (MSS) for GSO packets.</summary>
    public ushort GsoSize { get; set; }

    /// <summary>Where checksumming starts.</summary>
    public ushort ChecksumStart { get; set; }

    /// <summary>The offset of the checksum field from <see cref="ChecksumStart"/>.</summary>
    public ushort ChecksumOffset { get; set; }

    /// <summary>The GSO type without the ECN bit.</summary>
    public readonly VirtioGsoType GsoType => (VirtioGsoType)(RawGsoType & ~GsoEcn);

    /// <summary>Whether <see cref="FlagNeedsChecksum"/> is set.</summary>
    public readonly bool NeedsChecksum => (Flags & FlagNeedsChecksum) != 0;

    /// <summary>Reads a header from the first 10 bytes of <paramref name="source"/>.</summary>
    /// <param name="source">At least 10 bytes.</param>
    /// <returns>The header.</returns>
    public static VirtioNetHeader Read(ReadOnlySpan<byte> source) => MemoryMarshal.Read<VirtioNetHeader>(source);

    /// <summary>Writes this header into the first 10 bytes of <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 10 bytes.</param>
    public readonly void Write(Span<byte> destination)
    {
        VirtioNetHeader copy = this;
        MemoryMarshal.Write(destination, in copy);
    }

    /// <summary>
    /// Completes a partial checksum (<see cref="NeedsChecksum"/>): sums from <paramref name="checksumStart"/> to
    /// the end of <paramref name="packet"/> (the field holds the pseudo-header sum) and stores the result.
    /// </summary>
    /// <param name="packet">The packet the header describes (without the virtio header).</param>
    /// <param name="checksumStart">Where checksumming starts.</param>
    /// <param name="checksumOffset">The offset of the checksum field from the start.</param>
    /// <returns><see langword="false"/> if the offsets do not fit the packet.</returns>
    public static bool CompleteChecksum(Span<byte> packet, int checksumStart, int checksumOffset)
    {
        if (checksumStart < 0 || checksumOffset < 0 || checksumStart + checksumOffset + 2 > packet.Length)
        {
            return false;
        }

        ushort value = InternetChecksum.Finish(InternetChecksum.Sum(packet[checksumStart..]));
        packet[checksumStart + checksumOffset] = (byte)(value >> 8);
        packet[checksumStart + checksumOffset + 1] = (byte)value;
        return true;
    }

    /// <inheritdoc/>
    public readonly bool Equals(VirtioNetHeader other) =>
        Flags == other.Flags && RawGsoType == other.RawGsoType && HeaderLength == other.HeaderLength &&
        GsoSize == other.GsoSize && ChecksumStart == other.ChecksumStart && ChecksumOffset == other.ChecksumOffset;

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is VirtioNetHeader other && Equals(other);

    /// <inheritdoc/>
    public override readonly int GetHashCode() => HashCode.Combine(Flags, RawGsoType, HeaderLength, GsoSize, ChecksumStart, ChecksumOffset);

    /// <summary>Compares two headers.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(VirtioNetHeader left, VirtioNetHeader right) => left.Equals(right);

    /// <summary>Compares two headers.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(VirtioNetHeader left, VirtioNetHeader right) => !left.Equals(right);
}
