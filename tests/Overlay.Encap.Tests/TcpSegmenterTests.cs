using System.Buffers.Binary;
using CsCheck;
using Overlay.Encap.Tests.Infrastructure;

namespace Overlay.Encap.Tests;

public sealed class TcpSegmenterTests
{
    private static readonly byte[] TimestampOptions = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];

    private static byte[] SuperPacket(int payload, TcpFlags flags, out byte[] data)
    {
        data = Packets.Pattern(payload, seed: payload);
        byte[] packet = Packets.Tcp("198.19.1.1", "198.19.2.1", 40000, 5201, 0xFFFF_F000, 77, flags, data, id: 0xFFFE, options: TimestampOptions, checksum: false);
        // As the kernel hands it out with TSO: only the pseudo-header sum in the checksum field.
        ulong pseudo = InternetChecksum.PseudoHeaderSumIPv4(packet.AsSpan(12, 4), packet.AsSpan(16, 4), IPProtocols.Tcp, packet.Length - 20);
        new TcpHeader(packet.AsSpan(20)).Checksum = InternetChecksum.Fold(pseudo);
        return packet;
    }

    [Fact]
    public void Super_packet_is_split_field_by_field()
    {
        const int mss = 1448;
        byte[] super = SuperPacket(10_000, TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin | TcpFlags.Cwr, out byte[] data);
        byte[] output = new byte[20_000];
        int count = TcpSegmenter.Segment(super, mss, output, out int segmentLength, out int lastLength);

        Assert.Equal(7, count);                                       // ceil(10000 / 1448)
        Assert.Equal(20 + 32 + mss, segmentLength);
        Assert.Equal(20 + 32 + (10_000 - (6 * mss)), lastLength);
        var received = new List<byte>();
        for (int i = 0; i < count; i++)
        {
            int length = i == count - 1 ? lastLength : segmentLength;
            Span<byte> segment = output.AsSpan(i * segmentLength, length);
            var ip = new IPv4Header(segment);
            var tcp = new TcpHeader(segment[20..]);
            Assert.Equal(length, ip.TotalLength);
            Assert.Equal((ushort)(0xFFFE + i), ip.Identification);       // wraps through 0xFFFF to 0
            Assert.True(ip.IsHeaderChecksumValid());
            Assert.Equal(IPv4Validation.Valid, IPv4Header.Validate(segment));
            Assert.Equal(unchecked(0xFFFF_F000u + (uint)(i * mss)), tcp.SequenceNumber);   // wraps past 2^32
            Assert.Equal(77u, tcp.AcknowledgmentNumber);
            Assert.Equal(TimestampOptions, tcp.Options.ToArray());
            TcpFlags expected = TcpFlags.Ack;
            if (i == 0)
            {
                expected |= TcpFlags.Cwr;
            }

            if (i == count - 1)
            {
                expected |= TcpFlags.Psh | TcpFlags.Fin;
            }

            Assert.Equal(expected, tcp.Flags);
            Assert.Equal(tcp.ComputeChecksumIPv4(ip.SourceBytes, ip.DestinationBytes, length - 20), tcp.Checksum);
            received.AddRange(segment[52..].ToArray());
        }

        Assert.Equal(data, received.ToArray());
    }

    [Fact]
    public void Segments_pass_tshark_checksum_validation()
    {
        Pcap.RequireTshark();
        byte[] super = SuperPacket(5000, TcpFlags.Ack | TcpFlags.Psh, out _);
        byte[] output = new byte[10_000];
        int count = TcpSegmenter.Segment(super, 1400, output, out int segmentLength, out int lastLength);
        byte[][] segments = [.. Enumerable.Range(0, count).Select(i => output.AsSpan(i * segmentLength, i == count - 1 ? lastLength : segmentLength).ToArray())];

        List<string[]> rows = Pcap.Dissect(Pcap.Write(Pcap.LinkTypeRaw, segments), [],
            "ip.len", "ip.id", "ip.checksum.status", "tcp.seq", "tcp.len", "tcp.flags.push", "tcp.checksum.status");
        Assert.Equal(4, rows.Count);
        for (int i = 0; i < 4; i++)
        {
            string[] f = rows[i];
            int payload = i == 3 ? 5000 - 4200 : 1400;
            Assert.Equal((20 + 32 + payload).ToString(), f[0]);
            Assert.Equal($"0x{(ushort)(0xFFFE + i):x4}", f[1]);
            Assert.Equal("1", f[2]);
            Assert.Equal(unchecked(0xFFFF_F000u + (uint)(i * 1400)).ToString(), f[3]);
            Assert.Equal(payload.ToString(), f[4]);
            Assert.Equal(i == 3 ? "1" : "0", f[5]);
            Assert.Equal("1", f[6]);
        }
    }

    [Fact]
    public void Packet_smaller_than_the_mss_becomes_one_segment_with_a_full_checksum()
    {
        byte[] super = SuperPacket(100, TcpFlags.Ack, out _);
        byte[] output = new byte[1000];
        Assert.Equal(1, TcpSegmenter.Segment(super, 1448, output, out int segmentLength, out int lastLength));
        Assert.Equal(super.Length, segmentLength);
        Assert.Equal(super.Length, lastLength);
        var tcp = new TcpHeader(output.AsSpan(20));
        Assert.Equal(tcp.ComputeChecksumIPv4(output.AsSpan(12, 4), output.AsSpan(16, 4), super.Length - 20), tcp.Checksum);
    }

    [Fact]
    public void Non_tcp_or_truncated_input_gives_zero_segments()
    {
        byte[] output = new byte[70_000];
        Assert.Equal(0, TcpSegmenter.Segment(Packets.Udp("198.19.1.1", "198.19.2.1", 1, 2, new byte[3000]), 1000, output, out _, out _));
        byte[] super = SuperPacket(3000, TcpFlags.Ack, out _);
        Assert.Equal(0, TcpSegmenter.Segment(super.AsSpan(0, 1000), 1000, output, out _, out _));
        Assert.Equal(0, TcpSegmenter.Segment(super, 0, output, out _, out _));
        Assert.Equal(0, TcpSegmenter.Segment(super, 1000, new byte[100], out _, out _));
    }

    [Fact]
    public void Coalescing_the_segments_restores_the_super_packet()
    {
        Gen.Select(Gen.Int[1, 60_000], Gen.Int[500, 9000]).Sample((payload, mss) =>
        {
            byte[] super = SuperPacket(payload, TcpFlags.Ack | TcpFlags.Psh, out byte[] data);
            byte[] output = new byte[140_000];
            int count = TcpSegmenter.Segment(super, mss, output, out int segmentLength, out int lastLength);
            var coalescer = new TcpCoalescer();
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(CoalesceResult.Added, coalescer.TryAdd(output.AsSpan(i * segmentLength, i == count - 1 ? lastLength : segmentLength)));
            }

            byte[] merged = coalescer.Flush().ToArray();
            Assert.True(coalescer.IsEmpty);
            VirtioNetHeader header = VirtioNetHeader.Read(merged);
            Span<byte> packet = merged.AsSpan(VirtioNetHeader.Length);
            Assert.Equal(data, packet[52..].ToArray());
            Assert.Equal(IPv4Validation.Valid, IPv4Header.Validate(packet));
            var tcp = new TcpHeader(packet[20..]);
            Assert.Equal(0xFFFF_F000u, tcp.SequenceNumber);
            Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, tcp.Flags);
            if (count == 1)
            {
                Assert.Equal(default, header);
                Assert.Equal(tcp.ComputeChecksumIPv4(packet.Slice(12, 4), packet.Slice(16, 4), packet.Length - 20), tcp.Checksum);
            }
            else
            {
                Assert.Equal(VirtioGsoType.TcpV4, header.GsoType);
                Assert.True(header.NeedsChecksum);
                Assert.Equal(mss, header.GsoSize);
                Assert.Equal(52, header.HeaderLength);
                Assert.Equal((20, 16), (header.ChecksumStart, header.ChecksumOffset));
                // The field holds the pseudo-header sum; completing it gives the full checksum.
                ushort expected = tcp.ComputeChecksumIPv4(packet.Slice(12, 4), packet.Slice(16, 4), packet.Length - 20);
                Assert.True(VirtioNetHeader.CompleteChecksum(packet, 20, 16));
                Assert.Equal(expected, tcp.Checksum);
            }
        }, iter: 60);
    }
}
