using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Overlay.Backends;
using Overlay.Hosting;
using Overlay.Lab;
using Overlay.Subnets.Kubernetes.Tests.Support;
using Overlay.Testing;

namespace Overlay.Subnets.Kubernetes.Tests;

/// <summary>Three vxlan agents on the Kubernetes registry in a namespace lab, against the API
/// server double; kubectl and iproute2 as the checkers.</summary>
[Trait("Category", "Privileged")]
public sealed class KubeLabTests : KubeTestBase
{
    [Fact]
    public async Task PodsOfThreeVxlanNodesReachEachOtherAndADeletedNodesRoutesAreRemoved()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "needs root (CAP_NET_ADMIN) to create network namespaces");
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 3, IPv6 = false }, ct);
        NetworkConfig config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","Backend":{"Type":"vxlan"}}""");
        var services = new ServiceCollection();
        services.AddOverlayBackends().AddVxlanBackend();
        await using ServiceProvider provider = services.BuildServiceProvider();
        BackendRegistry backends = provider.GetRequiredService<BackendRegistry>();
        foreach (LabNode node in lab.Nodes)
        {
            Server.AddNode(node.Name, [$"198.19.{node.Host}.0/24"], new Dictionary<string, string> { ["node.alpha.kubernetes.io/ttl"] = "0" });
        }

        string state = Directory.CreateTempSubdirectory("ovl-kube-lab-").FullName;
        var agents = new List<OverlayAgent>();
        try
        {
            foreach (LabNode node in lab.Nodes)
            {
                agents.Add(await node.StartOverlayAgentAsync(CreateRegistry(node.Name, config), backends, node.CreateAgentOptions(state), cancellationToken: ct));
            }

            await WaitForAsync(() => agents.All(a => a.Network is { } n && n.Peers.Count == 2 && n.Peers.All(p => p.LastError is null)));

            // What the agents published, read with kubectl: flannel's annotations with each node's VTEP MAC.
            JsonElement nodes = JsonDocument.Parse(await Kubectl.RunAsync("get", "nodes", "-o", "json")).RootElement;
            foreach (JsonElement node in nodes.GetProperty("items").EnumerateArray())
            {
                JsonElement annotations = node.GetProperty("metadata").GetProperty("annotations");
                Assert.Equal("true", annotations.GetProperty(Prefix + "kube-subnet-manager").GetString());
                Assert.Equal("vxlan", annotations.GetProperty(Prefix + "backend-type").GetString());
                Assert.StartsWith("{\"VNI\":1,\"VtepMAC\":\"", annotations.GetProperty(Prefix + "backend-data").GetString(), StringComparison.Ordinal);
            }

            foreach (LabNode a in lab.Nodes)
            {
                foreach (LabNode b in lab.Nodes.Where(n => n != a))
                {
                    Assert.True(await a.PingUntilAsync(b.PodAddress!, a.PodAddress, attempts: 5, timeout: TimeSpan.FromSeconds(1), ct) is not null,
                        $"{a.Name} pod {a.PodAddress} -> {b.Name} pod {b.PodAddress}");
                }
            }

            LabNode gone = lab.Nodes[2];
            string goneSubnet = $"198.19.{gone.Host}.0/24";
            foreach (LabNode other in lab.Nodes.Take(2))
            {
                Assert.Contains(goneSubnet, await other.IpAsync("-4", "route", "show", "table", "main"), StringComparison.Ordinal);
            }

            await Kubectl.RunAsync("delete", "node", gone.Name);
            foreach (LabNode other in lab.Nodes.Take(2))
            {
                DateTime deadline = DateTime.UtcNow.AddSeconds(30); // a hang guard
                while ((await other.IpAsync("-4", "route", "show", "table", "main")).Contains(goneSubnet, StringComparison.Ordinal))
                {
                    Assert.True(DateTime.UtcNow < deadline, $"the route to {goneSubnet} is still on {other.Name}");
                    await Task.Delay(50, ct);
                }
            }

            Assert.True(await lab.Nodes[0].PingUntilAsync(lab.Nodes[1].PodAddress!, lab.Nodes[0].PodAddress, attempts: 5, timeout: TimeSpan.FromSeconds(1), ct) is not null);
        }
        finally
        {
            foreach (OverlayAgent agent in agents)
            {
                await agent.DisposeAsync();
            }

            Directory.Delete(state, recursive: true);
        }
    }
}
