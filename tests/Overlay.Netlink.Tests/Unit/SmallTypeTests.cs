using System.Net;
using System.Net.NetworkInformation;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink.Tests.Unit;

public sealed class SmallTypeTests
{
    [Theory]
    [InlineData("02:42:c6:13:01:00")]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    [InlineData("00:00:00:00:00:00")]
    public void Mac_address_round_trips_text_bytes_and_physical_address(string text)
    {
        MacAddress mac = MacAddress.Parse(text);
        Assert.Equal(text, mac.ToString());
        Assert.Equal(mac, MacAddress.FromPhysicalAddress(mac.ToPhysicalAddress()));
        Assert.Equal(PhysicalAddress.Parse(text), mac.ToPhysicalAddress());
        byte[] bytes = new byte[6];
        mac.WriteTo(bytes);
        Assert.Equal(mac, new MacAddress(bytes));
        Assert.Equal(mac, MacAddress.Parse(text.Replace(':', '-')));
    }

    [Theory]
    [InlineData("")]
    [InlineData("02:42:c6:13:01")]
    [InlineData("02:42:c6:13:01:zz")]
    [InlineData("02:42:c6:13:01:000")]
    [InlineData("02.42.c6.13.01.00")]
    public void Bad_mac_text_is_rejected(string text)
    {
        Assert.False(MacAddress.TryParse(text, null, out _));
        Assert.Throws<FormatException>(() => MacAddress.Parse(text));
    }

    [Fact]
    public void Written_messages_read_back_with_the_same_values()
    {
        byte[] buffer = new byte[256];
        var w = new NetlinkMessageWriter(buffer, RtmType.NewLink, NetlinkMessageFlags.Request, 77);
        w.WriteZeroes(16);
        w.WriteString(IflaType.IfName, "flannel.1");
        NestedAttribute info = w.BeginNested(IflaType.LinkInfo);
        w.WriteUnterminatedString(IflaInfoType.Kind, "vxlan");
        NestedAttribute data = w.BeginNested(IflaInfoType.Data);
        w.WriteUInt32(IflaVxlanType.Id, 1);
        w.WriteUInt16BigEndian(IflaVxlanType.Port, 8472);
        w.WriteFlag(IflaVxlanType.Gbp);
        w.WriteUInt8(IflaVxlanType.Learning, 0);
        w.EndNested(data);
        w.EndNested(info);
        w.WriteIPAddress(IflaType.Broadcast, IPAddress.Parse("2001:db8::1"));
        int length = w.Finish();

        var reader = new NetlinkMessageReader(buffer.AsSpan(0, length));
        Assert.True(reader.TryRead(out NetlinkMessage m));
        Assert.False(reader.TryRead(out _));
        Assert.Equal(length, m.Header.Length);
        Assert.Equal(77u, m.Header.Sequence);
        NetlinkAttributeReader attributes = m.GetAttributes(16);
        Assert.True(attributes.TryRead(out NetlinkAttribute name));
        Assert.Equal("flannel.1", name.GetString());
        Assert.True(attributes.TryRead(out NetlinkAttribute linkInfo));
        NetlinkAttributeReader inner = linkInfo.GetNested();
        Assert.True(inner.TryRead(out NetlinkAttribute kind));
        Assert.Equal("vxlan", kind.GetString());
        Assert.True(inner.TryRead(out NetlinkAttribute dataAttribute));
        NetlinkAttributeReader vx = dataAttribute.GetNested();
        Assert.True(vx.TryRead(out NetlinkAttribute id));
        Assert.Equal(1u, id.GetUInt32());
        Assert.True(vx.TryRead(out NetlinkAttribute port));
        Assert.Equal((ushort)8472, port.GetUInt16BigEndian());
        Assert.True(vx.TryRead(out NetlinkAttribute gbp));
        Assert.Equal(IflaVxlanType.Gbp, gbp.Type);
        Assert.True(gbp.Value.IsEmpty);
        Assert.True(vx.TryRead(out NetlinkAttribute learning));
        Assert.Equal(0, learning.GetUInt8());
        Assert.False(vx.TryRead(out _));
        Assert.False(inner.TryRead(out _));
        Assert.True(attributes.TryRead(out NetlinkAttribute broadcast));
        Assert.Equal(IPAddress.Parse("2001:db8::1"), broadcast.GetIPAddress());
        Assert.False(attributes.TryRead(out _));
    }

    [Fact]
    public void Writer_refuses_to_overflow_its_buffer_and_misuse()
    {
        byte[] small = new byte[24];
        Assert.Throws<ArgumentException>(() =>
        {
            var w = new NetlinkMessageWriter(small, RtmType.NewRoute, NetlinkMessageFlags.Request, 1);
            w.WriteUInt64(1, 1);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkMessageWriter(new byte[64], RtmType.NewRoute, NetlinkMessageFlags.Request, 1);
            w.BeginMessage(RtmType.NewRoute, NetlinkMessageFlags.Request, 2);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkMessageWriter(new byte[64]);
            w.EndMessage();
        });
    }

    [Fact]
    public void Several_messages_share_one_buffer()
    {
        byte[] buffer = new byte[256];
        var w = new NetlinkMessageWriter(buffer);
        for (uint i = 1; i <= 3; i++)
        {
            w.BeginMessage(RtmType.DelLink, NetlinkMessageFlags.Request | NetlinkMessageFlags.Acknowledge, i);
            w.WriteZeroes(16);
            w.WriteUInt32(IflaType.Mtu, i * 100);
            w.EndMessage();
        }

        var reader = new NetlinkMessageReader(buffer.AsSpan(0, w.Length));
        for (uint i = 1; i <= 3; i++)
        {
            Assert.True(reader.TryRead(out NetlinkMessage m));
            Assert.Equal(i, m.Header.Sequence);
            NetlinkAttributeReader a = m.GetAttributes(16);
            Assert.True(a.TryRead(out NetlinkAttribute mtu));
            Assert.Equal(i * 100, mtu.GetUInt32());
        }

        Assert.False(reader.TryRead(out _));
    }

    [Theory]
    [InlineData("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward")]
    [InlineData("net/ipv6/conf/flannel.1/accept_ra", "/proc/sys/net/ipv6/conf/flannel.1/accept_ra")]
    public void Sysctl_keys_map_to_proc_paths(string key, string path) => Assert.Equal(path, Sysctl.PathOf(key));

    [Fact]
    public void Sysctl_rejects_escaping_keys() => Assert.Throws<ArgumentException>(() => Sysctl.PathOf("net/../../etc/passwd"));

    [Theory]
    [InlineData("6.18.44-fc-v657", 6, 18, 44)]
    [InlineData("5.10.0", 5, 10, 0)]
    [InlineData("4.19", 4, 19, 0)]
    public void Kernel_release_is_parsed(string release, int major, int minor, int patch) =>
        Assert.Equal(new Version(major, minor, patch), KernelInfo.ParseVersion(release));

    [Fact]
    public void Running_kernel_version_is_read_from_proc()
    {
        Assert.Equal(KernelInfo.ParseVersion(File.ReadAllText("/proc/sys/kernel/osrelease").Trim()), KernelInfo.Version);
        Assert.True(KernelInfo.Version.Major >= 4);
    }

    [Theory]
    [InlineData(LinuxErrno.EINTR, true)]
    [InlineData(LinuxErrno.ENOBUFS, true)]
    [InlineData(LinuxErrno.EEXIST, false)]
    public void Transient_errors_are_flagged(int errno, bool transient)
    {
        var ex = new NetlinkException("link add x", errno);
        Assert.Equal(transient, ex.IsTransient);
        Assert.StartsWith("link add x: E", ex.Message, StringComparison.Ordinal);
        Assert.Equal(errno, ex.Errno);
    }

    [Fact]
    public void Route_family_follows_destination_or_gateway()
    {
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, new Route { Gateway = IPAddress.Parse("2001:db8::1") }.Family);
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, new Route { Destination = IPNetwork.Parse("198.19.0.0/16") }.Family);
        var a = new Route { Destination = IPNetwork.Parse("198.19.1.0/24"), Gateway = IPAddress.Parse("198.18.0.2"), OutputInterface = 3, Priority = 5 };
        Assert.True(a.SameDestinationGatewayAndInterface(a with { Priority = 9 }));
        Assert.False(a.SameDestinationGatewayAndInterface(a with { OutputInterface = 4 }));
    }

    [Fact]
    public void Xfrm_algorithm_redacts_its_key()
    {
        var algorithm = new XfrmAlgorithm("rfc4106(gcm(aes))", new byte[] { 0xde, 0xad, 0xbe, 0xef }, 128);
        Assert.DoesNotContain("de", algorithm.ToString().Replace("redacted", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("32-bit key", algorithm.ToString(), StringComparison.Ordinal);
    }
}
