using System.Buffers.Binary;

namespace Overlay.Encap;

/// <summary>
/// Builds ICMP Destination Unreachable messages (RFC 792 type 3) about an IPv4 packet that cannot be
/// delivered, following the suppression rules of flannel's udp proxy.
/// </summary>
public static class IcmpDestinationUnreachable
{
    /// <summary>ICMP type 3.</summary>
    public const byte Type = 3;

    /// <summary>Code 0: network unreachable (what flannel sends for a destination without a route).</summary>
    public const byte NetworkUnreachable = 0;

    /// <summary>Code 1: host unreachable.</summary>
    public const byte HostUnreachable = 1;

    /// <summary>Code 4: fragmentation needed and DF set.</summary>
    public const byte FragmentationNeeded = 4;

    /// <summary>The TTL of the generated message.</summary>
    public const byte TimeToLive = 64;

    /// <summary>The largest message: IPv4 header (20) + ICMP header (8) + offender header (up to 56 here) + 8 bytes.</summary>
    public const int MaximumLength = IPv4Header.MinimumLength + 8 + IPv4Header.MaximumLength + 8;

    /// <summary>
    /// Whether an error may be sent about <paramref name="offendingPacket"/>. Suppressed, as flannel does,
    /// when the offender is itself ICMP, is a non-first fragment, or has a header of 60 bytes or more;
    /// additionally (not in flannel) when it is not a parseable IPv4 packet or its source is 0.0.0.0,
    /// multicast or broadcast (RFC 1812 §4.3.2.7).
    /// </summary>
    /// <param name="offendingPacket">The packet that could not be delivered.</param>
    /// <returns><see langword="true"/> if an ICMP error may be generated.</returns>
    public static bool ShouldSend(ReadOnlySpan<byte> offendingPacket)
    {
        if (offendingPacket.Length < IPv4Header.MinimumLength || offendingPacket[0] >> 4 != 4)
        {
            return false;
        }

        int headerLength = (offendingPacket[0] & 0x0F) * 4;
        if (headerLength < IPv4Header.MinimumLength || headerLength >= IPv4Header.MaximumLength || headerLength > offendingPacket.Length)
        {
            return false;
        }

        if (offendingPacket[9] == IPProtocols.Icmp || (BinaryPrimitives.ReadUInt16BigEndian(offendingPacket[6..]) & 0x1FFF) != 0)
        {
            return false;
        }

        uint source = BinaryPrimitives.ReadUInt32BigEndian(offendingPacket[12..]);
        return source != 0 && source != uint.MaxValue && (source >> 28) != 0xE;
    }

    /// <summary>
    /// Writes an IPv4 packet carrying ICMP Destination Unreachable about <paramref name="offendingPacket"/>:
    /// from <paramref name="source"/> to the offender's source, with the offender's IP header and the first
    /// 8 bytes of its payload. Returns 0 (and writes nothing) when <see cref="ShouldSend"/> says no.
    /// </summary>
    /// <param name="offendingPacket">The packet that could not be delivered.</param>
    /// <param name="source">The source of the ICMP message (host order), typically the TUN address.</param>
    /// <param name="destination">The output buffer; <see cref="MaximumLength"/> bytes always suffice.</param>
    /// <param name="code">The code (default <see cref="NetworkUnreachable"/>).</param>
    /// <param name="nextHopMtu">For <see cref="FragmentationNeeded"/>: the next-hop MTU (RFC 1191).</param>
    /// <returns>The length written, or 0 if suppressed.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int TryWrite(ReadOnlySpan<byte> offendingPacket, uint source, Span<byte> destination, byte code = NetworkUnreachable, ushort nextHopMtu = 0)
    {
        if (!ShouldSend(offendingPacket))
        {
            return 0;
        }

        int headerLength = (offendingPacket[0] & 0x0F) * 4;
        int quoted = headerLength + Math.Min(8, offendingPacket.Length - headerLength);
        int total = IPv4Header.MinimumLength + 8 + quoted;
        if (destination.Length < total)
        {
            ThrowHelper.ThrowTooShort(nameof(destination), total);
        }

        uint offenderSource = BinaryPrimitives.ReadUInt32BigEndian(offendingPacket[12..]);
        IPv4Header.Write(destination, (ushort)total, 0, 0, TimeToLive, IPProtocols.Icmp, source, offenderSource);
        Span<byte> icmp = destination.Slice(IPv4Header.MinimumLength, 8 + quoted);
        icmp[0] = Type;
        icmp[1] = code;
        icmp[2] = 0;
        icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], code == FragmentationNeeded ? nextHopMtu : (ushort)0);
        offendingPacket[..quoted].CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
        return total;
    }
}
