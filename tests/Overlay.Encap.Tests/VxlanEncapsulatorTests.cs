using System.Net;
using CsCheck;
using Overlay.Encap.Tests.Infrastructure;

namespace Overlay.Encap.Tests;

public sealed class VxlanEncapsulatorTests
{
    private static readonly byte[] InnerDst = [0x02, 0x42, 0xc6, 0x13, 0x02, 0x02];
    private static readonly byte[] InnerSrc = [0x02, 0x42, 0xc6, 0x13, 0x01, 0x01];

    private static VxlanEncapsulator Create(int vni = 42, ushort port = 4789, bool udpChecksum = false, VxlanGroupPolicy? gbp = null) => new(new VxlanEncapsulatorOptions
    {
        Source = IPAddress.Parse("198.18.0.1"),
        Destination = IPAddress.Parse("198.18.0.2"),
        Vni = vni,
        SourcePort = 51000,
        DestinationPort = port,
        UdpChecksum = udpChecksum,
        GroupPolicy = gbp,
        DontFragment = true,
    });

    private static byte[] InnerFrame(int payload = 100) =>
        Packets.Ethernet(InnerDst, InnerSrc, EtherTypes.IPv4, Packets.Udp("198.19.1.1", "198.19.2.1", 1234, 5678, Packets.Pattern(payload), id: 0x1234, ttl: 63));

    [Fact]
    public void Encapsulated_packet_matches_tshark_dissection()
    {
        Pcap.RequireTshark();
        byte[] inner = InnerFrame();
        VxlanEncapsulator encapsulator = Create(vni: 0xABCDE, udpChecksum: true);
        encapsulator.NextIdentification = 0x0102;
        byte[] outer = new byte[VxlanEncapsulator.HeaderLength + inner.Length];
        int length = encapsulator.Encapsulate(inner, outer);
        Assert.Equal(outer.Length, length);

        List<string[]> rows = Pcap.Dissect(Pcap.Write(Pcap.LinkTypeRaw, outer), [],
            "ip.src", "ip.dst", "ip.len", "ip.id", "ip.ttl", "ip.flags.df", "ip.checksum.status",
            "udp.srcport", "udp.dstport", "udp.length", "udp.checksum.status",
            "vxlan.flag_i", "vxlan.flag_g", "vxlan.vni",
            "eth.dst", "eth.src", "eth.type");

        string[] f = Assert.Single(rows);
        Assert.Equal("198.18.0.1,198.19.1.1", f[0]);
        Assert.Equal("198.18.0.2,198.19.2.1", f[1]);
        Assert.Equal($"{outer.Length},{inner.Length - 14}", f[2]);
        Assert.Equal("0x0102,0x1234", f[3]);
        Assert.Equal("64,63", f[4]);
        Assert.Equal("1,1", f[5]);
        Assert.Equal("1,1", f[6]);                        // both IPv4 header checksums good
        Assert.Equal("51000,1234", f[7]);
        Assert.Equal("4789,5678", f[8]);
        Assert.Equal($"{outer.Length - 20},{inner.Length - 34}", f[9]);
        Assert.Equal("1,1", f[10]);                       // outer and inner UDP checksums good
        Assert.Equal("1", f[11]);
        Assert.Equal("0", f[12]);
        Assert.Equal(0xABCDE.ToString(), f[13]);
        Assert.Equal("02:42:c6:13:02:02", f[14]);
        Assert.Equal("02:42:c6:13:01:01", f[15]);
        Assert.Equal("0x0800", f[16]);
    }

    [Fact]
    public void Group_policy_extension_matches_tshark_dissection()
    {
        Pcap.RequireTshark();
        byte[] inner = InnerFrame();
        VxlanEncapsulator encapsulator = Create(vni: 7, port: VxlanHeader.LinuxDefaultPort, gbp: new VxlanGroupPolicy(0xBEEF, DontLearn: true, PolicyApplied: true));
        byte[] outer = new byte[VxlanEncapsulator.HeaderLength + inner.Length];
        encapsulator.Encapsulate(inner, outer);

        // 8472 is not VXLAN's registered port: tell tshark, as one would for flannel's default.
        List<string[]> rows = Pcap.Dissect(Pcap.Write(Pcap.LinkTypeRaw, outer), ["udp.port==8472,vxlan"],
            "vxlan.flag_g", "vxlan.flag_i", "vxlan.flag_d", "vxlan.flag_a", "vxlan.gbp", "vxlan.vni", "udp.checksum.status", "ip.checksum.status");
        string[] f = Assert.Single(rows);
        Assert.Equal(["1", "1", "1", "1", "48879", "7", "3,1", "1,1"], f);
    }

    [Fact]
    public void Encapsulated_packet_bytes_are_the_expected_golden_bytes()
    {
        // Outer header bytes for a 20-byte inner frame, checked field by field by the tshark test above.
        byte[] inner = new byte[20];
        VxlanEncapsulator encapsulator = Create(vni: 42);
        byte[] outer = new byte[56];
        encapsulator.Encapsulate(inner, outer);
        Assert.Equal(
            "45000038000040004011" + Packets.Hex(outer.AsSpan(10, 2)) + "c6120001c6120002" + "c73812b500240000" + "080000000000" + "2a00",
            Packets.Hex(outer.AsSpan(0, 36)));
        Assert.True(new IPv4Header(outer).IsHeaderChecksumValid());
    }

    [Fact]
    public void In_place_encapsulation_equals_copying_encapsulation()
    {
        byte[] inner = InnerFrame(1400);
        byte[] copy = new byte[VxlanEncapsulator.HeaderLength + inner.Length];
        Create().Encapsulate(inner, copy);

        byte[] buffer = new byte[64 + inner.Length];
        inner.CopyTo(buffer, 64);
        Span<byte> packet = Create().EncapsulateInPlace(buffer, 64, inner.Length);
        Assert.Equal(copy, packet.ToArray());
        Assert.Equal(64 - VxlanEncapsulator.HeaderLength, buffer.AsSpan().IndexOf(packet[..8].ToArray()));
    }

    [Fact]
    public void In_place_encapsulation_without_headroom_throws()
    {
        byte[] buffer = new byte[100];
        Assert.Throws<ArgumentException>(() => Create().EncapsulateInPlace(buffer, 10, 50));
    }

    [Fact]
    public void Identification_increments_per_packet()
    {
        VxlanEncapsulator encapsulator = Create();
        encapsulator.NextIdentification = 0xFFFF;
        byte[] inner = InnerFrame();
        byte[] a = new byte[200 + inner.Length];
        encapsulator.Encapsulate(inner, a);
        Assert.Equal(0xFFFF, new IPv4Header(a).Identification);
        encapsulator.Encapsulate(inner, a);
        Assert.Equal(0, new IPv4Header(a).Identification);
        Assert.True(new IPv4Header(a).IsHeaderChecksumValid());
    }

    [Fact]
    public void Decapsulate_of_encapsulate_round_trips_every_field()
    {
        Gen.Select(Gen.Int[0, VxlanHeader.MaxVni], Gen.Byte.Array[14, 1500], Gen.UShort, Gen.Bool, Gen.UShort[1, 65535]).Sample((vni, frame, gbp, useGbp, port) =>
        {
            VxlanGroupPolicy? policy = useGbp ? new VxlanGroupPolicy(gbp, gbp % 2 == 0, gbp % 3 == 0) : null;
            var encapsulator = new VxlanEncapsulator(new VxlanEncapsulatorOptions
            {
                Source = IPAddress.Parse("198.18.3.4"),
                Destination = IPAddress.Parse("198.18.5.6"),
                Vni = vni,
                DestinationPort = port,
                UdpChecksum = gbp % 2 == 1,
                GroupPolicy = policy,
            });
            byte[] outer = new byte[VxlanEncapsulator.HeaderLength + frame.Length];
            encapsulator.Encapsulate(frame, outer);

            Assert.Equal(VxlanDecodeStatus.Success, VxlanEncapsulator.TryDecapsulate(outer, out VxlanPacket packet));
            Assert.Equal(vni, packet.Vxlan.Vni);
            Assert.Equal(useGbp, packet.Vxlan.HasGroupPolicy);
            if (policy is { } p)
            {
                Assert.Equal(p.GroupPolicyId, packet.Vxlan.GroupPolicyId);
                Assert.Equal(p.DontLearn, packet.Vxlan.DontLearn);
                Assert.Equal(p.PolicyApplied, packet.Vxlan.PolicyApplied);
            }

            Assert.Equal(port, packet.Udp.DestinationPort);
            Assert.Equal(Packets.Ip("198.18.3.4"), packet.Outer.Source);
            Assert.Equal(Packets.Ip("198.18.5.6"), packet.Outer.Destination);
            Assert.Equal(frame, packet.InnerFrame.ToArray());
        });
    }

    [Fact]
    public void Corrupted_outer_packets_are_rejected_with_a_reason()
    {
        byte[] inner = InnerFrame();
        byte[] outer = new byte[VxlanEncapsulator.HeaderLength + inner.Length];
        Create(udpChecksum: true).Encapsulate(inner, outer);

        byte[] badIp = (byte[])outer.Clone();
        badIp[8] ^= 1;
        Assert.Equal(VxlanDecodeStatus.BadOuterIPv4, VxlanEncapsulator.TryDecapsulate(badIp, out _));

        byte[] badUdp = (byte[])outer.Clone();
        badUdp[^1] ^= 0xFF;
        Assert.Equal(VxlanDecodeStatus.BadUdpChecksum, VxlanEncapsulator.TryDecapsulate(badUdp, out _));

        byte[] noI = (byte[])outer.Clone();
        noI[28] = 0;
        new UdpHeader(noI.AsSpan(20)).Checksum = 0;
        Assert.Equal(VxlanDecodeStatus.NoVniFlag, VxlanEncapsulator.TryDecapsulate(noI, out _));
    }

    [Fact]
    public void Vxlan_header_fields_round_trip()
    {
        Gen.Select(Gen.Int[0, VxlanHeader.MaxVni], Gen.UShort, Gen.Bool, Gen.Bool).Sample((vni, id, d, a) =>
        {
            byte[] bytes = new byte[8];
            VxlanHeader.Write(bytes, vni, new VxlanGroupPolicy(id, d, a));
            var h = new VxlanHeader(bytes);
            Assert.True(h.HasVni);
            Assert.True(h.HasGroupPolicy);
            Assert.Equal((vni, id, d, a), (h.Vni, h.GroupPolicyId, h.DontLearn, h.PolicyApplied));
            Assert.Equal(0, bytes[7]);
        });
    }

    [Fact]
    public void Vni_out_of_range_throws()
    {
        byte[] bytes = new byte[8];
        Assert.Throws<ArgumentOutOfRangeException>(() => VxlanHeader.Write(bytes, 1 << 24));
    }
}
