using System.Net;
using System.Text.Json;
using Overlay.Backends;
using Overlay.Backends.Reconcile;
using Overlay.Lab;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

/// <summary>The vxlan backend on a lab: three nodes on one segment and one behind the router, DirectRouting on.</summary>
[Trait("Category", Privileged.Category)]
public sealed class VxlanTests : IAsyncLifetime
{
    private VxlanLab? _lab;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Same_segment_peers_are_direct_the_routed_one_encapsulated_and_every_pair_connects(bool v4, bool v6)
    {
        _lab = await VxlanLab.StartAsync(v4, v6, "{\"Type\":\"vxlan\",\"DirectRouting\":true}", new LabOptions { Nodes = 3, RoutedNodes = 1 });
        List<LabAgent> agents = _lab.Agents;
        LabAgent routed = agents[3];

        // The decision and its reason, per peer.
        foreach (LabAgent agent in agents.Take(3))
        {
            foreach (PeerStatus peer in agent.Network.Peers)
            {
                bool isRouted = peer.Key == routed.Network.Lease.Key;
                Assert.Equal(isRouted ? PeerMode.Vxlan : PeerMode.Direct, peer.Mode);
                Assert.Contains(isRouted ? "reached via router" : "is on-link via eth0", peer.Reason, StringComparison.Ordinal);
            }
        }

        Assert.All(routed.Network.Peers, p => Assert.Equal(PeerMode.Vxlan, p.Mode));

        // Reported MTU: 1500 − 50 over IPv4, − 70 over IPv6, the smaller for dual stack.
        Assert.Equal(v6 ? 1430 : 1450, agents[0].Network.Mtu);

        await _lab.AssertAllPairsPingAsync();

        // A TCP transfer between every pair, verified byte for byte.
        foreach (LabAgent a in agents)
        {
            foreach (LabAgent b in agents.Where(b => b != a))
            {
                IPAddress source = v4 ? a.Node.PodAddress! : a.Node.PodAddressV6!;
                IPAddress target = v4 ? b.Node.PodAddress! : b.Node.PodAddressV6!;
                Assert.True(await a.Node.TcpTransferAsync(b.Node, source, target, 1 << 20, Ct), $"TCP {source} -> {target}");
            }
        }

        if (v4 && v6)
        {
            Assert.True(await agents[0].Node.TcpTransferAsync(routed.Node, agents[0].Node.PodAddressV6!, routed.Node.PodAddressV6!, 1 << 20, Ct));
        }

        // The kernel's view, from node 1.
        LabNode first = agents[0].Node;
        if (v4)
        {
            await AssertKernelStateAsync(first, "flannel.1", routed, agents[1], ipv6: false);
        }

        if (v6)
        {
            await AssertKernelStateAsync(first, "flannel-v6.1", routed, agents[1], ipv6: true);
        }
    }

    [Fact]
    public async Task DirectRouting_is_re_evaluated_when_the_underlay_route_to_a_peer_changes()
    {
        _lab = await VxlanLab.StartAsync(true, false, "{\"Type\":\"vxlan\",\"DirectRouting\":true}", new LabOptions { Nodes = 3, IPv6 = false },
            new ReconcileOptions { FullReconcileInterval = null });
        LabAgent a = _lab.Agents[0], b = _lab.Agents[1], c = _lab.Agents[2];
        string key = b.Network.Lease.Key;
        Assert.Equal(PeerMode.Direct, Assert.Single(a.Network.Peers, p => p.Key == key).Mode);

        // The peer's underlay address is now reached through node 3 (which forwards): no longer on-link.
        await a.Node.IpAsync("route", "add", $"{b.Node.Underlay}/32", "via", c.Node.Underlay.ToString(), "dev", "eth0");
        await Privileged.EventuallyAsync(() => Task.FromResult(a.Network.Peers.Single(p => p.Key == key) is { Mode: PeerMode.Vxlan } s
            && s.Reason.Contains($"reached via router {c.Node.Underlay}", StringComparison.Ordinal)), "the peer turns encapsulated with the reason");
        await Privileged.EventuallyAsync(async () => (await VxlanLab.FdbAsync(a.Node, "flannel.1")).Count(f => f.TryGetProperty("dst", out _)) == 1, "its FDB entry is installed");
        Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null, "encapsulated");

        // And back: the peer is direct again and loses its neighbour and FDB entries.
        await a.Node.IpAsync("route", "del", $"{b.Node.Underlay}/32");
        await Privileged.EventuallyAsync(() => Task.FromResult(a.Network.Peers.Single(p => p.Key == key).Mode == PeerMode.Direct), "the peer turns direct again");
        await Privileged.EventuallyAsync(async () => !(await VxlanLab.FdbAsync(a.Node, "flannel.1")).Any(f => f.TryGetProperty("dst", out _))
            && !(await VxlanLab.NeighborsAsync(a.Node, "flannel.1")).Any(n => n.GetProperty("state").EnumerateArray().Any(s => s.GetString() == "PERMANENT")), "no neighbour or FDB entry left");
        Assert.Contains(await Privileged.RoutesAsync(a.Node), r => r.Str("dst") == b.Network.Lease.Subnet.ToString() && r.Str("gateway") == b.Node.Underlay.ToString() && r.Str("dev") == "eth0");
        Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null, "direct");
    }

    private static async Task AssertKernelStateAsync(LabNode node, string device, LabAgent routed, LabAgent direct, bool ipv6)
    {
        JsonElement link = await VxlanLab.LinkAsync(node, device);
        JsonElement info = link.GetProperty("linkinfo");
        Assert.Equal("vxlan", info.GetProperty("info_kind").GetString());
        JsonElement data = info.GetProperty("info_data");
        Assert.Equal(1, data.GetProperty("id").GetInt32());
        Assert.Equal(8472, data.GetProperty("port").GetInt32());
        Assert.Equal(ipv6 ? node.UnderlayV6!.ToString() : node.Underlay.ToString(), data.GetProperty(ipv6 ? "local6" : "local").GetString());
        Assert.False(data.TryGetProperty("learning", out JsonElement learning) && learning.GetBoolean());
        Assert.Equal(ipv6 ? 1430 : 1450, link.GetProperty("mtu").GetInt32());
        string mac = link.GetProperty("address").GetString()!;

        IPNetwork routedSubnet = (ipv6 ? routed.Network.Lease.IPv6Subnet : routed.Network.Lease.Subnet)!.Value;
        IPNetwork directSubnet = (ipv6 ? direct.Network.Lease.IPv6Subnet : direct.Network.Lease.Subnet)!.Value;
        string routedVtepMac = (await VxlanLab.LinkAsync(routed.Node, device)).GetProperty("address").GetString()!;
        string directVtepMac = (await VxlanLab.LinkAsync(direct.Node, device)).GetProperty("address").GetString()!;
        Assert.NotEqual(mac, routedVtepMac);

        // The routed peer: neighbour (VTEP IP → MAC), FDB (MAC → underlay), onlink route.
        IReadOnlyList<JsonElement> neighbors = await VxlanLab.NeighborsAsync(node, device);
        Assert.Contains(neighbors, n => n.Str("dst") == routedSubnet.BaseAddress.ToString() && n.Str("lladdr") == routedVtepMac
            && n.GetProperty("state").EnumerateArray().Any(s => s.GetString() == "PERMANENT"));
        IReadOnlyList<JsonElement> fdb = await VxlanLab.FdbAsync(node, device);
        string routedUnderlay = ipv6 ? routed.Node.UnderlayV6!.ToString() : routed.Node.Underlay.ToString();
        Assert.Contains(fdb, f => f.Str("mac") == routedVtepMac && f.Str("dst") == routedUnderlay);
        IReadOnlyList<JsonElement> routes = await Privileged.RoutesAsync(node, ipv6);
        Assert.Contains(routes, r => r.Str("dst") == routedSubnet.ToString() && r.Str("gateway") == routedSubnet.BaseAddress.ToString()
            && r.Str("dev") == device && r.Str("protocol") == "111" && r.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "onlink"));

        // The direct peer: a plain route via its underlay address, and no neighbour or FDB entry.
        string directUnderlay = ipv6 ? direct.Node.UnderlayV6!.ToString() : direct.Node.Underlay.ToString();
        Assert.Contains(routes, r => r.Str("dst") == directSubnet.ToString() && r.Str("gateway") == directUnderlay && r.Str("dev") == "eth0" && r.Str("protocol") == "111");
        Assert.DoesNotContain(neighbors, n => n.Str("dst") == directSubnet.BaseAddress.ToString());
        Assert.DoesNotContain(fdb, f => f.Str("mac") == directVtepMac);

        // Exactly one permanent entry of each kind (only the routed peer is encapsulated).
        Assert.Single(neighbors, n => n.GetProperty("state").EnumerateArray().Any(s => s.GetString() == "PERMANENT"));
        Assert.Single(fdb, f => f.TryGetProperty("dst", out _));
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
