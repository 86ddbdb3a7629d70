using CsCheck;
using Overlay.Encap.Tests.Infrastructure;

namespace Overlay.Encap.Tests;

public sealed class HeaderCodecTests
{
    [Fact]
    public void IPv4_fields_round_trip()
    {
        Gen.Select(Gen.Select(Gen.Byte, Gen.UShort[20, 65535], Gen.UShort, Gen.UShort, Gen.Byte), Gen.Select(Gen.Byte, Gen.UInt, Gen.UInt)).Sample((a, b) =>
        {
            (byte tos, ushort length, ushort id, ushort frag, byte ttl) = a;
            (byte protocol, uint src, uint dst) = b;
            byte[] bytes = new byte[20];
            IPv4Header h = IPv4Header.Write(bytes, length, id, frag, ttl, protocol, src, dst, tos);
            var r = new IPv4Header(bytes);
            Assert.Equal((4, 20, tos, length, id, frag, ttl, protocol, src, dst), (r.Version, r.HeaderLength, r.TypeOfService, r.TotalLength, r.Identification, r.FlagsAndFragmentOffset, r.TimeToLive, r.Protocol, r.Source, r.Destination));
            Assert.True(h.IsHeaderChecksumValid());
        });
    }

    [Fact]
    public void IPv4_validation_names_each_defect()
    {
        byte[] good = Packets.Udp("198.19.1.1", "198.19.2.1", 1, 2, [1, 2, 3]);
        Assert.Equal(IPv4Validation.Valid, IPv4Header.Validate(good));
        Assert.Equal(IPv4Validation.TooShort, IPv4Header.Validate(good.AsSpan(0, 19)));

        byte[] v6 = (byte[])good.Clone();
        v6[0] = 0x65;
        Assert.Equal(IPv4Validation.BadVersion, IPv4Header.Validate(v6));

        byte[] ihl = (byte[])good.Clone();
        ihl[0] = 0x44;
        Assert.Equal(IPv4Validation.BadHeaderLength, IPv4Header.Validate(ihl));

        Assert.Equal(IPv4Validation.LengthMismatch, IPv4Header.Validate(good.AsSpan(0, good.Length - 1)));
        Assert.Equal(IPv4Validation.LengthMismatch, IPv4Header.Validate([.. good, 0]));

        byte[] checksum = (byte[])good.Clone();
        checksum[8]--;
        Assert.Equal(IPv4Validation.BadChecksum, IPv4Header.Validate(checksum));
    }

    [Fact]
    public void Decrementing_ttl_keeps_the_checksum_valid()
    {
        Gen.Byte[1, 255].Sample(ttl =>
        {
            byte[] packet = Packets.Udp("198.19.1.1", "198.19.2.1", 1, 2, [9], ttl: ttl);
            var ip = new IPv4Header(packet);
            Assert.Equal(ttl - 1, ip.DecrementTimeToLive());
            Assert.True(ip.IsHeaderChecksumValid());
        });
    }

    [Fact]
    public void IPv6_fields_round_trip()
    {
        Gen.Select(Gen.Byte, Gen.Int[0, 0xFFFFF], Gen.UShort, Gen.Byte, Gen.Byte, Gen.Byte.Array[16], Gen.Byte.Array[16]).Sample((tc, flow, length, next, hop, src, dst) =>
        {
            byte[] bytes = new byte[40];
            IPv6Header.Write(bytes, length, next, hop, src, dst, tc, flow);
            var h = new IPv6Header(bytes);
            Assert.Equal((6, tc, flow, length, next, hop), (h.Version, h.TrafficClass, h.FlowLabel, h.PayloadLength, h.NextHeader, h.HopLimit));
            Assert.Equal(src, h.Source.ToArray());
            Assert.Equal(dst, h.Destination.ToArray());
        });
    }

    [Fact]
    public void Udp_checksum_over_ipv6_matches_tshark()
    {
        Pcap.RequireTshark();
        byte[] src = System.Net.IPAddress.Parse("2001:db8:19::1").GetAddressBytes();
        byte[] dst = System.Net.IPAddress.Parse("2001:db8:19::2").GetAddressBytes();
        byte[] payload = Packets.Pattern(33);
        byte[] packet = new byte[40 + 8 + payload.Length];
        IPv6Header.Write(packet, (ushort)(8 + payload.Length), IPProtocols.Udp, 64, src, dst);
        var udp = UdpHeader.Write(packet.AsSpan(40), 4000, 5000, (ushort)(8 + payload.Length));
        payload.CopyTo(packet, 48);
        udp.Checksum = udp.ComputeChecksumIPv6(src, dst);

        string[] f = Assert.Single(Pcap.Dissect(Pcap.Write(Pcap.LinkTypeRaw, packet), [], "ipv6.src", "ipv6.dst", "udp.length", "udp.checksum.status"));
        Assert.Equal(["2001:db8:19::1", "2001:db8:19::2", "41", "1"], f);
    }

    [Fact]
    public void Tcp_fields_round_trip()
    {
        Gen.Select(Gen.UShort, Gen.UShort, Gen.UInt, Gen.UInt, Gen.Byte, Gen.UShort, Gen.Int[5, 15]).Sample((sp, dp, seq, ack, flags, window, words) =>
        {
            byte[] bytes = new byte[60];
            var t = new TcpHeader(bytes)
            {
                SourcePort = sp,
                DestinationPort = dp,
                SequenceNumber = seq,
                AcknowledgmentNumber = ack,
                HeaderLength = words * 4,
                Flags = (TcpFlags)flags,
                Window = window,
                UrgentPointer = 3,
            };
            var r = new TcpHeader(bytes);
            Assert.Equal((sp, dp, seq, ack, words * 4, (TcpFlags)flags, window, (ushort)3), (r.SourcePort, r.DestinationPort, r.SequenceNumber, r.AcknowledgmentNumber, r.HeaderLength, r.Flags, r.Window, r.UrgentPointer));
            Assert.Equal((words * 4) - 20, r.Options.Length);
        });
    }

    [Fact]
    public void Ethernet_fields_round_trip()
    {
        Gen.Select(Gen.Byte.Array[6], Gen.Byte.Array[6], Gen.UShort).Sample((dst, src, type) =>
        {
            byte[] frame = Packets.Ethernet(dst, src, type, [1]);
            Assert.True(EthernetHeader.TryRead(frame, out EthernetHeader h));
            Assert.Equal(dst, h.Destination.ToArray());
            Assert.Equal(src, h.Source.ToArray());
            Assert.Equal(type, h.EtherType);
        });
        Assert.False(EthernetHeader.TryRead(new byte[13], out _));
    }

    [Fact]
    public void Virtio_header_round_trips_in_native_order()
    {
        var header = new VirtioNetHeader { Flags = 1, RawGsoType = 0x81, HeaderLength = 52, GsoSize = 1448, ChecksumStart = 20, ChecksumOffset = 16 };
        byte[] bytes = new byte[10];
        header.Write(bytes);
        Assert.Equal("0181" + "3400" + "a805" + "1400" + "1000", Packets.Hex(bytes));
        VirtioNetHeader back = VirtioNetHeader.Read(bytes);
        Assert.Equal(header, back);
        Assert.Equal(VirtioGsoType.TcpV4, back.GsoType);
        Assert.True(back.NeedsChecksum);
    }

    [Fact]
    public void Completing_a_partial_checksum_gives_the_full_checksum()
    {
        byte[] packet = Packets.Tcp("198.19.1.1", "198.19.2.1", 40000, 5201, 1000, 2000, TcpFlags.Ack | TcpFlags.Psh, Packets.Pattern(777));
        ushort full = new TcpHeader(packet.AsSpan(20)).Checksum;
        ulong pseudo = InternetChecksum.PseudoHeaderSumIPv4(packet.AsSpan(12, 4), packet.AsSpan(16, 4), IPProtocols.Tcp, packet.Length - 20);
        new TcpHeader(packet.AsSpan(20)).Checksum = InternetChecksum.Fold(pseudo);
        Assert.True(VirtioNetHeader.CompleteChecksum(packet, 20, 16));
        Assert.Equal(full, new TcpHeader(packet.AsSpan(20)).Checksum);
        Assert.False(VirtioNetHeader.CompleteChecksum(packet, packet.Length, 16));
    }
}
