using Overlay.Encap.Tests.Infrastructure;

namespace Overlay.Encap.Tests;

public sealed class IcmpDestinationUnreachableTests
{
    [Fact]
    public void Network_unreachable_matches_tshark_dissection()
    {
        Pcap.RequireTshark();
        byte[] offender = Packets.Udp("198.19.1.5", "198.19.9.9", 33000, 53, Packets.Pattern(40), id: 0x4242);
        byte[] buffer = new byte[IcmpDestinationUnreachable.MaximumLength];
        int length = IcmpDestinationUnreachable.TryWrite(offender, Packets.Ip("198.19.1.0"), buffer);
        Assert.Equal(20 + 8 + 20 + 8, length);

        string[] f = Assert.Single(Pcap.Dissect(Pcap.Write(Pcap.LinkTypeRaw, buffer[..length]), [],
            "ip.src", "ip.dst", "ip.ttl", "ip.proto", "ip.checksum.status", "icmp.type", "icmp.code", "icmp.checksum.status", "ip.id", "udp.srcport", "udp.dstport"));
        Assert.Equal("198.19.1.0,198.19.1.5", f[0]);        // outer, then the quoted header
        Assert.Equal("198.19.1.5,198.19.9.9", f[1]);
        Assert.Equal("64,64", f[2]);
        Assert.Equal("1,17", f[3]);
        Assert.Equal("1,1", f[4]);
        Assert.Equal("3", f[5]);
        Assert.Equal("0", f[6]);
        Assert.Equal("1", f[7]);
        Assert.Equal("0x0000,0x4242", f[8]);
        Assert.Equal("33000", f[9]);
        Assert.Equal("53", f[10]);
    }

    [Fact]
    public void Quotes_the_header_and_at_most_eight_payload_bytes()
    {
        byte[] offender = Packets.Udp("198.19.1.5", "198.19.9.9", 1, 2, Packets.Pattern(400));
        byte[] buffer = new byte[IcmpDestinationUnreachable.MaximumLength];
        int length = IcmpDestinationUnreachable.TryWrite(offender, Packets.Ip("198.19.1.0"), buffer, IcmpDestinationUnreachable.HostUnreachable);
        Assert.Equal(offender[..28], buffer[28..length]);
        Assert.Equal(1, buffer[21]);
        Assert.Equal(0, InternetChecksum.Compute(buffer.AsSpan(20, length - 20)));
    }

    [Fact]
    public void Flannel_suppression_rules_hold()
    {
        byte[] buffer = new byte[IcmpDestinationUnreachable.MaximumLength];
        uint self = Packets.Ip("198.19.1.0");

        // ICMP offender (even an echo request, as flannel does)
        Assert.Equal(0, IcmpDestinationUnreachable.TryWrite(Packets.IcmpEcho("198.19.1.5", "198.19.9.9", 1, 1, [1, 2]), self, buffer));

        // non-first fragment
        byte[] fragment = Packets.Udp("198.19.1.5", "198.19.9.9", 1, 2, new byte[10]);
        new IPv4Header(fragment).FlagsAndFragmentOffset = 185;
        Assert.Equal(0, IcmpDestinationUnreachable.TryWrite(fragment, self, buffer));

        // first fragment is answered
        new IPv4Header(fragment).FlagsAndFragmentOffset = IPv4Header.MoreFragments;
        Assert.NotEqual(0, IcmpDestinationUnreachable.TryWrite(fragment, self, buffer));

        // header of 60 bytes
        byte[] options = new byte[60 + 8];
        options[0] = 0x4F;
        Assert.Equal(0, IcmpDestinationUnreachable.TryWrite(options, self, buffer));

        // unspecified or multicast source (our addition)
        Assert.Equal(0, IcmpDestinationUnreachable.TryWrite(Packets.Udp("0.0.0.0", "198.19.9.9", 1, 2, []), self, buffer));
        Assert.Equal(0, IcmpDestinationUnreachable.TryWrite(Packets.Udp("224.0.0.5", "198.19.9.9", 1, 2, []), self, buffer));
    }
}
