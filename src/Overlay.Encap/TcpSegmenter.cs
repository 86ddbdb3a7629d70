using System.Buffers.Binary;

namespace Overlay.Encap;

/// <summary>
/// Splits an IPv4 TCP "super-packet" (as a TUN device with TSO hands it out) into MSS-sized IPv4
/// packets, the way a NIC's TCP segmentation offload does, and can merge in-order segments back.
/// </summary>
public static class TcpSegmenter
{
    /// <summary>
    /// Segments <paramref name="superPacket"/> into packets carrying at most <paramref name="maxSegmentSize"/>
    /// payload bytes each, written back to back into <paramref name="destination"/>: segment <c>i</c> starts at
    /// <c>i × segmentLength</c>, and all but the last are exactly <paramref name="segmentLength"/> bytes long.
    /// Per segment: IP total length, identification (+1 per segment), header checksum, TCP sequence number,
    /// flags (FIN and PSH only on the last segment, CWR only on the first) and a full TCP checksum.
    /// </summary>
    /// <param name="superPacket">The IPv4 packet; its TCP checksum field is ignored (it may be partial).</param>
    /// <param name="maxSegmentSize">The TCP payload per segment (the MSS, virtio <c>gso_size</c>).</param>
    /// <param name="destination">The output buffer.</param>
    /// <param name="segmentLength">The length of every segment but the last.</param>
    /// <param name="lastSegmentLength">The length of the last segment.</param>
    /// <returns>The number of segments, or 0 if the packet is not a well-formed IPv4 TCP packet or does not fit.</returns>
    public static int Segment(ReadOnlySpan<byte> superPacket, int maxSegmentSize, Span<byte> destination, out int segmentLength, out int lastSegmentLength)
    {
        segmentLength = 0;
        lastSegmentLength = 0;
        if (maxSegmentSize <= 0 || superPacket.Length < IPv4Header.MinimumLength + TcpHeader.MinimumLength || superPacket[0] >> 4 != 4 || superPacket[9] != IPProtocols.Tcp)
        {
            return 0;
        }

        int ipHeaderLength = (superPacket[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(superPacket[2..]);
        if (ipHeaderLength < IPv4Header.MinimumLength || totalLength > superPacket.Length || ipHeaderLength + TcpHeader.MinimumLength > totalLength)
        {
            return 0;
        }

        int tcpHeaderLength = (superPacket[ipHeaderLength + 12] >> 4) * 4;
        int headersLength = ipHeaderLength + tcpHeaderLength;
        if (tcpHeaderLength < TcpHeader.MinimumLength || headersLength > totalLength)
        {
            return 0;
        }

        int payloadLength = totalLength - headersLength;
        int count = payloadLength == 0 ? 1 : (payloadLength + maxSegmentSize - 1) / maxSegmentSize;
        int fullLength = headersLength + Math.Min(maxSegmentSize, payloadLength);
        int lastPayload = payloadLength - ((count - 1) * maxSegmentSize);
        if ((long)fullLength * (count - 1) + headersLength + lastPayload > destination.Length)
        {
            return 0;
        }

        ReadOnlySpan<byte> headers = superPacket[..headersLength];
        ushort identification = BinaryPrimitives.ReadUInt16BigEndian(superPacket[4..]);
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(superPacket[(ipHeaderLength + 4)..]);
        byte flags = superPacket[ipHeaderLength + 13];
        ReadOnlySpan<byte> source = superPacket.Slice(12, 4);
        ReadOnlySpan<byte> target = superPacket.Slice(16, 4);

        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            bool last = i == count - 1;
            int payload = last ? lastPayload : maxSegmentSize;
            int length = headersLength + payload;
            Span<byte> segment = destination.Slice(offset, length);
            headers.CopyTo(segment);
            superPacket.Slice(headersLength + (i * maxSegmentSize), payload).CopyTo(segment[headersLength..]);

            BinaryPrimitives.WriteUInt16BigEndian(segment[2..], (ushort)length);
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(identification + i));
            segment[10] = 0;
            segment[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(segment[10..], InternetChecksum.Compute(segment[..ipHeaderLength]));

            Span<byte> tcp = segment[ipHeaderLength..];
            BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence + (uint)(i * maxSegmentSize));
            byte segmentFlags = flags;
            if (!last)
            {
                segmentFlags &= unchecked((byte)~(TcpFlags.Fin | TcpFlags.Psh));
            }

            if (i != 0)
            {
                segmentFlags &= unchecked((byte)~TcpFlags.Cwr);
            }

            tcp[13] = segmentFlags;
            tcp[16] = 0;
            tcp[17] = 0;
            ulong sum = InternetChecksum.PseudoHeaderSumIPv4(source, target, IPProtocols.Tcp, length - ipHeaderLength);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Finish(InternetChecksum.Sum(tcp[..(length - ipHeaderLength)], sum)));
            offset += length;
        }

        segmentLength = fullLength;
        lastSegmentLength = headersLength + lastPayload;
        return count;
    }
}
