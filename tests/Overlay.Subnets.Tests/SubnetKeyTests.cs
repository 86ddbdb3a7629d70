using System.Net;
using CsCheck;
using Overlay.Subnets.Internal;

namespace Overlay.Subnets.Tests;

public sealed class SubnetKeyTests
{
    [Fact]
    public void Ipv4_key_parses_and_formats_back()
    {
        // spec §7.2
        Assert.True(SubnetKey.TryParse("10.12.13.0-24", out IPNetwork? v4, out IPNetwork? v6));
        Assert.Equal(IPNetwork.Parse("10.12.13.0/24"), v4);
        Assert.Null(v6);
        Assert.Equal("10.12.13.0-24", SubnetKey.Format(v4, v6));
    }

    [Fact]
    public void Dual_stack_key_parses_and_formats_back()
    {
        Assert.True(SubnetKey.TryParse("10.12.13.0-24&fd00:12:13::-56", out IPNetwork? v4, out IPNetwork? v6));
        Assert.Equal(IPNetwork.Parse("10.12.13.0/24"), v4);
        Assert.Equal(IPNetwork.Parse("fd00:12:13::/56"), v6);
        Assert.Equal("10.12.13.0-24&fd00:12:13::-56", SubnetKey.Format(v4, v6));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("10.12.13.0")]
    [InlineData("10.12.13-24")]
    [InlineData("10.12.13.300-24")]
    [InlineData("10.12.13.0-24hi")]
    [InlineData("&2001::-56")]
    [InlineData("10.12.13.0-24&:12:13:-56")]
    [InlineData("10.12.13.0-24&20011::-56")]
    [InlineData("10.12.13.0-24&2001-56")]
    [InlineData("10.12.13.0-24&2001::")]
    [InlineData("10.12.13.0-24&2001::-56hi")]
    [InlineData("255.255.255.255-32")]
    [InlineData("10.12.13.0-24&2001::-128")]
    [InlineData("10.12.13.0-24&2001:DB8::-56")]
    [InlineData("010.12.13.0-24")]
    [InlineData("10.12.13.0-24\n")]
    [InlineData("10.12.13.5-24")]
    [InlineData("")]
    public void Keys_flannel_rejects_are_rejected(string key)
    {
        Assert.False(SubnetKey.TryParse(key, out IPNetwork? v4, out IPNetwork? v6));
        Assert.Null(v4);
        Assert.Null(v6);
        Assert.Throws<FormatException>(() => SubnetKey.Parse(key));
    }

    [Theory]
    [InlineData("/coreos.com/network/subnets/10.5.34.0-24", "10.5.34.0/24", null)]
    [InlineData("/vxlan2/network/subnets/10.5.34.0-24&fd00::-64", "10.5.34.0/24", "fd00::/64")]
    [InlineData("10.5.34.0-024", "10.5.34.0/24", null)]
    [InlineData("10.5.34.0-0031", "10.5.34.0/31", null)]
    [InlineData("0.0.0.0-0&fd00:1::-64", null, "fd00:1::/64")]
    public void Whole_etcd_keys_and_leading_zero_prefixes_parse(string key, string? v4, string? v6)
    {
        Assert.True(SubnetKey.TryParse(key, out IPNetwork? s4, out IPNetwork? s6));
        Assert.Equal(v4 is null ? null : IPNetwork.Parse(v4), s4);
        Assert.Equal(v6 is null ? null : IPNetwork.Parse(v6), s6);
    }

    [Fact]
    public void Ipv6_only_lease_formats_with_the_zero_ipv4_part()
    {
        Assert.Equal("0.0.0.0-0&fd00:1::-64", SubnetKey.Format(null, IPNetwork.Parse("fd00:1::/64")));
    }

    [Fact]
    public void Keys_flanneld_could_not_read_are_never_written()
    {
        Assert.Throws<ArgumentException>(() => SubnetKey.Format(IPNetwork.Parse("10.0.0.1/32"), null));
        Assert.Throws<ArgumentException>(() => SubnetKey.Format(null, IPNetwork.Parse("fd00::1/128")));
        Assert.Throws<ArgumentException>(() => SubnetKey.Format(null, IPNetwork.Parse("::ffff:10.0.0.0/120")));
        Assert.Throws<ArgumentException>(() => SubnetKey.Format(null, null));
        Assert.Throws<ArgumentException>(() => SubnetKey.Format(IPNetwork.Parse("fd00::/64"), null));
    }

    [Theory]
    // Expected texts are Go's net.IP.String() output (RFC 5952).
    [InlineData("fc00:0:0:1::", "fc00:0:0:1::")]
    [InlineData("fc00:0000:0000:ffff:0000:0000:0000:0000", "fc00:0:0:ffff::")]
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")]
    [InlineData("2001:0:0:1:0:0:0:1", "2001:0:0:1::1")]
    [InlineData("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [InlineData("0:0:0:0:0:0:0:1", "::1")]
    [InlineData("::", "::")]
    [InlineData("1::", "1::")]
    [InlineData("::1.2.3.4", "::102:304")]
    [InlineData("FD00:12:13::", "fd00:12:13::")]
    [InlineData("2001:db8:0:0:0:0:2:1", "2001:db8::2:1")]
    public void Ipv6_is_printed_as_go_prints_it(string input, string expected)
    {
        Assert.Equal(expected, IPAddressText.Format(IPAddress.Parse(input)));
    }

    [Fact]
    public void Canonical_keys_round_trip()
    {
        var v4 = Gen.Select(Gen.UInt, Gen.Int[8, 31], (a, len) => new IPNetwork(Mask(new IPAddress(BitConverter.GetBytes(a)), len), len));
        var v6 = Gen.Select(Gen.Byte.Array[16], Gen.Int[16, 127], (b, len) => new IPNetwork(Mask(new IPAddress(b), len), len))
            .Where(n => !IPAddressText.IsPrintedDottedByFlannel(n.BaseAddress));
        Gen.Select(v4, v6, Gen.Bool).Sample((a, b, dual) =>
        {
            IPNetwork? six = dual ? b : null;
            string key = SubnetKey.Format(a, six);
            Assert.True(SubnetKey.TryParse(key, out IPNetwork? p4, out IPNetwork? p6), key);
            Assert.Equal(a, p4);
            Assert.Equal(six, p6);
            Assert.Equal(key, SubnetKey.Format(p4, p6));
        }, iter: 2000);
    }

    [Fact]
    public void Arbitrary_text_never_crashes_the_parser()
    {
        // Whatever parses must format to a key that parses to the same subnets.
        Gen.String.Sample(ParsedKeysAreConsistent, iter: 5000);
        Gen.Char["0123456789.-&abcdef:"].Array[0, 40].Select(c => new string(c)).Sample(ParsedKeysAreConsistent, iter: 5000);
    }

    private static void ParsedKeysAreConsistent(string text)
    {
        if (SubnetKey.TryParse(text, out IPNetwork? v4, out IPNetwork? v6))
        {
            Assert.True(SubnetKey.TryParse(SubnetKey.Format(v4, v6), out IPNetwork? again4, out IPNetwork? again6));
            Assert.Equal((v4, v6), (again4, again6));
        }
    }

    private static IPAddress Mask(IPAddress address, int prefix) => AddressMath.MaskAddress(address, prefix);
}
