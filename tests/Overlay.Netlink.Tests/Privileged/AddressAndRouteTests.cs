using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Overlay.Netlink.Tests.Support;
using Overlay.Testing;

namespace Overlay.Netlink.Tests.Privileged;

[Trait("Category", "Privileged")]
public sealed class AddressAndRouteTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Addresses_are_added_replaced_listed_and_deleted()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        (int ul0, int vx0) = t.CreateUnderlayAndVxlan();
        var v4 = new LinkAddress { InterfaceIndex = vx0, Address = IPAddress.Parse("198.19.1.0"), PrefixLength = 32 };
        var v6 = new LinkAddress { InterfaceIndex = vx0, Address = IPAddress.Parse("2001:db8:19:1::"), PrefixLength = 128, Flags = AddressFlags.NoDad };
        await t.Client.AddressAddAsync(v4, Ct);
        await t.Client.AddressAddAsync(v6, Ct);
        await t.Client.AddressReplaceAsync(v4, Ct); // idempotent

        var ip = t.IpJson("addr show dev vx0")[0].GetProperty("addr_info").EnumerateArray()
            .Select(a => (a.GetProperty("local").GetString()!, a.GetProperty("prefixlen").GetInt32())).ToList();
        Assert.Contains(("198.19.1.0", 32), ip);
        Assert.Contains(("2001:db8:19:1::", 128), ip);

        var ours = await t.Client.AddressesAsync(interfaceIndex: vx0, cancellationToken: Ct).ToListAsync(Ct);
        Assert.Equal(ip.Order().ToList(), ours.Select(a => (a.Address.ToString(), (int)a.PrefixLength)).Order().ToList());
        Assert.All(await t.Client.AddressesAsync(AddressFamily.InterNetwork, cancellationToken: Ct).ToListAsync(Ct), a => Assert.Equal(AddressFamily.InterNetwork, a.Family));
        Assert.Contains(await t.Client.AddressesAsync(AddressFamily.InterNetwork, ul0, Ct).ToListAsync(Ct), a => a.Address.Equals(IPAddress.Parse("198.18.0.1")) && a.PrefixLength == 24);

        var duplicate = await Assert.ThrowsAsync<NetlinkException>(async () => await t.Client.AddressAddAsync(v4, Ct));
        Assert.Equal(LinuxErrno.EEXIST, duplicate.Errno);

        Assert.True(await t.Client.AddressDeleteAsync(v4, Ct));
        Assert.False(await t.Client.AddressDeleteAsync(v4, Ct));
        Assert.DoesNotContain(t.IpJson("-4 addr show dev vx0").EnumerateArray().SelectMany(e => e.GetProperty("addr_info").EnumerateArray()), a => a.GetProperty("local").GetString() == "198.19.1.0");
        var noDevice = await Assert.ThrowsAsync<NetlinkException>(async () => await t.Client.AddressAddAsync(v4 with { InterfaceIndex = 9999 }, Ct));
        Assert.Equal(LinuxErrno.ENODEV, noDevice.Errno);
    }

    [Fact]
    public async Task Routes_of_every_kind_are_installed_as_ip_route_shows_them()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        (int ul0, int vx0) = t.CreateUnderlayAndVxlan();
        t.Ip("addr add 2001:db8:18::1/64 dev ul0 nodad");

        await t.Client.RouteReplaceAsync(new Route { Destination = IPNetwork.Parse("198.19.3.0/24"), Gateway = IPAddress.Parse("198.19.3.0"), OutputInterface = vx0, Flags = RouteFlags.OnLink, Protocol = 77, Priority = 10, Mtu = 1400 }, Ct);
        await t.Client.RouteAddAsync(new Route { Destination = IPNetwork.Parse("198.19.4.0/24"), Gateway = IPAddress.Parse("198.18.0.2"), Protocol = 77 }, Ct);
        await t.Client.RouteAppendAsync(new Route { Destination = IPNetwork.Parse("198.19.4.0/24"), Gateway = IPAddress.Parse("198.18.0.3"), Protocol = 77, Priority = 20 }, Ct);
        await t.Client.RouteAddAsync(new Route { Destination = IPNetwork.Parse("198.19.0.0/16"), Type = RouteType.Blackhole, Protocol = 77 }, Ct);
        await t.Client.RouteAddAsync(new Route { Destination = IPNetwork.Parse("198.19.9.0/24"), Type = RouteType.Unreachable, Protocol = 77 }, Ct);
        await t.Client.RouteAddAsync(new Route { Destination = IPNetwork.Parse("198.19.8.0/24"), Type = RouteType.Prohibit, Protocol = 77, Table = 1000 }, Ct);
        await t.Client.RouteAddAsync(new Route { Destination = IPNetwork.Parse("2001:db8:19::/48"), Gateway = IPAddress.Parse("2001:db8:18::2"), OutputInterface = ul0, Protocol = 77 }, Ct);

        JsonElement[] ip4 = t.IpJson("-d route show proto 77").EnumerateArray().ToArray();
        JsonElement onlink = Assert.Single(ip4, r => r.GetProperty("dst").GetString() == "198.19.3.0/24");
        Assert.Equal("198.19.3.0", onlink.GetProperty("gateway").GetString());
        Assert.Equal("vx0", onlink.GetProperty("dev").GetString());
        Assert.Contains("onlink", onlink.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(10, onlink.GetProperty("metric").GetInt32());
        Assert.Equal(1400, onlink.GetProperty("metrics")[0].GetProperty("mtu").GetInt32());
        Assert.Equal(2, ip4.Count(r => r.GetProperty("dst").GetString() == "198.19.4.0/24"));
        Assert.Equal("blackhole", Assert.Single(ip4, r => r.GetProperty("dst").GetString() == "198.19.0.0/16").GetProperty("type").GetString());
        Assert.Equal("unreachable", Assert.Single(ip4, r => r.GetProperty("dst").GetString() == "198.19.9.0/24").GetProperty("type").GetString());
        Assert.Equal("prohibit", Assert.Single(t.IpJson("-d route show table 1000").EnumerateArray()).GetProperty("type").GetString());
        Assert.Equal("2001:db8:18::2", Assert.Single(t.IpJson("-6 route show proto 77").EnumerateArray()).GetProperty("gateway").GetString());

        // Listing: filter by protocol, family, destination and table, compared with ip.
        var ours = await t.Client.RoutesAsync(new RouteFilter { Protocol = 77, Family = AddressFamily.InterNetwork }, Ct).ToListAsync(Ct);
        Assert.Equal(ip4.Length, ours.Count);
        Route read = Assert.Single(ours, r => r.Destination == IPNetwork.Parse("198.19.3.0/24"));
        Assert.Equal((uint?)1400, read.Mtu);
        Assert.Equal((uint?)10, read.Priority);
        Assert.Equal(vx0, read.OutputInterface);
        Assert.True(read.Flags.HasFlag(RouteFlags.OnLink));
        Assert.Equal(2, (await t.Client.RoutesAsync(new RouteFilter { Destination = IPNetwork.Parse("198.19.4.0/24") }, Ct).ToListAsync(Ct)).Count);
        Route inTable = Assert.Single(await t.Client.RoutesAsync(new RouteFilter { Table = 1000 }, Ct).ToListAsync(Ct));
        Assert.Equal(RouteType.Prohibit, inTable.Type);
        Assert.Single(await t.Client.RoutesAsync(new RouteFilter { Protocol = 77, Family = AddressFamily.InterNetworkV6 }, Ct).ToListAsync(Ct));

        // Delete: true, then false (ESRCH is not an error).
        var del = new Route { Destination = IPNetwork.Parse("198.19.3.0/24"), Gateway = IPAddress.Parse("198.19.3.0"), OutputInterface = vx0 };
        Assert.True(await t.Client.RouteDeleteAsync(del, Ct));
        Assert.False(await t.Client.RouteDeleteAsync(del, Ct));
        Assert.DoesNotContain(t.IpJson("route show proto 77").EnumerateArray(), r => r.GetProperty("dst").GetString() == "198.19.3.0/24");
    }

    [Fact]
    public async Task Route_get_agrees_with_ip_route_get()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        (int ul0, _) = t.CreateUnderlayAndVxlan();
        Route route = Assert.Single(await t.Client.RouteGetAsync(IPAddress.Parse("198.18.0.7"), Ct));
        JsonElement ip = t.IpJson("route get 198.18.0.7")[0];
        Assert.Equal(ul0, route.OutputInterface);
        Assert.Equal("ul0", ip.GetProperty("dev").GetString());
        Assert.Equal(IPAddress.Parse(ip.GetProperty("prefsrc").GetString()!), route.PreferredSource);
        Assert.Null(route.Gateway);

        var unreachable = await Assert.ThrowsAsync<NetlinkException>(async () => await t.Client.RouteGetAsync(IPAddress.Parse("198.19.200.1"), Ct));
        Assert.Equal(LinuxErrno.ENETUNREACH, unreachable.Errno);
    }

    [Fact]
    public async Task Route_errors_carry_extended_ack_text()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        (int ul0, _) = t.CreateUnderlayAndVxlan();
        var route = new Route { Destination = IPNetwork.Parse("198.19.4.0/24"), Gateway = IPAddress.Parse("198.18.0.2"), Protocol = 77 };
        await t.Client.RouteAddAsync(route, Ct);
        var exists = await Assert.ThrowsAsync<NetlinkException>(async () => await t.Client.RouteAddAsync(route, Ct));
        Assert.Equal(LinuxErrno.EEXIST, exists.Errno);

        // A gateway that is not on any link: ENETUNREACH and the kernel says why.
        var invalid = await Assert.ThrowsAsync<NetlinkException>(async () =>
            await t.Client.RouteAddAsync(new Route { Destination = IPNetwork.Parse("198.19.5.0/24"), Gateway = IPAddress.Parse("198.19.77.1"), OutputInterface = ul0 }, Ct));
        Assert.Equal(LinuxErrno.ENETUNREACH, invalid.Errno);
        Assert.NotNull(invalid.ExtendedAckMessage);
        Assert.Contains("gateway", invalid.ExtendedAckMessage!, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(invalid.ExtendedAckMessage!, invalid.Message, StringComparison.Ordinal);
    }
}
