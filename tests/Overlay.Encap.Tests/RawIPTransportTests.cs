using System.Buffers.Binary;
using Overlay.Encap.Internal;
using Overlay.Encap.Tests.Infrastructure;

namespace Overlay.Encap.Tests;

public sealed class RawIPTransportTests
{
    [Fact]
    public void Outer_header_is_what_kernel_ipip_with_ttl_inherit_and_pmtudisc_off_writes()
    {
        byte[] inner = Packets.Udp("198.19.1.2", "198.19.2.3", 1000, 2000, [1, 2, 3], ttl: 63);
        inner[1] = 0x03;                                                        // ECN CE
        BinaryPrimitives.WriteUInt16BigEndian(inner.AsSpan(6), 0x4000);        // DF
        byte[] outer = new byte[20];
        uint source = BinaryPrimitives.ReverseEndianness(Packets.Ip("198.18.0.1"));
        RawIPTransport.WriteOuterHeader(outer, inner, source, Packets.Ip("198.18.0.2"));

        Assert.Equal("4502" + (20 + inner.Length).ToString("x4", null) + "0000" + "4000" + "3f04" + "0000" + "c6120001" + "c6120002", Packets.Hex(outer));

        inner[1] = 0x01;                                                        // ECT(1) is copied
        BinaryPrimitives.WriteUInt16BigEndian(inner.AsSpan(6), 0);             // no DF
        RawIPTransport.WriteOuterHeader(outer, inner, source, Packets.Ip("198.18.0.2"));
        Assert.Equal(0x01, outer[1]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(6)));
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("4504", false)]
    [InlineData("46000000000000004004000000000000000000000000", false)]   // IHL 24 beyond the data
    [InlineData("4500002800000000400400000000000000000000", true)]
    [InlineData("4500002800000000400600000000000000000000", false)]       // not protocol 4
    public void Received_outer_header_is_validated_and_skipped(string hex, bool valid)
    {
        int offset = InnerOffsetOf(Convert.FromHexString(hex), out TunnelDropReason reason);
        Assert.Equal(valid ? 20 : -1, offset);
        if (!valid)
        {
            Assert.Equal(TunnelDropReason.BadOuterHeader, reason);
        }
    }

    private static int InnerOffsetOf(byte[] received, out TunnelDropReason reason) => RawIPTransport.SkipOuterHeader(received, out reason);
}
