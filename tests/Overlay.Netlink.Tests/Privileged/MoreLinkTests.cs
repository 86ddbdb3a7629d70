using System.Net;
using System.Text.Json;
using Overlay.Netlink.Tests.Support;
using Overlay.Testing;

namespace Overlay.Netlink.Tests.Privileged;

[Trait("Category", "Privileged")]
public sealed class MoreLinkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Generic_kind_is_created_by_name_and_read_back_as_its_kind()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        Link link = await t.Client.LinkAddAsync(new GenericLinkSpec { Name = "gen0", KindName = "bridge", Mtu = 1400 }, Ct);
        Assert.Equal("bridge", link.Kind);
        Assert.IsType<BridgeLinkSpec>(link.Spec);
        Assert.Equal("bridge", t.IpJson("-d link show dev gen0")[0].GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal(1400, t.IpJson("link show dev gen0")[0].GetProperty("mtu").GetInt32());
    }

    [Fact]
    public async Task Link_is_moved_to_another_namespace()
    {
        Testing.Privileged.Require();
        using var a = TestNamespace.Create();
        using var b = TestNamespace.Create();
        await a.Client.LinkAddAsync(new VethLinkSpec { Name = "va", PeerName = "vb" }, Ct);
        Link vb = await a.Client.GetLinkAsync("vb", Ct);
        await a.Client.LinkSetNetworkNamespaceAsync(vb.Index, b.Namespace, Ct);
        Assert.Null(await a.Client.TryGetLinkAsync("vb", Ct));
        Assert.Equal("vb", b.IpJson("link show dev vb")[0].GetProperty("ifname").GetString());
        Assert.DoesNotContain(a.IpJson("link show").EnumerateArray(), e => e.GetProperty("ifname").GetString() == "vb");
    }

    [Fact]
    public async Task Namespace_created_by_ip_netns_is_opened_by_name()
    {
        Testing.Privileged.Require();
        string name = $"{TestNamespace.Prefix}{Environment.ProcessId}-ip{Random.Shared.Next(0x1000, 0xFFFF):x4}";
        TestNamespace.Run("ip", $"netns add {name}");
        try
        {
            TestNamespace.Run("ip", $"-n {name} link add br5 type bridge");
            using NetworkNamespace ns = NetworkNamespace.Open(name);
            using NetlinkClient client = ns.OpenNetlinkClient();
            Link br5 = await client.GetLinkAsync("br5", Ct);
            Assert.Equal("bridge", br5.Kind);
            Assert.Same(ns, client.NetworkNamespace);
        }
        finally
        {
            NetworkNamespace.Delete(name);
        }

        Assert.False(NetworkNamespace.Exists(name));
        Assert.DoesNotContain(name, TestNamespace.Run("ip", "netns list"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_interface_names_are_rejected_before_the_kernel()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        await Assert.ThrowsAsync<ArgumentException>(async () => await t.Client.LinkAddAsync(new BridgeLinkSpec { Name = "a-name-that-is-too-long" }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await t.Client.LinkAddAsync(new TunLinkSpec { Name = "bad/name" }, Ct));
        Assert.Single(t.IpJson("link show").EnumerateArray());
    }

    [Fact]
    public async Task Local_route_with_preferred_source_is_installed()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        (int ul0, _) = t.CreateUnderlayAndVxlan();
        await t.Client.RouteAddAsync(new Route { Destination = IPNetwork.Parse("198.19.50.1/32"), Type = RouteType.Local, Table = RouteTable.Local, OutputInterface = ul0, Protocol = 77 }, Ct);
        await t.Client.RouteAddAsync(new Route { Destination = IPNetwork.Parse("198.19.51.0/24"), OutputInterface = ul0, PreferredSource = IPAddress.Parse("198.18.0.1"), Protocol = 77 }, Ct);
        JsonElement local = Assert.Single(t.IpJson("route show table local proto 77").EnumerateArray());
        Assert.Equal("local", local.GetProperty("type").GetString());
        Assert.Equal("host", local.GetProperty("scope").GetString());
        JsonElement withSource = Assert.Single(t.IpJson("route show proto 77").EnumerateArray());
        Assert.Equal("198.18.0.1", withSource.GetProperty("prefsrc").GetString());
        Assert.Equal("link", withSource.GetProperty("scope").GetString());
        Route read = Assert.Single(await t.Client.RoutesAsync(new RouteFilter { Table = RouteTable.Local, Protocol = 77 }, Ct).ToListAsync(Ct));
        Assert.Equal(RouteType.Local, read.Type);
        Assert.Equal(RouteScope.Host, read.Scope);
    }
}
