using System.Net;
using Overlay.Backends;
using Overlay.Lab;
using Overlay.Netlink;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

/// <summary>flannel's interface selection cases (spec §7.6), on a veth in a lab node (no dummy link kind here).</summary>
[Trait("Category", Privileged.Category)]
public sealed class ExternalInterfaceTests : IAsyncLifetime
{
    private NamespaceLab? _lab;
    private NetlinkClient? _netlink;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return;
        }

        _lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1 }, Ct);
        LabNode node = _lab.Nodes[0];
        // eth0: 198.18.1.1/24 and 2001:db8:18:1::1/64; a second interface like flannel's dummy0 case,
        // with a route whose preferred source is one of its addresses (the can-reach case).
        await Shell.IpBatchAsync(node.Namespace, [
            "link add ext0 type veth peer name ext0p",
            "link set ext0 up", "link set ext0p up",
            "addr add 198.18.100.1/24 dev ext0",
            "addr add 198.18.200.128/24 dev ext0",
            "addr add 198.18.30.18/24 dev ext0",
            "addr add 198.18.31.200/24 dev ext0",
            "addr add 198.18.32.100/24 dev ext0",
            "addr add 2001:db8:18:99::1/64 dev ext0 nodad",
            "route add 198.18.33.254/32 dev ext0 src 198.18.32.100",
        ], Ct);
        _netlink = NetlinkClient.Open(node.NetlinkOptions);
    }

    private Task<ExternalInterface> DiscoverAsync(ExternalInterfaceOptions options, bool v4 = true, bool v6 = false)
    {
        Privileged.Require();
        return ExternalInterfaceDiscovery.DiscoverAsync(_netlink!, options, v4, v6, Ct).AsTask();
    }

    [Fact]
    public async Task Without_options_the_default_route_interface_is_chosen()
    {
        ExternalInterface e = await DiscoverAsync(new ExternalInterfaceOptions(), v4: true, v6: true);
        Assert.Equal(("eth0", IPAddress.Parse("198.18.1.1"), IPAddress.Parse("2001:db8:18:1::1")), (e.Name, e.Address, e.IPv6Address));
        Assert.Equal(e.Address, e.PublicIP);
        Assert.Equal(1500, e.Mtu);
    }

    [Fact]
    public async Task Regex_over_addresses_picks_the_matching_address()
    {
        var options = new ExternalInterfaceOptions();
        options.InterfaceRegexes.Add(@"198\.18\.200\.\d+");
        ExternalInterface e = await DiscoverAsync(options);
        Assert.Equal(("ext0", IPAddress.Parse("198.18.200.128")), (e.Name, e.Address));
    }

    [Fact]
    public async Task Regex_matching_no_address_falls_back_to_names_and_the_first_address()
    {
        var options = new ExternalInterfaceOptions();
        options.InterfaceRegexes.Add(@"^ext\d+$");
        ExternalInterface e = await DiscoverAsync(options);
        Assert.Equal(("ext0", IPAddress.Parse("198.18.100.1")), (e.Name, e.Address));
    }

    [Fact]
    public async Task Name_and_address_select_the_interface()
    {
        var byName = new ExternalInterfaceOptions();
        byName.Interfaces.Add("ext0");
        Assert.Equal(IPAddress.Parse("198.18.100.1"), (await DiscoverAsync(byName)).Address);

        var byAddress = new ExternalInterfaceOptions();
        byAddress.Interfaces.Add("198.18.30.18");
        ExternalInterface e = await DiscoverAsync(byAddress, v4: true, v6: true);
        Assert.Equal(("ext0", IPAddress.Parse("198.18.30.18"), IPAddress.Parse("2001:db8:18:99::1")), (e.Name, e.Address, e.IPv6Address));
    }

    [Fact]
    public async Task Public_ip_overrides_the_advertised_address_only()
    {
        var options = new ExternalInterfaceOptions { PublicIP = "198.18.31.200" };
        options.InterfaceRegexes.Add(@"198\.18\.30\.\d+");
        ExternalInterface e = await DiscoverAsync(options);
        Assert.Equal((IPAddress.Parse("198.18.30.18"), IPAddress.Parse("198.18.31.200")), (e.Address, e.PublicIP));
    }

    [Fact]
    public async Task Can_reach_uses_the_route_and_its_source()
    {
        var options = new ExternalInterfaceOptions { CanReach = "198.18.33.254" };
        ExternalInterface e = await DiscoverAsync(options);
        Assert.Equal("ext0", e.Name);
        Assert.Equal(IPAddress.Parse("198.18.32.100"), e.Address);
    }

    [Fact]
    public async Task Nothing_matching_lists_what_was_considered()
    {
        var options = new ExternalInterfaceOptions();
        options.Interfaces.Add("nosuch0");
        options.InterfaceRegexes.Add("^zz");
        var ex = await Assert.ThrowsAsync<ExternalInterfaceException>(() => DiscoverAsync(options));
        Assert.Contains("name nosuch0", ex.Message);
        Assert.Contains("regex ^zz", ex.Message);
        Assert.Contains("ext0 [", ex.Message);
        Assert.Contains("198.18.1.1/24", ex.Message);
    }

    public async ValueTask DisposeAsync()
    {
        _netlink?.Dispose();
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
