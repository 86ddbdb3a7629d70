using System.Net;
using Microsoft.Extensions.Time.Testing;
using Overlay.Backends.IPIP.Internal;
using Overlay.Backends.Reconcile;
using Overlay.Netlink;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.Backends.IPIP.Tests;

/// <summary>The per-peer plan and its diff through the shared reconcile engine, against fake tables.</summary>
public sealed class IPIPPlannerTests
{
    private const int FlannelIpip = 7;
    private const int Eth0 = 2;
    private readonly List<string> _log = [];
    private readonly FakeKind<Route> _routes;
    private readonly FakeKind<IPIPPeerEntry> _peers;
    private readonly HashSet<IPAddress> _onLink = [];

    public IPIPPlannerTests()
    {
        _routes = new FakeKind<Route>("route", _log, r => RouteObjectKind.KeyOf(r));
        _peers = new FakeKind<IPIPPeerEntry>("peer", _log, p => p.Subnet, p => $"{p.Subnet} -> {p.Address}");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IPIPPlanner Planner(bool directRouting = false, bool userSpace = false) => new(
        directRouting, userSpace, 111, _routes, userSpace ? _peers : null, () => FlannelIpip,
        (address, _) => ValueTask.FromResult<IReadOnlyList<Route>>(_onLink.Contains(address)
            ? [new Route { Destination = new IPNetwork(address, 32), OutputInterface = Eth0 }]
            : [new Route { Destination = new IPNetwork(address, 32), Gateway = IPAddress.Parse("198.18.1.254"), OutputInterface = Eth0 }]),
        index => index == Eth0 ? "eth0" : "?");

    private static Lease Peer(int n, string backend = "ipip", string? publicIp = null) => new(
        IPNetwork.Parse($"198.19.{n}.0/24"), null,
        new LeaseAttributes { PublicIP = IPAddress.Parse(publicIp ?? $"198.18.1.{n}"), BackendType = backend }, null);

    private PeerReconciler Reconciler(bool userSpace = false) =>
        new(userSpace ? [_peers, _routes] : [_routes], new ReconcileOptions(), new FakeTimeProvider());

    [Fact]
    public async Task An_encapsulated_peer_gets_the_onlink_route_via_its_public_address_through_flannel_ipip()
    {
        PeerPlan plan = await Planner().PlanAsync(Peer(3), Ct);
        Assert.Equal(PeerMode.IPIP, plan.Mode);
        Assert.Equal("ipip to 198.18.1.3 (DirectRouting off)", plan.Reason);
        Route route = Assert.IsType<Route>(Assert.Single(plan.Objects).Item);
        Assert.Equal(IPNetwork.Parse("198.19.3.0/24"), route.Destination);
        Assert.Equal(IPAddress.Parse("198.18.1.3"), route.Gateway);
        Assert.Equal(FlannelIpip, route.OutputInterface);
        Assert.Equal(RouteFlags.OnLink, route.Flags);
        Assert.Equal((byte)111, route.Protocol);
    }

    [Fact]
    public async Task In_user_space_the_peer_table_entry_comes_before_the_route()
    {
        PeerPlan plan = await Planner(userSpace: true).PlanAsync(Peer(3), Ct);
        Assert.Equal([_peers, _routes], plan.Objects.Select(o => o.Kind));
        Assert.Equal(new IPIPPeerEntry(IPNetwork.Parse("198.19.3.0/24"), IPAddress.Parse("198.18.1.3")), plan.Objects[0].Item);
        Assert.EndsWith("user-space data path", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DirectRouting_routes_an_on_link_peer_directly_and_encapsulates_a_routed_one_with_the_reason()
    {
        _onLink.Add(IPAddress.Parse("198.18.1.3"));
        PeerPlan direct = await Planner(directRouting: true).PlanAsync(Peer(3), Ct);
        Assert.Equal(PeerMode.Direct, direct.Mode);
        Assert.StartsWith("direct, ", direct.Reason, StringComparison.Ordinal);
        Route r = Assert.IsType<Route>(Assert.Single(direct.Objects).Item);
        Assert.Equal(Eth0, r.OutputInterface);
        Assert.Equal(RouteFlags.None, r.Flags);

        PeerPlan routed = await Planner(directRouting: true).PlanAsync(Peer(4), Ct);
        Assert.Equal(PeerMode.IPIP, routed.Mode);
        Assert.Contains("198.18.1.254", routed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Peers_of_another_backend_or_without_ipv4_are_unreachable_with_the_reason()
    {
        Assert.Contains("'vxlan'", (await Planner().PlanAsync(Peer(3, "vxlan"), Ct)).Reason, StringComparison.Ordinal);
        PeerPlan noIp = await Planner().PlanAsync(Peer(3, publicIp: "0.0.0.0"), Ct);
        Assert.Equal(PeerMode.Unreachable, noIp.Mode);
    }

    [Fact]
    public async Task Reconcile_adds_changes_flips_and_removes_exactly_the_difference()
    {
        IPIPPlanner planner = Planner(directRouting: true, userSpace: true);
        PeerReconciler reconciler = Reconciler(userSpace: true);

        await reconciler.ApplyAsync([await planner.PlanAsync(Peer(3), Ct)], [], Ct);
        Assert.Equal(["peer install 198.19.3.0/24 -> 198.18.1.3", "route install 198.19.3.0/24 via 198.18.1.3 dev 7 onlink"], _log.Select(Describe));

        // The peer's public address changes: the entry and the route are replaced.
        _log.Clear();
        await reconciler.ApplyAsync([await planner.PlanAsync(Peer(3, publicIp: "198.18.1.33"), Ct)], [], Ct);
        Assert.Contains("peer install 198.19.3.0/24 -> 198.18.1.33", _log.Select(Describe));
        Assert.Contains("route install 198.19.3.0/24 via 198.18.1.33 dev 7 onlink", _log.Select(Describe));

        // The underlay changes so that the peer is on-link: direct route; the tunnel entry stays (the peer may still
        // send encapsulated, and the engine must accept that as kernel ipip would).
        _log.Clear();
        _onLink.Add(IPAddress.Parse("198.18.1.33"));
        await reconciler.ApplyAsync([await planner.PlanAsync(Peer(3, publicIp: "198.18.1.33"), Ct)], [], Ct);
        Assert.Equal(["route install 198.19.3.0/24 via 198.18.1.33 dev 2"], _log.Select(Describe));
        Assert.Single(_peers.Kernel.Values);

        // And back: it becomes routed again.
        _log.Clear();
        _onLink.Clear();
        await reconciler.ApplyAsync([await planner.PlanAsync(Peer(3, publicIp: "198.18.1.33"), Ct)], [], Ct);
        Assert.Contains("route install 198.19.3.0/24 via 198.18.1.33 dev 7 onlink", _log.Select(Describe));
        Assert.Single(_peers.Kernel.Values);

        // Removed: both go.
        _log.Clear();
        await reconciler.ApplyAsync([], [Peer(3, publicIp: "198.18.1.33").Key], Ct);
        Assert.Empty(_routes.Kernel);
        Assert.Empty(_peers.Kernel);
    }

    private static string Describe(string line) => line;
}
