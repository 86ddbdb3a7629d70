using System.Buffers.Binary;

namespace Overlay.Encap;

/// <summary>The outcome of <see cref="TcpCoalescer.TryAdd"/>.</summary>
public enum CoalesceResult
{
    /// <summary>The packet was taken (it started a group or was appended to it).</summary>
    Added,

    /// <summary>The packet can never be coalesced (not plain IPv4 TCP data with ACK); write it on its own.</summary>
    NotCoalescable,

    /// <summary>The packet does not continue the current group: flush, then add it again.</summary>
    Mismatch,
}

/// <summary>
/// Merges consecutive in-order TCP/IPv4 segments of one flow into one super-packet preceded by a
/// <see cref="VirtioNetHeader"/> (GSO TCPV4, partial checksum), so that a TUN device opened with
/// <c>IFF_VNET_HDR</c> takes dozens of segments in one write. The inverse of <see cref="TcpSegmenter"/>.
/// </summary>
/// <remarks>
/// Segments join a group only if they have no IP options, the same addresses, ports, TOS, TTL, DF bit,
/// acknowledgment number, window, TCP header length and options, a sequence number equal to the group's next
/// one, flags ACK (PSH allowed on the last), and a payload no larger than the first one's (a smaller payload or
/// PSH ends the group). Not thread-safe; owns one 64 KiB buffer.
/// </remarks>
public sealed class TcpCoalescer
{
    private const int MaxTotalLength = ushort.MaxValue;
    private readonly byte[] _buffer = new byte[VirtioNetHeader.Length + MaxTotalLength];
    private int _length;          // bytes of the packet in _buffer after the virtio header
    private int _count;
    private int _mss;
    private int _headersLength;
    private uint _nextSequence;
    private bool _closed;
    private bool _psh;

    /// <summary>Whether no group is pending.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>The number of segments in the pending group.</summary>
    public int SegmentCount => _count;

    /// <summary>Offers one complete IPv4 packet.</summary>
    /// <param name="packet">The packet (validated by the caller: version, lengths, header checksum).</param>
    /// <returns>Whether it was taken.</returns>
    public CoalesceResult TryAdd(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < IPv4Header.MinimumLength + TcpHeader.MinimumLength || packet[0] != 0x45 || packet[9] != IPProtocols.Tcp ||
            (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0)
        {
            return CoalesceResult.NotCoalescable;
        }

        int tcpHeaderLength = (packet[IPv4Header.MinimumLength + 12] >> 4) * 4;
        int headersLength = IPv4Header.MinimumLength + tcpHeaderLength;
        int payload = packet.Length - headersLength;
        byte flags = packet[IPv4Header.MinimumLength + 13];
        if (tcpHeaderLength < TcpHeader.MinimumLength || payload <= 0 || (flags & ~(byte)TcpFlags.Psh) != (byte)TcpFlags.Ack)
        {
            return CoalesceResult.NotCoalescable;
        }

        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(packet[(IPv4Header.MinimumLength + 4)..]);
        bool psh = (flags & (byte)TcpFlags.Psh) != 0;
        Span<byte> group = _buffer.AsSpan(VirtioNetHeader.Length);
        if (_count == 0)
        {
            packet.CopyTo(group);
            _length = packet.Length;
            _count = 1;
            _mss = payload;
            _headersLength = headersLength;
            _nextSequence = sequence + (uint)payload;
            _closed = psh;
            _psh = psh;
            return CoalesceResult.Added;
        }

        if (_closed || headersLength != _headersLength || payload > _mss || sequence != _nextSequence || _length + payload > MaxTotalLength ||
            !SameFlow(group, packet))
        {
            return CoalesceResult.Mismatch;
        }

        packet[headersLength..].CopyTo(group[_length..]);
        _length += payload;
        _count++;
        _nextSequence += (uint)payload;
        _psh = psh;
        _closed = psh || payload < _mss;
        return CoalesceResult.Added;
    }

    private bool SameFlow(ReadOnlySpan<byte> first, ReadOnlySpan<byte> packet)
    {
        // IP: TOS (1), flags/DF (6..7), TTL and protocol (8..9), addresses (12..19).
        if (first[1] != packet[1] || first[6] != packet[6] || first[7] != packet[7] || first[8] != packet[8] ||
            !first.Slice(12, 8).SequenceEqual(packet.Slice(12, 8)))
        {
            return false;
        }

        // TCP: ports (0..3), ack (8..11), data offset (12), window (14..15), options (20..).
        ReadOnlySpan<byte> a = first[IPv4Header.MinimumLength.._headersLength];
        ReadOnlySpan<byte> b = packet[IPv4Header.MinimumLength.._headersLength];
        return a[..4].SequenceEqual(b[..4]) && a.Slice(8, 5).SequenceEqual(b.Slice(8, 5)) && a[14] == b[14] && a[15] == b[15] &&
            a[TcpHeader.MinimumLength..].SequenceEqual(b[TcpHeader.MinimumLength..]);
    }

    /// <summary>
    /// Ends the pending group and returns it as virtio header + packet, ready for one TUN write. A group of one
    /// segment is returned unchanged behind an all-zero virtio header. The span stays valid until the next
    /// <see cref="TryAdd"/>.
    /// </summary>
    /// <returns>The bytes to write, or an empty span if nothing was pending.</returns>
    public ReadOnlySpan<byte> Flush()
    {
        if (_count == 0)
        {
            return [];
        }

        Span<byte> output = _buffer.AsSpan(0, VirtioNetHeader.Length + _length);
        Span<byte> packet = output[VirtioNetHeader.Length..];
        VirtioNetHeader header = default;
        if (_count > 1)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)_length);
            packet[10] = 0;
            packet[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(packet[10..], InternetChecksum.Compute(packet[..IPv4Header.MinimumLength]));
            Span<byte> tcp = packet[IPv4Header.MinimumLength..];
            tcp[13] = (byte)(TcpFlags.Ack | (_psh ? TcpFlags.Psh : TcpFlags.None));
            ulong pseudo = InternetChecksum.PseudoHeaderSumIPv4(packet.Slice(12, 4), packet.Slice(16, 4), IPProtocols.Tcp, _length - IPv4Header.MinimumLength);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[TcpHeader.ChecksumOffset..], InternetChecksum.Fold(pseudo));
            header.Flags = VirtioNetHeader.FlagNeedsChecksum;
            header.RawGsoType = (byte)VirtioGsoType.TcpV4;
            header.HeaderLength = (ushort)_headersLength;
            header.GsoSize = (ushort)_mss;
            header.ChecksumStart = IPv4Header.MinimumLength;
            header.ChecksumOffset = TcpHeader.ChecksumOffset;
        }

        header.Write(output);
        _count = 0;
        _length = 0;
        return output;
    }
}
