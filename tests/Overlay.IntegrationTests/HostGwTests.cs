using System.Net;
using Overlay.Backends;
using Overlay.Backends.HostGw;
using Overlay.Backends.Reconcile;
using Overlay.Lab;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

[Trait("Category", Privileged.Category)]
public sealed class HostGwTests : IAsyncLifetime
{
    private readonly List<LabAgent> _agents = [];
    private NamespaceLab? _lab;
    private InMemorySubnetRegistry? _registry;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NetworkConfig Config(bool v4, bool v6) => NetworkConfig.Parse(
        "{\"Network\":\"198.19.0.0/16\",\"EnableIPv4\":" + (v4 ? "true" : "false") + ",\"EnableIPv6\":" + (v6 ? "true" : "false")
        + ",\"IPv6Network\":\"2001:db8:19::/48\",\"Backend\":{\"Type\":\"host-gw\"}}");

    private async Task StartAsync(bool v4 = true, bool v6 = false, LabOptions? lab = null, ReconcileOptions? reconcile = null, Func<NamespaceLab, Task>? beforeAgents = null)
    {
        Privileged.Require();
        _lab = await NamespaceLab.CreateAsync(lab ?? new LabOptions(), Ct);
        _registry = new InMemorySubnetRegistry(Config(v4, v6));
        if (beforeAgents is not null)
        {
            await beforeAgents(_lab);
        }

        foreach (LabNode node in _lab.Nodes)
        {
            _agents.Add(await LabAgent.StartAsync(node, _registry, new HostGwBackend(), reconcile, cancellationToken: Ct));
        }
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Every_pair_of_pods_connects_in_both_directions(bool v4, bool v6)
    {
        await StartAsync(v4, v6);
        foreach (LabAgent a in _agents)
        {
            foreach (LabAgent b in _agents.Where(b => b != a))
            {
                if (v4)
                {
                    Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null, $"{a.Node.PodAddress} -> {b.Node.PodAddress}");
                }

                if (v6)
                {
                    Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddressV6!, a.Node.PodAddressV6, cancellationToken: Ct) is not null, $"{a.Node.PodAddressV6} -> {b.Node.PodAddressV6}");
                }
            }
        }

        // The kernel's view (ip -j route): one route per peer via its underlay address, with our protocol.
        LabAgent first = _agents[0];
        foreach (LabAgent peer in _agents.Skip(1))
        {
            if (v4)
            {
                var routes = await Privileged.RoutesAsync(first.Node);
                Assert.Contains(routes, r => r.Str("dst") == peer.Network.Lease.Subnet.ToString() && r.Str("gateway") == peer.Node.Underlay.ToString() && r.Str("dev") == "eth0" && r.Str("protocol") == "111");
            }

            if (v6)
            {
                var routes = await Privileged.RoutesAsync(first.Node, ipv6: true);
                Assert.Contains(routes, r => r.Str("dst") == peer.Network.Lease.IPv6Subnet.ToString() && r.Str("gateway") == peer.Node.UnderlayV6!.ToString() && r.Str("protocol") == "111");
            }
        }

        Assert.All(first.Network.Peers, p => Assert.Equal(PeerMode.Direct, p.Mode));

        // A TCP transfer between pods, verified byte for byte.
        IPAddress source = v4 ? first.Node.PodAddress! : first.Node.PodAddressV6!;
        IPAddress target = v4 ? _agents[1].Node.PodAddress! : _agents[1].Node.PodAddressV6!;
        Assert.True(await first.Node.TcpTransferAsync(_agents[1].Node, source, target, 8 << 20, Ct));
    }

    [Fact]
    public async Task A_peer_removed_from_the_registry_loses_its_route_on_every_node()
    {
        await StartAsync();
        Lease gone = _agents[2].Network.Lease;
        string subnet = gone.Subnet.ToString()!;
        Assert.True(await _agents[0].Node.PingUntilAsync(_agents[2].Node.PodAddress!, _agents[0].Node.PodAddress, cancellationToken: Ct) is not null);
        await _agents[2].DisposeAsync();
        _agents.RemoveAt(2);

        await _registry!.ReleaseLeaseAsync(gone, Ct);

        foreach (LabAgent agent in _agents)
        {
            await Privileged.EventuallyAsync(async () => !(await Privileged.RoutesAsync(agent.Node)).Any(r => r.Str("dst") == subnet), $"route to {subnet} removed on {agent.Node.Namespace}");
            Assert.DoesNotContain(agent.Network.Peers, p => p.Key == gone.Key);
        }

        Assert.True(await _agents[0].Node.PingUntilAsync(_agents[1].Node.PodAddress!, _agents[0].Node.PodAddress, cancellationToken: Ct) is not null);
    }

    [Fact]
    public async Task A_route_deleted_by_hand_comes_back_from_notifications_alone()
    {
        await StartAsync(reconcile: new ReconcileOptions { FullReconcileInterval = null });
        LabNode node = _agents[0].Node;
        string subnet = _agents[1].Network.Lease.Subnet.ToString()!;
        await Privileged.EventuallyAsync(async () => (await Privileged.RoutesAsync(node)).Any(r => r.Str("dst") == subnet), $"route to {subnet} installed"); // the peer may still be arriving
        await node.IpAsync("route", "del", subnet); // succeeds: the route was there and is gone now

        await Privileged.EventuallyAsync(async () => (await Privileged.RoutesAsync(node)).Any(r => r.Str("dst") == subnet && r.Str("protocol") == "111"), $"route to {subnet} restored");
        Assert.True(await node.PingUntilAsync(_agents[1].Node.PodAddress!, node.PodAddress, cancellationToken: Ct) is not null);
    }

    [Fact]
    public async Task A_route_altered_by_hand_is_put_back()
    {
        await StartAsync(reconcile: new ReconcileOptions { FullReconcileInterval = null });
        LabNode node = _agents[0].Node;
        string subnet = _agents[1].Network.Lease.Subnet.ToString()!;
        await node.IpAsync("route", "replace", subnet, "via", _agents[2].Node.Underlay.ToString(), "dev", "eth0", "proto", "111");
        await Privileged.EventuallyAsync(async () => (await Privileged.RoutesAsync(node)).Any(r => r.Str("dst") == subnet && r.Str("gateway") == _agents[1].Node.Underlay.ToString()), $"route to {subnet} corrected");
    }

    [Fact]
    public async Task A_peer_behind_a_router_is_reported_unreachable_while_the_others_work()
    {
        await StartAsync(lab: new LabOptions { Nodes = 2, RoutedNodes = 1 });
        LabAgent routed = _agents[2];
        foreach (LabAgent agent in _agents.Take(2))
        {
            await Privileged.EventuallyAsync(() => Task.FromResult(agent.Network.Peers.Any(p => p.Key == routed.Network.Lease.Key)), "the routed peer is known");
            PeerStatus status = Assert.Single(agent.Network.Peers, p => p.Key == routed.Network.Lease.Key);
            Assert.Equal(PeerMode.Unreachable, status.Mode);
            Assert.Contains("router 198.18.1.254", status.Reason);
            Assert.DoesNotContain(await Privileged.RoutesAsync(agent.Node), r => r.Str("dst") == routed.Network.Lease.Subnet.ToString());
        }

        Assert.True(await _agents[0].Node.PingUntilAsync(_agents[1].Node.PodAddress!, _agents[0].Node.PodAddress, cancellationToken: Ct) is not null);
        Assert.True(await _agents[1].Node.PingUntilAsync(_agents[0].Node.PodAddress!, _agents[1].Node.PodAddress, cancellationToken: Ct) is not null);
        Assert.Equal(PeerMode.Direct, Assert.Single(_agents[0].Network.Peers, p => p.Key == _agents[1].Network.Lease.Key).Mode);

        // And from the routed node's side, both others are unreachable for the same reason.
        Assert.Equal(2, routed.Network.Peers.Count);
        Assert.All(routed.Network.Peers, p => Assert.Equal((PeerMode.Unreachable, true), (p.Mode, p.Reason.Contains("router 198.18.2.254", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task Stale_routes_of_ours_and_of_a_predecessor_are_removed_at_start()
    {
        await StartAsync(beforeAgents: async lab =>
        {
            LabNode node = lab.Nodes[0];
            await node.IpAsync("route", "add", "198.19.250.0/24", "via", "198.18.1.2", "dev", "eth0", "proto", "111"); // ours, no lease wants it
            await node.IpAsync("route", "add", "198.19.251.0/24", "via", "198.18.1.3", "dev", "eth0"); // flanneld's (proto boot)
            await node.IpAsync("route", "add", "203.0.113.0/24", "via", "198.18.1.3", "dev", "eth0"); // outside the overlay: not ours
        });

        // Stale routes go in the first full reconcile, before the agent reports ready.
        var routes = await Privileged.RoutesAsync(_agents[0].Node);
        Assert.DoesNotContain(routes, r => r.Str("dst") is "198.19.250.0/24" or "198.19.251.0/24");
        Assert.Contains(routes, r => r.Str("dst") == "203.0.113.0/24");

        // And what remains of ours is exactly the two peers' routes (the last peer may still be arriving).
        await Privileged.EventuallyAsync(async () => (await Privileged.RoutesAsync(_agents[0].Node)).Count(r => r.Str("protocol") == "111") == 2, "both peers' routes");
        Assert.DoesNotContain(await Privileged.RoutesAsync(_agents[0].Node), r => r.Str("dst") is "198.19.250.0/24" or "198.19.251.0/24");
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (LabAgent agent in _agents)
        {
            await agent.DisposeAsync();
        }

        _registry?.Dispose();
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
