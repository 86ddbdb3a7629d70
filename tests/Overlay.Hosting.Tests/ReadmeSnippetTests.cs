using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Overlay.Backends;
using Overlay.Lab;
using Overlay.Subnets.Etcd;
using Overlay.Testing;

namespace Overlay.Hosting.Tests;

/// <summary>
/// The vxlan README's "vxlan node on etcd" method, compiled here as it stands there (a test keeps the
/// two texts equal) and run as a two-node cluster: a lab of two namespaces, one private etcd on
/// 127.0.0.1, one host per node built by the snippet; pods of each node answer the other.
/// </summary>
public sealed class ReadmeSnippetTests
{
    private static string ThisFile => Path.Combine(Snippets.RepositoryRoot(), "tests", "Overlay.Hosting.Tests", "ReadmeSnippetTests.cs");

    // snippet: vxlan-node-on-etcd
    static IHost BuildVxlanNodeOnEtcd(string[] etcdEndpoints, string subnetFile, string? networkNamespace = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddEtcdSubnetRegistry(o => o.Endpoints = etcdEndpoints);
        builder.Services.AddOverlay(o =>
            {
                o.SubnetFilePath = subnetFile;                        // /run/flannel/subnet.env on a real node
                o.NetworkNamespace = networkNamespace;                // a name (ip netns) or path; null: the host's network
            })
            .AddVxlanBackend();
        return builder.Build();
    }
    // end snippet

    [Theory]
    [InlineData("Overlay.Backends.Vxlan")]
    [InlineData("Overlay.Hosting")]
    public void The_readme_shows_the_method_this_test_compiles(string package)
    {
        string readme = Path.Combine(Snippets.RepositoryRoot(), "src", package, "README.md");
        Assert.Equal(Snippets.FromSource(ThisFile, "vxlan-node-on-etcd"), Snippets.FromMarkdown(readme, "vxlan-node-on-etcd"));
    }

    [Fact]
    [Trait("Category", Privileged.Category)]
    public async Task The_readme_vxlan_node_on_etcd_runs_two_nodes_whose_pods_answer_each_other()
    {
        Privileged.Require();
        Privileged.RequireEtcd();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using EtcdServer etcd = await EtcdServer.StartAsync(cancellationToken: ct);
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 2, IPv6 = false }, ct);
        using var dir = new TempDirectory();
        var hosts = new List<IHost>();
        try
        {
            foreach (LabNode node in lab.Nodes)
            {
                IHost host = BuildVxlanNodeOnEtcd([etcd.Endpoint], Path.Combine(dir.Path, node.Name, "subnet.env"), node.Namespace);
                hosts.Add(host);
                if (hosts.Count == 1)
                {
                    // Seeding the configuration through the registry the snippet registered (flanneld's <prefix>/config).
                    EtcdSubnetRegistry registry = host.Services.GetRequiredService<EtcdSubnetRegistry>();
                    Assert.True(await registry.SetNetworkConfigAsync("""{"Network":"198.19.0.0/16","Backend":{"Type":"vxlan"}}""", cancellationToken: ct));
                }

                await host.StartAsync(ct);
                OverlayAgent agent = host.Services.GetRequiredService<OverlayAgent>();
                await agent.Ready.WaitAsync(TimeSpan.FromSeconds(60), ct);
                await node.AddPodBridgeAsync(agent.Lease!, ct);
            }

            OverlayAgent[] agents = [.. hosts.Select(h => h.Services.GetRequiredService<OverlayAgent>())];
            await Privileged.EventuallyAsync(() => Task.FromResult(agents.All(a => a.Peers.Count == 1 && a.Peers[0].IsHealthy && a.Peers[0].Mode == PeerMode.Vxlan)),
                () => "each node programs the other: " + string.Join("; ", agents.Select(a => string.Join(", ", a.Peers))));
            LabNode first = lab.Nodes[0], second = lab.Nodes[1];
            Assert.True(await first.PingUntilAsync(second.PodAddress!, first.PodAddress, cancellationToken: ct) is not null, "node 1's pod reaches node 2's");
            Assert.True(await second.PingUntilAsync(first.PodAddress!, second.PodAddress, cancellationToken: ct) is not null, "node 2's pod reaches node 1's");
        }
        finally
        {
            foreach (IHost host in hosts)
            {
                await host.StopAsync(CancellationToken.None);
                host.Dispose();
            }
        }
    }
}
