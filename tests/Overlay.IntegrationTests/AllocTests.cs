using Overlay.Backends.Alloc;
using Overlay.Lab;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

[Trait("Category", Privileged.Category)]
public sealed class AllocTests
{
    [Fact]
    public async Task Three_nodes_get_distinct_leases_and_no_route_is_installed()
    {
        Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions(), ct);
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"198.19.0.0/16","Backend":{"Type":"alloc"}}"""));
        var agents = new List<LabAgent>();
        try
        {
            var before = new Dictionary<string, int>();
            foreach (LabNode node in lab.Nodes)
            {
                before[node.Namespace] = (await Privileged.RoutesAsync(node)).Count;
                agents.Add(await LabAgent.StartAsync(node, registry, new AllocBackend(), cancellationToken: ct));
            }

            Assert.Equal(3, agents.Select(a => a.Network.Lease.Subnet).Distinct().Count());
            Assert.All(agents, a => Assert.Empty(a.Network.Peers));
            Assert.All(agents, a => Assert.Equal(string.Empty, a.Network.Lease.Attributes.BackendType ?? string.Empty));
            foreach (LabAgent agent in agents)
            {
                var routes = await Privileged.RoutesAsync(agent.Node);
                Assert.DoesNotContain(routes, r => r.Str("protocol") == "111");
                Assert.Equal(before[agent.Node.Namespace] + 1, routes.Count); // only the pod bridge's connected route
                Assert.True(agent.Network.Mtu > 0);
            }
        }
        finally
        {
            foreach (LabAgent agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }
}
