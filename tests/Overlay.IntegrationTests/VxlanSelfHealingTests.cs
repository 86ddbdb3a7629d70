using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Overlay.Backends;
using Overlay.Backends.Reconcile;
using Overlay.Lab;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

/// <summary>Faults injected with iproute2 while the periodic full reconcile is off: each is repaired
/// from netlink notifications alone and connectivity returns.</summary>
[Trait("Category", Privileged.Category)]
public sealed class VxlanSelfHealingTests : IAsyncLifetime
{
    private static readonly ReconcileOptions NoPeriodic = new() { FullReconcileInterval = null };

    private VxlanLab? _lab;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("device", false)]
    [InlineData("device", true)]
    [InlineData("route", false)]
    [InlineData("route", true)]
    [InlineData("neighbour", false)]
    [InlineData("neighbour", true)]
    [InlineData("fdb", false)]
    [InlineData("fdb", true)]
    [InlineData("mtu", false)]
    [InlineData("mtu", true)]
    public async Task A_fault_is_repaired_and_connectivity_returns(string fault, bool ipv6)
    {
        _lab = await VxlanLab.StartAsync(!ipv6, ipv6, "{\"Type\":\"vxlan\"}", new LabOptions { Nodes = 3 }, NoPeriodic);
        LabAgent a = _lab.Agents[0], b = _lab.Agents[1], c = _lab.Agents[2];
        string device = ipv6 ? "flannel-v6.1" : "flannel.1";
        string family = ipv6 ? "-6" : "-4";
        IPNetwork bSubnet = (ipv6 ? b.Network.Lease.IPv6Subnet : b.Network.Lease.Subnet)!.Value;
        IPAddress aPod = ipv6 ? a.Node.PodAddressV6! : a.Node.PodAddress!;
        IPAddress bPod = ipv6 ? b.Node.PodAddressV6! : b.Node.PodAddress!;
        IPAddress cPod = ipv6 ? c.Node.PodAddressV6! : c.Node.PodAddress!;
        Assert.True(await a.Node.PingUntilAsync(bPod, aPod, cancellationToken: Ct) is not null);
        string bMac = (await VxlanLab.LinkAsync(b.Node, device)).GetProperty("address").GetString()!;
        JsonElement before = await VxlanLab.LinkAsync(a.Node, device);
        int mtu = before.GetProperty("mtu").GetInt32();

        switch (fault)
        {
            case "device":
                await a.Node.IpAsync("link", "del", device);
                break;
            case "route":
                await a.Node.IpAsync(family, "route", "del", bSubnet.ToString());
                break;
            case "neighbour":
                await a.Node.IpAsync(family, "neigh", "del", bSubnet.BaseAddress.ToString(), "dev", device);
                break;
            case "fdb":
                await Shell.RunAsync("bridge", ["-n", a.Node.Namespace, "fdb", "del", bMac, "dev", device, "dst", (ipv6 ? b.Node.UnderlayV6! : b.Node.Underlay).ToString()], cancellationToken: Ct);
                break;
            case "mtu":
                await a.Node.IpAsync("link", "set", device, "mtu", "1300");
                break;
        }

        // Everything is back: the device as it was (same MAC, MTU), and every peer's three entries.
        await Privileged.EventuallyAsync(async () =>
        {
            JsonElement link;
            try
            {
                link = await VxlanLab.LinkAsync(a.Node, device);
            }
            catch (InvalidOperationException)
            {
                return false; // not there yet
            }

            if (link.GetProperty("mtu").GetInt32() != mtu || link.GetProperty("address").GetString() != before.GetProperty("address").GetString()
                || !link.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "UP"))
            {
                return false;
            }

            IReadOnlyList<JsonElement> neighbors = await VxlanLab.NeighborsAsync(a.Node, device);
            IReadOnlyList<JsonElement> fdb = await VxlanLab.FdbAsync(a.Node, device);
            IReadOnlyList<JsonElement> routes = await Privileged.RoutesAsync(a.Node, ipv6);
            return neighbors.Count(n => n.GetProperty("state").EnumerateArray().Any(s => s.GetString() == "PERMANENT")) == 2
                && fdb.Count(f => f.TryGetProperty("dst", out _)) == 2
                && routes.Count(r => r.Str("dev") == device && r.Str("protocol") == "111") == 2;
        }, $"{fault} repaired on {a.Node.Namespace}");

        Assert.True(await a.Node.PingUntilAsync(bPod, aPod, cancellationToken: Ct) is not null, $"{aPod} -> {bPod} after the repair");
        Assert.True(await a.Node.PingUntilAsync(cPod, aPod, cancellationToken: Ct) is not null, $"{aPod} -> {cPod} after the repair");
        Assert.True(await b.Node.PingUntilAsync(aPod, bPod, cancellationToken: Ct) is not null, $"{bPod} -> {aPod} after the repair");
        Assert.All(a.Network.Peers, p => Assert.True(p.IsHealthy, p.LastError));
    }

    [Fact]
    public async Task A_peer_whose_VtepMAC_changes_leaves_no_stale_FDB_entry()
    {
        _lab = await VxlanLab.StartAsync(true, false, "{\"Type\":\"vxlan\"}", new LabOptions { Nodes = 2, IPv6 = false }, NoPeriodic);
        LabAgent a = _lab.Agents[0];

        // A flanneld-style peer (not running here) publishes one MAC, then another, as after a device re-creation with a random MAC.
        IPAddress peerIp = IPAddress.Parse("198.18.1.99");
        Lease peer = await _lab.Registry.AcquireLeaseAsync(new LeaseRequest(Attributes(peerIp, "0a:00:00:00:00:01")), Ct);
        await Privileged.EventuallyAsync(async () => (await VxlanLab.FdbAsync(a.Node, "flannel.1")).Any(f => f.Str("mac") == "0a:00:00:00:00:01" && f.Str("dst") == "198.18.1.99"), "first MAC programmed");

        Lease changed = await _lab.Registry.AcquireLeaseAsync(new LeaseRequest(Attributes(peerIp, "0a:00:00:00:00:02")), Ct);
        Assert.Equal(peer.Subnet, changed.Subnet);
        await Privileged.EventuallyAsync(async () =>
        {
            IReadOnlyList<JsonElement> fdb = await VxlanLab.FdbAsync(a.Node, "flannel.1");
            IReadOnlyList<JsonElement> neighbors = await VxlanLab.NeighborsAsync(a.Node, "flannel.1");
            return fdb.Any(f => f.Str("mac") == "0a:00:00:00:00:02" && f.Str("dst") == "198.18.1.99")
                && !fdb.Any(f => f.Str("mac") == "0a:00:00:00:00:01")
                && neighbors.Any(n => n.Str("dst") == changed.Subnet!.Value.BaseAddress.ToString() && n.Str("lladdr") == "0a:00:00:00:00:02");
        }, "the new MAC replaces the old one (FDB and neighbour)");

        // And the real peer is untouched.
        Assert.True(await a.Node.PingUntilAsync(_lab.Agents[1].Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null);
    }

    [Fact]
    public async Task An_agent_restarted_after_its_device_was_deleted_keeps_MAC_and_subnet()
    {
        _lab = await VxlanLab.StartAsync(true, true, "{\"Type\":\"vxlan\"}", new LabOptions { Nodes = 2 }, NoPeriodic);
        LabAgent a = _lab.Agents[0];
        LabNode node = a.Node;
        string mac4 = (await VxlanLab.LinkAsync(node, "flannel.1")).GetProperty("address").GetString()!;
        string mac6 = (await VxlanLab.LinkAsync(node, "flannel-v6.1")).GetProperty("address").GetString()!;
        Lease lease = a.Network.Lease;

        await a.DisposeAsync();
        _lab.Agents.RemoveAt(0);
        await node.IpAsync("link", "del", "flannel.1");
        await node.IpAsync("link", "del", "flannel-v6.1");
        await node.IpAsync("link", "del", "cni0");

        LabAgent again = await _lab.StartAgentAsync(node, NoPeriodic);
        _lab.Agents.Insert(0, again);
        Assert.Equal(lease.Subnet, again.Network.Lease.Subnet);
        Assert.Equal(lease.IPv6Subnet, again.Network.Lease.IPv6Subnet);
        Assert.Equal(mac4, (await VxlanLab.LinkAsync(node, "flannel.1")).GetProperty("address").GetString());
        Assert.Equal(mac6, (await VxlanLab.LinkAsync(node, "flannel-v6.1")).GetProperty("address").GetString());
        Assert.Equal(lease.Attributes.BackendData!.Value.GetRawText(), again.Network.Lease.Attributes.BackendData!.Value.GetRawText());

        await Privileged.EventuallyAsync(() => Task.FromResult(again.Network.Peers.Count == 1 && again.Network.Peers[0].IsHealthy), "the peer is programmed");
        await _lab.AssertAllPairsPingAsync();
    }

    [Fact]
    public async Task Stale_entries_on_the_device_are_removed_at_start()
    {
        _lab = await VxlanLab.StartAsync(true, false, "{\"Type\":\"vxlan\"}", new LabOptions { Nodes = 2, IPv6 = false }, NoPeriodic, beforeAgents: async lab =>
        {
            // What a previous run (or flanneld) left behind for a node that is gone.
            LabNode node = lab.Nodes[0];
            await node.IpAsync("link", "add", "flannel.1", "type", "vxlan", "id", "1", "local", node.Underlay.ToString(), "dev", "eth0", "nolearning");
            await node.IpAsync("link", "set", "flannel.1", "up");
            await node.IpAsync("neigh", "add", "198.19.250.0", "lladdr", "0a:00:00:00:00:fa", "dev", "flannel.1", "nud", "permanent");
            await Shell.RunAsync("bridge", ["-n", node.Namespace, "fdb", "add", "0a:00:00:00:00:fa", "dev", "flannel.1", "dst", "198.18.1.250", "self", "permanent"], cancellationToken: Ct);
            await node.IpAsync("route", "add", "198.19.250.0/24", "via", "198.19.250.0", "dev", "flannel.1", "onlink");
        });

        LabNode first = _lab.Agents[0].Node;
        Assert.DoesNotContain(await VxlanLab.NeighborsAsync(first, "flannel.1"), n => n.Str("dst") == "198.19.250.0");
        Assert.DoesNotContain(await VxlanLab.FdbAsync(first, "flannel.1"), f => f.Str("mac") == "0a:00:00:00:00:fa");
        Assert.DoesNotContain(await Privileged.RoutesAsync(first), r => r.Str("dst") == "198.19.250.0/24");
        await _lab.AssertAllPairsPingAsync();
    }

    private static LeaseAttributes Attributes(IPAddress publicIp, string mac) => new()
    {
        PublicIP = publicIp,
        BackendType = "vxlan",
        BackendData = JsonDocument.Parse("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}").RootElement.Clone(),
    };

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
