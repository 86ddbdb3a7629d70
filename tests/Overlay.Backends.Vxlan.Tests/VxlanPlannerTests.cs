using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Overlay.Backends.Reconcile;
using Overlay.Backends.Vxlan.Internal;
using Overlay.Netlink;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.Backends.Vxlan.Tests;

/// <summary>The per-peer plan and its diff through the reconcile engine, against fake kernel tables.</summary>
public sealed class VxlanPlannerTests
{
    private const int Flannel1 = 7;
    private const int Flannel6 = 8;
    private const int Eth0 = 2;
    private readonly List<string> _log = [];
    private readonly FakeKind<Neighbor> _neigh;
    private readonly FakeKind<FdbEntry> _fdb;
    private readonly FakeKind<Route> _routes;
    private readonly HashSet<IPAddress> _onLink = [];

    public VxlanPlannerTests()
    {
        _neigh = new FakeKind<Neighbor>("neighbour", _log, n => NeighborObjectKind.KeyOf(n));
        _fdb = new FakeKind<FdbEntry>("fdb", _log, f => FdbObjectKind.KeyOf(f));
        _routes = new FakeKind<Route>("route", _log, r => RouteObjectKind.KeyOf(r));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private VxlanPlanner Planner(bool directRouting = false, bool v4 = true, bool v6 = false) => new(
        new VxlanSettings(1, null, 1500, false, false, directRouting),
        NetworkConfig.Parse("{\"Network\":\"198.19.0.0/16\",\"IPv6Network\":\"2001:db8:19::/48\",\"EnableIPv4\":" + (v4 ? "true" : "false") + ",\"EnableIPv6\":" + (v6 ? "true" : "false") + ",\"Backend\":{\"Type\":\"vxlan\"}}"),
        111, _neigh, _fdb, _routes,
        family => family == AddressFamily.InterNetwork ? new PlannerDevice(Flannel1, "flannel.1") : new PlannerDevice(Flannel6, "flannel-v6.1"),
        (address, _) => ValueTask.FromResult<IReadOnlyList<Route>>(_onLink.Contains(address)
            ? [new Route { Destination = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128), OutputInterface = Eth0 }]
            : [new Route { Destination = new IPNetwork(address, 32), Gateway = IPAddress.Parse("198.18.1.254"), OutputInterface = Eth0 }]),
        index => index == Eth0 ? "eth0" : "?");

    private static Lease Peer(int n, string mac, string backend = "vxlan", string? mac6 = null, string? data = null) => new(
        IPNetwork.Parse($"198.19.{n}.0/24"), mac6 is null ? null : IPNetwork.Parse($"2001:db8:19:{n}::/64"),
        new LeaseAttributes
        {
            PublicIP = IPAddress.Parse($"198.18.1.{n}"),
            PublicIPv6 = mac6 is null ? null : IPAddress.Parse($"2001:db8:18:1::{n}"),
            BackendType = backend,
            BackendData = JsonDocument.Parse(data ?? "{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}").RootElement.Clone(),
            BackendV6Data = mac6 is null ? null : JsonDocument.Parse("{\"VNI\":1,\"VtepMAC\":\"" + mac6 + "\"}").RootElement.Clone(),
        }, null);

    [Fact]
    public async Task An_encapsulated_peer_gets_neighbour_FDB_and_onlink_route_in_flannels_order()
    {
        PeerPlan plan = await Planner().PlanAsync(Peer(3, "0a:00:00:00:00:03"), Ct);
        Assert.Equal(PeerMode.Vxlan, plan.Mode);
        Assert.Contains("DirectRouting off", plan.Reason, StringComparison.Ordinal);
        Assert.Equal([_neigh, _fdb, _routes], plan.Objects.Select(o => o.Kind));
        var neigh = (Neighbor)plan.Objects[0].Item;
        var fdb = (FdbEntry)plan.Objects[1].Item;
        var route = (Route)plan.Objects[2].Item;
        Assert.Equal((Flannel1, IPAddress.Parse("198.19.3.0"), MacAddress.Parse("0a:00:00:00:00:03"), NeighborState.Permanent),
            (neigh.InterfaceIndex, neigh.Address, neigh.LinkLayerAddress!.Value, neigh.State));
        Assert.Equal((Flannel1, MacAddress.Parse("0a:00:00:00:00:03"), IPAddress.Parse("198.18.1.3"), NeighborFlags.Self, NeighborState.Permanent),
            (fdb.InterfaceIndex, fdb.MacAddress, fdb.Destination, fdb.Flags, fdb.State));
        Assert.Equal((IPNetwork.Parse("198.19.3.0/24"), IPAddress.Parse("198.19.3.0"), (int?)Flannel1, RouteFlags.OnLink, (byte?)111),
            (route.Destination!.Value, route.Gateway, route.OutputInterface, route.Flags, route.Protocol));
    }

    [Fact]
    public async Task With_DirectRouting_an_on_link_peer_gets_a_plain_route_and_the_reason_says_why()
    {
        _onLink.Add(IPAddress.Parse("198.18.1.2"));
        VxlanPlanner planner = Planner(directRouting: true);
        PeerPlan direct = await planner.PlanAsync(Peer(2, "0a:00:00:00:00:02"), Ct);
        Assert.Equal(PeerMode.Direct, direct.Mode);
        Assert.Contains("198.18.1.2 is on-link via eth0", direct.Reason, StringComparison.Ordinal);
        var route = (Route)Assert.Single(direct.Objects).Item;
        Assert.Equal((IPAddress.Parse("198.18.1.2"), (int?)Eth0, RouteFlags.None), (route.Gateway, route.OutputInterface, route.Flags));

        PeerPlan routed = await planner.PlanAsync(Peer(3, "0a:00:00:00:00:03"), Ct);
        Assert.Equal(PeerMode.Vxlan, routed.Mode);
        Assert.Contains("reached via router 198.18.1.254", routed.Reason, StringComparison.Ordinal);
        Assert.Equal(3, routed.Objects.Length);
    }

    [Fact]
    public async Task Dual_stack_plans_both_families_on_their_devices()
    {
        PeerPlan plan = await Planner(v6: true).PlanAsync(Peer(4, "0a:00:00:00:00:04", mac6: "0a:00:00:00:06:04"), Ct);
        Assert.Equal(6, plan.Objects.Length);
        var neigh6 = (Neighbor)plan.Objects[3].Item;
        var fdb6 = (FdbEntry)plan.Objects[4].Item;
        var route6 = (Route)plan.Objects[5].Item;
        Assert.Equal((Flannel6, IPAddress.Parse("2001:db8:19:4::")), (neigh6.InterfaceIndex, neigh6.Address));
        Assert.Equal((MacAddress.Parse("0a:00:00:00:06:04"), IPAddress.Parse("2001:db8:18:1::4")), (fdb6.MacAddress, fdb6.Destination));
        Assert.Equal((IPAddress.Parse("2001:db8:19:4::"), (int?)Flannel6), (route6.Gateway, route6.OutputInterface));
    }

    [Theory]
    [InlineData("host-gw", null, "backend 'host-gw'")]
    [InlineData("vxlan", "{\"VNI\":1}", "no VtepMAC")]
    [InlineData("vxlan", "{\"VNI\":1,\"VtepMAC\":\"zz\"}", "VtepMAC")]
    public async Task A_peer_that_cannot_be_programmed_is_unreachable_with_the_reason(string backend, string? data, string reason)
    {
        PeerPlan plan = await Planner().PlanAsync(Peer(5, "0a:00:00:00:00:05", backend, data: data), Ct);
        Assert.Equal(PeerMode.Unreachable, plan.Mode);
        Assert.Empty(plan.Objects);
        Assert.Contains(reason, plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_with_another_VNI_is_programmed_with_a_warning_in_its_reason()
    {
        PeerPlan plan = await Planner().PlanAsync(Peer(5, "x", data: "{\"VNI\":4096,\"VtepMAC\":\"0a:00:00:00:00:05\"}"), Ct);
        Assert.Equal(PeerMode.Vxlan, plan.Mode);
        Assert.Contains("VNI 4096", plan.Reason, StringComparison.Ordinal);
    }

    private PeerReconciler Reconciler() => new([_neigh, _fdb, _routes], new ReconcileOptions(), new FakeTimeProvider());

    [Fact]
    public async Task A_changed_VtepMAC_replaces_the_neighbour_removes_the_old_FDB_entry_and_leaves_the_route()
    {
        VxlanPlanner planner = Planner();
        PeerReconciler reconciler = Reconciler();
        await reconciler.ApplyAsync([await planner.PlanAsync(Peer(3, "0a:00:00:00:00:03"), Ct)], [], Ct);
        Assert.Equal(3, _log.Count);
        _log.Clear();

        await reconciler.ApplyAsync([await planner.PlanAsync(Peer(3, "0a:00:00:00:00:33"), Ct)], [], Ct);
        Assert.Equal([
            "fdb remove 0a:00:00:00:00:03 dst 198.18.1.3 dev 7",
            "neighbour install 198.19.3.0 lladdr 0a:00:00:00:00:33 dev 7",
            "fdb install 0a:00:00:00:00:33 dst 198.18.1.3 dev 7",
        ], _log);
        Assert.Equal([MacAddress.Parse("0a:00:00:00:00:33")], _fdb.Kernel.Values.Select(f => f.MacAddress));
        Assert.Single(_routes.Kernel);
    }

    [Fact]
    public async Task A_peer_that_turns_direct_loses_neighbour_and_FDB_and_its_route_is_replaced_and_back()
    {
        VxlanPlanner planner = Planner(directRouting: true);
        PeerReconciler reconciler = Reconciler();
        Lease peer = Peer(2, "0a:00:00:00:00:02");
        await reconciler.ApplyAsync([await planner.PlanAsync(peer, Ct)], [], Ct);
        Assert.Equal(PeerMode.Vxlan, Assert.Single(reconciler.Status).Mode);
        _log.Clear();

        _onLink.Add(IPAddress.Parse("198.18.1.2")); // e.g. the underlay route changed
        await reconciler.ApplyAsync([await planner.PlanAsync(peer, Ct)], [], Ct);
        Assert.Equal([
            "fdb remove 0a:00:00:00:00:02 dst 198.18.1.2 dev 7",
            "neighbour remove 198.19.2.0 lladdr 0a:00:00:00:00:02 dev 7",
            "route install 198.19.2.0/24 via 198.18.1.2 dev 2",
        ], _log);
        Assert.Empty(_neigh.Kernel);
        Assert.Empty(_fdb.Kernel);
        Assert.Equal(PeerMode.Direct, Assert.Single(reconciler.Status).Mode);
        _log.Clear();

        _onLink.Clear();
        await reconciler.ApplyAsync([await planner.PlanAsync(peer, Ct)], [], Ct);
        Assert.Equal([
            "neighbour install 198.19.2.0 lladdr 0a:00:00:00:00:02 dev 7",
            "fdb install 0a:00:00:00:00:02 dst 198.18.1.2 dev 7",
            "route install 198.19.2.0/24 via 198.19.2.0 dev 7 onlink",
        ], _log);
    }

    [Fact]
    public async Task A_removed_peer_loses_all_three_in_reverse_order_and_an_unchanged_one_costs_nothing()
    {
        VxlanPlanner planner = Planner();
        PeerReconciler reconciler = Reconciler();
        await reconciler.ApplyAsync([await planner.PlanAsync(Peer(3, "0a:00:00:00:00:03"), Ct), await planner.PlanAsync(Peer(4, "0a:00:00:00:00:04"), Ct)], [], Ct);
        Assert.Equal(3, _log.Count); // one bulk call per kind for both peers
        _log.Clear();

        await reconciler.ApplyAsync([await planner.PlanAsync(Peer(4, "0a:00:00:00:00:04"), Ct)], [], Ct); // a renewal: same attributes
        Assert.Empty(_log);

        await reconciler.ApplyAsync([], [Peer(3, "x").Key], Ct);
        Assert.Equal([
            "route remove 198.19.3.0/24 via 198.19.3.0 dev 7 onlink",
            "fdb remove 0a:00:00:00:00:03 dst 198.18.1.3 dev 7",
            "neighbour remove 198.19.3.0 lladdr 0a:00:00:00:00:03 dev 7",
        ], _log);
        Assert.Single(_neigh.Kernel);
        Assert.Single(_fdb.Kernel);
        Assert.Single(_routes.Kernel);
    }

    [Fact]
    public async Task A_full_reconcile_removes_stale_entries_and_restores_deleted_ones()
    {
        VxlanPlanner planner = Planner();
        PeerReconciler reconciler = Reconciler();
        var stale = new Neighbor { InterfaceIndex = Flannel1, Address = IPAddress.Parse("198.19.250.0"), LinkLayerAddress = MacAddress.Parse("0a:00:00:00:00:fa") };
        _neigh.Kernel[NeighborObjectKind.KeyOf(stale)] = stale;
        reconciler.SetDesired([await planner.PlanAsync(Peer(3, "0a:00:00:00:00:03"), Ct)]);
        await reconciler.ReconcileAllAsync(Ct);
        Assert.DoesNotContain(NeighborObjectKind.KeyOf(stale), _neigh.Kernel.Keys);
        Assert.Single(_neigh.Kernel);

        _fdb.Kernel.Clear(); // deleted behind our back
        _log.Clear();
        ReconcileResult result = await reconciler.ReconcileAllAsync(Ct);
        Assert.Equal(1, result.Installed);
        Assert.Contains("fdb install 0a:00:00:00:00:03 dst 198.18.1.3 dev 7", _log);
    }
}
