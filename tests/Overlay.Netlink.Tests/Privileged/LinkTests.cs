using System.Net;
using System.Text.Json;
using Overlay.Netlink.Tests.Support;
using Overlay.Testing;

namespace Overlay.Netlink.Tests.Privileged;

[Trait("Category", "Privileged")]
public sealed class LinkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Vxlan_link_is_created_with_every_attribute_and_read_back()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        t.Ip("link add ul0 type veth peer name ul1");
        t.Ip("addr add 198.18.0.1/24 dev ul0");
        int ul0 = t.LinkIndex("ul0");
        var spec = new VxlanLinkSpec
        {
            Name = "flannel.7",
            Mtu = 1450,
            MacAddress = MacAddress.Parse("02:42:c6:13:07:00"),
            Vni = 7,
            Local = IPAddress.Parse("198.18.0.1"),
            UnderlayIndex = ul0,
            Port = 8472,
            Ttl = 0,
            Tos = 0,
            Learning = false,
            Proxy = false,
            Rsc = false,
            L2Miss = false,
            L3Miss = false,
            Gbp = true,
            UdpChecksum = true,
            UdpZeroChecksum6Tx = false,
            UdpZeroChecksum6Rx = false,
        };

        Link link = await t.Client.LinkAddAsync(spec, Ct);

        JsonElement ip = t.IpJson("-d link show dev flannel.7")[0];
        Assert.Equal(ip.GetProperty("ifindex").GetInt32(), link.Index);
        Assert.Equal(1450, ip.GetProperty("mtu").GetInt32());
        Assert.Equal("02:42:c6:13:07:00", ip.GetProperty("address").GetString());
        JsonElement data = ip.GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal("vxlan", ip.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal(7, data.GetProperty("id").GetInt32());
        Assert.Equal("198.18.0.1", data.GetProperty("local").GetString());
        Assert.Equal("ul0", data.GetProperty("link").GetString());
        Assert.Equal(8472, data.GetProperty("port").GetInt32());
        Assert.False(data.GetProperty("learning").GetBoolean());
        Assert.True(data.GetProperty("gbp").GetBoolean());
        Assert.True(data.GetProperty("udp_csum").GetBoolean());

        // The read-back spec equals the desired one (so an existing device can be compared).
        Link again = await t.Client.GetLinkAsync("flannel.7", Ct);
        VxlanLinkSpec back = Assert.IsType<VxlanLinkSpec>(again.Spec);
        Assert.Equal(spec with { TxQueueLength = back.TxQueueLength, Ageing = back.Ageing }, back);
    }

    [Fact]
    public async Task Vxlan_ipv6_link_reports_local6()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        await t.Client.LinkAddAsync(new VxlanLinkSpec { Name = "flannel-v6.1", Vni = 1, Local = IPAddress.Parse("2001:db8:18::1"), Port = 4789, Learning = false }, Ct);
        JsonElement data = t.IpJson("-d link show dev flannel-v6.1")[0].GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal("2001:db8:18::1", data.GetProperty("local6").GetString());
        var back = Assert.IsType<VxlanLinkSpec>((await t.Client.GetLinkAsync("flannel-v6.1", Ct)).Spec);
        Assert.Equal(IPAddress.Parse("2001:db8:18::1"), back.Local);
        Assert.Equal((ushort)4789, back.Port);
    }

    [Fact]
    public async Task Veth_peer_is_created_in_another_namespace()
    {
        Testing.Privileged.Require();
        using var a = TestNamespace.Create();
        using var b = TestNamespace.Create();
        Link link = await a.Client.LinkAddAsync(new VethLinkSpec { Name = "va", PeerName = "vb", PeerNamespace = b.Namespace, Mtu = 1400 }, Ct);
        Assert.Equal("veth", link.Kind);
        Assert.Equal("veth", a.IpJson("-d link show dev va")[0].GetProperty("linkinfo").GetProperty("info_kind").GetString());
        JsonElement peer = b.IpJson("-d link show dev vb")[0];
        Assert.Equal("veth", peer.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Null(await a.Client.TryGetLinkAsync("vb", Ct));
        Assert.NotNull(await b.Client.TryGetLinkAsync("vb", Ct));
    }

    [Fact]
    public async Task Bridge_master_and_link_changes_are_applied()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        Link bridge = await t.Client.LinkAddAsync(new BridgeLinkSpec { Name = "br0" }, Ct);
        Assert.IsType<BridgeLinkSpec>(bridge.Spec);
        Link veth = await t.Client.LinkAddAsync(new VethLinkSpec { Name = "va", PeerName = "vb" }, Ct);

        await t.Client.LinkSetMasterAsync(veth.Index, bridge.Index, Ct);
        await t.Client.LinkSetMtuAsync(veth.Index, 1300, Ct);
        await t.Client.LinkSetMacAddressAsync(veth.Index, MacAddress.Parse("02:00:00:00:00:aa"), Ct);
        await t.Client.LinkSetUpAsync(veth.Index, Ct);
        JsonElement ip = t.IpJson("link show dev va")[0];
        Assert.Equal("br0", ip.GetProperty("master").GetString());
        Assert.Equal(1300, ip.GetProperty("mtu").GetInt32());
        Assert.Equal("02:00:00:00:00:aa", ip.GetProperty("address").GetString());
        Assert.Contains("UP", ip.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Link read = await t.Client.GetLinkAsync(veth.Index, Ct);
        Assert.True(read.IsUp);
        Assert.Equal(bridge.Index, read.MasterIndex);

        await t.Client.LinkSetDownAsync(veth.Index, Ct);
        await t.Client.LinkSetNameAsync(veth.Index, "va2", Ct);
        ip = t.IpJson("link show dev va2")[0];
        Assert.DoesNotContain("UP", ip.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(veth.Index, ip.GetProperty("ifindex").GetInt32());
    }

    [Fact]
    public async Task Tun_device_is_created_persistent_and_reported_as_tun()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        Link link = await t.Client.LinkAddAsync(new TunLinkSpec { Name = "flannel0", Mtu = 1472, MultiQueue = true }, Ct);
        JsonElement ip = t.IpJson("-d link show dev flannel0")[0];
        Assert.Equal("tun", ip.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal(1472, ip.GetProperty("mtu").GetInt32());
        TunLinkSpec back = Assert.IsType<TunLinkSpec>(link.Spec);
        Assert.Equal(TunMode.Tun, back.Mode);
        Assert.True(back.MultiQueue);
        Assert.False(back.PacketInfo);
        Assert.True(await t.Client.LinkDeleteAsync(link.Index, Ct));
        Assert.Empty(t.IpJson("link show type tun").EnumerateArray());
    }

    [Fact]
    public async Task Links_listing_matches_ip_link_show()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        t.CreateUnderlayAndVxlan();
        var ours = (await t.Client.LinksAsync(Ct).ToListAsync(Ct)).Select(l => (l.Index, l.Name, l.Mtu)).OrderBy(x => x.Index).ToList();
        var theirs = t.IpJson("link show").EnumerateArray()
            .Select(e => (e.GetProperty("ifindex").GetInt32(), e.GetProperty("ifname").GetString()!, e.GetProperty("mtu").GetInt32())).OrderBy(x => x.Item1).ToList();
        Assert.Equal(theirs, ours);
        Assert.Equal(4, ours.Count);
    }

    [Fact]
    public async Task Delete_reports_whether_the_link_existed()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        Link link = await t.Client.LinkAddAsync(new BridgeLinkSpec { Name = "br9" }, Ct);
        Assert.True(await t.Client.LinkDeleteAsync(link.Index, Ct));
        Assert.False(await t.Client.LinkDeleteAsync(link.Index, Ct));
        Assert.Null(await t.Client.TryGetLinkAsync("br9", Ct));
    }

    [Fact]
    public async Task Errors_carry_errno_and_the_kernels_extended_ack_text()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        await t.Client.LinkAddAsync(new BridgeLinkSpec { Name = "br0" }, Ct);

        var exists = await Assert.ThrowsAsync<NetlinkException>(async () => await t.Client.LinkAddAsync(new BridgeLinkSpec { Name = "br0" }, Ct));
        Assert.Equal(LinuxErrno.EEXIST, exists.Errno);
        Assert.Contains("EEXIST", exists.Message, StringComparison.Ordinal);

        var noDevice = await Assert.ThrowsAsync<NetlinkException>(async () => await t.Client.LinkSetUpAsync(9999, Ct));
        Assert.Equal(LinuxErrno.ENODEV, noDevice.Errno);

        Link br = await t.Client.GetLinkAsync("br0", Ct);
        var invalid = await Assert.ThrowsAsync<NetlinkException>(async () => await t.Client.LinkSetMtuAsync(br.Index, 10, Ct));
        Assert.Equal(LinuxErrno.EINVAL, invalid.Errno);
        Assert.False(string.IsNullOrEmpty(invalid.ExtendedAckMessage));
        Assert.Contains(invalid.ExtendedAckMessage!, invalid.Message, StringComparison.Ordinal);
        Assert.Contains("mtu", invalid.ExtendedAckMessage!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Ipip_link_is_created_or_refused_with_a_clear_error_when_the_kernel_lacks_it()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        var spec = new IPIPLinkSpec { Name = "flannel.ipip", Local = IPAddress.Parse("198.18.0.1"), Ttl = 64, PathMtuDiscovery = true };
        Link? created = null;
        NetlinkException? refused = null;
        try
        {
            created = await t.Client.LinkAddAsync(spec, Ct);
        }
        catch (NetlinkException failure)
        {
            refused = failure;
        }

        // After the attempt the kernel has loaded the module if it could (rtnl-link-ipip).
        Assert.Equal(KernelInfo.IsModuleAvailable("ipip"), refused is null);
        if (created is not null)
        {
            JsonElement data = t.IpJson("-d link show dev flannel.ipip")[0].GetProperty("linkinfo").GetProperty("info_data");
            Assert.Equal("198.18.0.1", data.GetProperty("local").GetString());
            IPIPLinkSpec back = Assert.IsType<IPIPLinkSpec>(created.Spec);
            Assert.Equal(spec.Local, back.Local);
            Assert.Equal((byte?)64, back.Ttl);
            return;
        }

        // This kernel has no ipip module: the request is refused and the message says why.
        NetlinkException ex = refused!;
        Assert.Equal(LinuxErrno.EOPNOTSUPP, ex.Errno);
        Assert.Contains("does not support link kind 'ipip'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("flannel.ipip", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(t.IpJson("link show").EnumerateArray(), e => e.GetProperty("ifname").GetString() == "flannel.ipip");
    }
}
