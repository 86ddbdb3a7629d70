using System.Net;
using System.Text.Json;
using Overlay.Backends;
using Overlay.Backends.Vxlan;
using Overlay.Lab;
using Overlay.Netlink;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

/// <summary>Two vxlan networks (VNI 1 and VNI 2, different overlay ranges and registries) side by side on the
/// same nodes, as flannel's functional "multi" test runs two flanneld instances per host.</summary>
[Trait("Category", Privileged.Category)]
public sealed class VxlanMultiVniTests : IAsyncLifetime
{
    private readonly List<(IOverlayNetwork Network, CancellationTokenSource Stop, Task Run)> _second = [];
    private VxlanLab? _lab;
    private InMemorySubnetRegistry? _registry2;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_VNIs_coexist_each_keeps_its_own_entries_and_both_connect()
    {
        _lab = await VxlanLab.StartAsync(true, false, "{\"Type\":\"vxlan\"}", new LabOptions { Nodes = 2, IPv6 = false }, network: "198.19.0.0/17");
        _registry2 = new InMemorySubnetRegistry(VxlanLab.Config(true, false, "{\"Type\":\"vxlan\",\"VNI\":2,\"Port\":4790}", "198.19.128.0/17"));
        var pods2 = new List<IPAddress>();
        foreach (LabAgent agent in _lab.Agents)
        {
            LabNode node = agent.Node;
            NetworkConfig config = await _registry2.GetNetworkConfigAsync(Ct);
            ExternalInterface external;
            using (NetlinkClient netlink = NetlinkClient.Open(node.NetlinkOptions))
            {
                external = await ExternalInterfaceDiscovery.DiscoverAsync(netlink, new ExternalInterfaceOptions(), true, false, Ct);
            }

            IOverlayNetwork network = await new VxlanBackend().RegisterNetworkAsync(new NetworkRegistration(config, external, _registry2) { NetlinkOptions = node.NetlinkOptions }, Ct);
            var stop = new CancellationTokenSource();
            _second.Add((network, stop, Task.Run(() => network.RunAsync(stop.Token), CancellationToken.None)));
            IPAddress pod = new(network.Lease.Subnet!.Value.BaseAddress.GetAddressBytes().Select((b, i) => i == 3 ? (byte)(b + 1) : b).ToArray());
            pods2.Add(pod);
            await node.IpAsync("link", "add", "cni1", "type", "bridge");
            await node.IpAsync("link", "set", "cni1", "up");
            await node.IpAsync("addr", "add", $"{pod}/{network.Lease.Subnet!.Value.PrefixLength}", "dev", "cni1");
        }

        foreach (var (network, _, _) in _second)
        {
            await Privileged.EventuallyAsync(() => Task.FromResult(network.Peers.Count == 1 && network.Peers[0].IsHealthy), "the VNI 2 peer is programmed");
        }

        LabNode a = _lab.Agents[0].Node, b = _lab.Agents[1].Node;
        Assert.True(await a.PingUntilAsync(b.PodAddress!, a.PodAddress, cancellationToken: Ct) is not null, "VNI 1");
        Assert.True(await a.PingUntilAsync(pods2[1], pods2[0], cancellationToken: Ct) is not null, "VNI 2");
        Assert.True(await b.PingUntilAsync(pods2[0], pods2[1], cancellationToken: Ct) is not null, "VNI 2 back");

        // Each device carries its own peer only, and neither network removed the other's routes.
        JsonElement link2 = await VxlanLab.LinkAsync(a, "flannel.2");
        Assert.Equal(2, link2.GetProperty("linkinfo").GetProperty("info_data").GetProperty("id").GetInt32());
        Assert.Equal(4790, link2.GetProperty("linkinfo").GetProperty("info_data").GetProperty("port").GetInt32());
        Assert.Single(await VxlanLab.FdbAsync(a, "flannel.1"), f => f.TryGetProperty("dst", out _));
        Assert.Single(await VxlanLab.FdbAsync(a, "flannel.2"), f => f.TryGetProperty("dst", out _));
        IReadOnlyList<JsonElement> routes = await Privileged.RoutesAsync(a);
        Assert.Contains(routes, r => r.Str("dst") == _lab.Agents[1].Network.Lease.Subnet.ToString() && r.Str("dev") == "flannel.1");
        Assert.Contains(routes, r => r.Str("dst") == _second[1].Network.Lease.Subnet.ToString() && r.Str("dev") == "flannel.2");
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var (network, stop, run) in _second)
        {
            await stop.CancelAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
            }

            await network.DisposeAsync();
            stop.Dispose();
        }

        _registry2?.Dispose();
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
