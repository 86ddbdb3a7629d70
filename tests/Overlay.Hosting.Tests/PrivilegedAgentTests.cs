using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Overlay.Backends;
using Overlay.Backends.HostGw;
using Overlay.Lab;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.Hosting.Tests;

/// <summary>The hosted agent (generic host) on three lab nodes: subnet.env, /healthz, /readyz,
/// peer routes and blackhole routes, checked with iproute2 as the oracle.</summary>
[Trait("Category", Privileged.Category)]
public sealed class PrivilegedAgentTests
{
    private const int Port = 8081;

    [Fact]
    public async Task Three_lab_nodes_run_the_hosted_agent_with_flannels_subnet_env_and_health_endpoints()
    {
        Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 3, IPv6 = true }, ct);
        using var dir = new TempDirectory();
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(
            """{"Network":"198.19.0.0/16","IPv6Network":"2001:db8:19::/48","EnableIPv6":true,"Backend":{"Type":"host-gw"}}"""));
        var hosts = new List<(LabNode Node, IHost Host, string SubnetFile)>();
        try
        {
            foreach (LabNode node in lab.Nodes)
            {
                string subnetFile = Path.Combine(dir.Path, node.Namespace, "subnet.env");
                HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
                builder.Services.AddLogging();
                builder.Services.AddOverlay(o =>
                    {
                        o.SubnetFilePath = subnetFile;
                        o.HealthzPort = Port;
                        o.IPBlackholeRoute = true;
                        o.NetworkNamespace = node.Namespace;
                    })
                    .UseSubnetRegistry(registry)
                    .AddHostGwBackend();
                IHost host = builder.Build();
                hosts.Add((node, host, subnetFile));
                await host.StartAsync(ct);
            }

            foreach (var (_, host, _) in hosts)
            {
                await host.Services.GetRequiredService<OverlayAgent>().Ready.WaitAsync(TimeSpan.FromSeconds(60), ct);
            }

            await Privileged.EventuallyAsync(
                () => Task.FromResult(hosts.All(h => h.Host.Services.GetRequiredService<OverlayAgent>().Network?.Peers.Count(p => p.Mode == PeerMode.Direct) == 2)),
                () => "every node programs its two peers: " + string.Join("; ", hosts.Select(h => h.Node.Namespace + ": "
                    + string.Join(", ", h.Host.Services.GetRequiredService<OverlayAgent>().Network?.Peers.Select(p => $"{p.Key} {p.Mode} {p.Reason} {p.LastError}") ?? []))));

            foreach (var (node, host, subnetFile) in hosts)
            {
                OverlayAgent agent = host.Services.GetRequiredService<OverlayAgent>();
                Lease lease = agent.Lease!;
                Assert.True(agent.IsReady);

                // subnet.env: flannel's variables, in flannel's order, first host addresses, MTU of eth0.
                string expected = "FLANNEL_NETWORK=198.19.0.0/16\n"
                    + $"FLANNEL_SUBNET={SampleAgent.FirstHost(lease.Subnet!.Value)}\n"
                    + "FLANNEL_IPV6_NETWORK=2001:db8:19::/48\n"
                    + $"FLANNEL_IPV6_SUBNET={SampleAgent.FirstHost(lease.IPv6Subnet!.Value)}\n"
                    + "FLANNEL_MTU=1500\n"
                    + "FLANNEL_IPMASQ=false\n";
                Assert.Equal(expected, await File.ReadAllTextAsync(subnetFile, ct));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(subnetFile));

                // Health endpoints inside the node's namespace, on 127.0.0.1.
                Assert.Equal("HTTP/1.1 200 OK|flanneld is running", await SampleAgent.HttpGetInNodeAsync(node, Port, "/healthz"));
                Assert.Equal("HTTP/1.1 200 OK|flanneld is ready", await SampleAgent.HttpGetInNodeAsync(node, Port, "/readyz"));

                // Peer routes (host-gw, protocol 111) and the own blackhole routes (protocol 112, high metric).
                foreach (var (peerNode, peerHost, _) in hosts.Where(h => h.Node != node))
                {
                    Lease peer = peerHost.Services.GetRequiredService<OverlayAgent>().Lease!;
                    var routes = await Privileged.RoutesAsync(node, ipv6: false);
                    Assert.Contains(routes, r => r.Str("dst") == peer.Subnet.ToString() && r.Str("gateway") == peerNode.Underlay.ToString() && r.Str("protocol") == "111");
                }

                foreach (bool v6 in new[] { false, true })
                {
                    string own = (v6 ? lease.IPv6Subnet : lease.Subnet).ToString()!;
                    await Privileged.EventuallyAsync(async () =>
                        (await Privileged.RoutesAsync(node, v6, "type", "blackhole")).Any(r => r.Str("dst") == own && r.Str("protocol") == "112"),
                        $"blackhole route {own} in {node.Namespace}");
                }
            }

            // Lease loss on node 1: the agent re-acquires the same subnet, registers again, rewrites
            // subnet.env and is ready again; its peers keep (or restore) their routes to it.
            var (lossNode, lossHost, lossFile) = hosts[0];
            OverlayAgent lossAgent = lossHost.Services.GetRequiredService<OverlayAgent>();
            Lease before = lossAgent.Lease!;
            string beforeContent = await File.ReadAllTextAsync(lossFile, ct);
            var readyAgain = new TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously);
            lossAgent.NetworkReady += (_, e) => readyAgain.TrySetResult(e.Lease);
            File.Delete(lossFile);
            await registry.ReleaseLeaseAsync(before, ct);
            Lease again = await readyAgain.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            Assert.Equal(before.Subnet, again.Subnet);
            Assert.Equal(beforeContent, await File.ReadAllTextAsync(lossFile, ct));
            Assert.Equal("HTTP/1.1 200 OK|flanneld is ready", await SampleAgent.HttpGetInNodeAsync(lossNode, Port, "/readyz"));
            Assert.False(lossAgent.Completion.IsCompleted);
            foreach (var (peerNode, _, _) in hosts.Skip(1))
            {
                await Privileged.EventuallyAsync(async () => (await Privileged.RoutesAsync(peerNode, ipv6: false))
                    .Any(r => r.Str("dst") == again.Subnet.ToString() && r.Str("gateway") == lossNode.Underlay.ToString()),
                    $"{peerNode.Namespace} routes to the re-acquired subnet");
            }

            // Stopping keeps the lease (flannel) and leaves the routes in place.
            foreach (var (_, host, _) in hosts)
            {
                await host.StopAsync(ct);
            }

            Assert.Equal(3, (await registry.GetLeasesAsync(ct)).Count);
            var after = await Privileged.RoutesAsync(hosts[0].Node, ipv6: false);
            Assert.Equal(2, after.Count(r => r.Str("protocol") == "111"));
            await Assert.ThrowsAnyAsync<Exception>(() => SampleAgent.HttpGetInNodeAsync(hosts[0].Node, Port, "/healthz")); // the health server is gone
        }
        finally
        {
            foreach (var (_, host, _) in hosts)
            {
                await host.StopAsync(CancellationToken.None);
                host.Dispose();
            }
        }
    }
}

/// <summary>The sample's `run` command on a lab node and its `demo` command, as separate processes.</summary>
[Trait("Category", Privileged.Category)]
public sealed class PrivilegedSampleTests
{
    [Fact]
    public async Task Run_on_a_lab_node_writes_subnet_env_answers_healthz_and_stops_cleanly_on_SIGTERM()
    {
        Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }, ct);
        LabNode node = lab.Nodes[0];
        using var dir = new TempDirectory();
        string netConf = Path.Combine(dir.Path, "net-conf.json");
        string subnetFile = Path.Combine(dir.Path, "flannel", "subnet.env");
        string ignored = Path.Combine(dir.Path, "from-environment.env");
        await File.WriteAllTextAsync(netConf, """{"Network":"198.19.0.0/16","Backend":{"Type":"host-gw"}}""", ct);

        // --subnet-file on the command line wins over FLANNELD_SUBNET_FILE; FLANNELD_HEALTHZ_PORT fills the missing flag.
        using var agent = new RunningProcess("ip",
            ["netns", "exec", node.Namespace, SampleAgent.DotnetHost, SampleAgent.Dll, "run", "--net-config-path", netConf, "--subnet-file", subnetFile, "--iface", "eth0"],
            new Dictionary<string, string> { ["FLANNELD_HEALTHZ_PORT"] = "8081", ["FLANNELD_SUBNET_FILE"] = ignored, ["FLANNELD_IP_BLACKHOLE_ROUTE"] = "true" });

        await Privileged.EventuallyAsync(() => Task.FromResult(File.Exists(subnetFile) || agent.Process.HasExited), "the subnet file is written");
        Assert.False(agent.Process.HasExited, agent.Stderr);
        string content = await File.ReadAllTextAsync(subnetFile, ct);
        Assert.Matches(@"^FLANNEL_NETWORK=198\.19\.0\.0/16\nFLANNEL_SUBNET=198\.19\.\d+\.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=false\n$", content);
        Assert.False(File.Exists(ignored));
        Assert.Equal("HTTP/1.1 200 OK|flanneld is running", await SampleAgent.HttpGetInNodeAsync(node, 8081, "/healthz"));
        await Privileged.EventuallyAsync(async () => await SampleAgent.HttpGetInNodeAsync(node, 8081, "/readyz") == "HTTP/1.1 200 OK|flanneld is ready", "/readyz answers ready");
        string subnet = content.Split('\n')[1]["FLANNEL_SUBNET=".Length..].Replace(".1/24", ".0/24", StringComparison.Ordinal);
        await Privileged.EventuallyAsync(async () =>
            (await Privileged.RoutesAsync(node, false, "type", "blackhole")).Any(r => r.Str("dst") == subnet),
            "FLANNELD_IP_BLACKHOLE_ROUTE=true adds the blackhole route");

        await Shell.RunAsync("kill", ["-TERM", agent.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken: ct);

        int exit = await agent.WaitAsync(60);
        Assert.True(exit == 0, $"exit {exit}; stderr:\n{agent.Stderr}");
        Assert.Contains("Exiting cleanly", agent.Stderr, StringComparison.Ordinal);
        Assert.Contains("Ready: lease", agent.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_that_cannot_start_exits_1_with_the_reason()
    {
        Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }, ct);
        using var dir = new TempDirectory();
        string netConf = Path.Combine(dir.Path, "net-conf.json");
        await File.WriteAllTextAsync(netConf, """{"Network":"198.19.0.0/16","Backend":{"Type":"host-gw"}}""", ct);
        using var run = new RunningProcess("ip",
            ["netns", "exec", lab.Nodes[0].Namespace, SampleAgent.DotnetHost, SampleAgent.Dll, "run", "--net-config-path", netConf, "--subnet-file", Path.Combine(dir.Path, "subnet.env"), "--iface", "nosuch0"]);

        Assert.Equal(1, await run.WaitAsync(60));
        Assert.Contains("the agent failed: No interface matches: tried name nosuch0", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "subnet.env")));
    }

    [Fact]
    public async Task Run_with_an_out_of_range_renew_margin_exits_1_with_flannels_message()
    {
        Privileged.Require();
        using var run = new RunningProcess(SampleAgent.DotnetHost, [SampleAgent.Dll, "run", "--subnet-lease-renew-margin", "1440"]);
        Assert.Equal(1, await run.WaitAsync(60));
        Assert.Contains("Invalid subnet-lease-renew-margin option, out of acceptable range", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Demo_with_host_gw_exits_0_and_leaves_no_namespace_behind(bool ipv6)
    {
        Privileged.Require();
        using var demo = new RunningProcess(SampleAgent.DotnetHost, ipv6 ? [SampleAgent.Dll, "demo", "--backend", "host-gw", "--ipv6"] : [SampleAgent.Dll, "demo", "--backend", "host-gw"]);
        int exit = await demo.WaitAsync(300);

        Assert.True(exit == 0, $"exit {exit}\nstdout:\n{demo.Stdout}\nstderr:\n{demo.Stderr}");
        Assert.Contains("Result: PASS", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains(ipv6 ? "12 of 12 echo requests answered" : "6 of 6 echo requests answered", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("direct", demo.Stdout, StringComparison.Ordinal);
        Assert.Empty(LeftoverNamespaces(demo.Process.Id));
    }

    [Fact]
    public async Task Demo_with_ip_masq_shows_the_outside_host_seeing_each_nodes_address()
    {
        Privileged.Require();
        using var demo = new RunningProcess(SampleAgent.DotnetHost, [SampleAgent.Dll, "demo", "--ip-masq", "--ipv6", "--nodes", "2"]);
        int exit = await demo.WaitAsync(300);

        Assert.True(exit == 0, $"exit {exit}\nstdout:\n{demo.Stdout}\nstderr:\n{demo.Stderr}");
        Assert.Contains("\"EnableNFTables\":true", demo.Stdout, StringComparison.Ordinal);
        foreach (string line in new[] { "the outside host saw 198.18.1.1 (the node's address: masqueraded), reply received", "the outside host saw 198.18.1.2 (the node's address: masqueraded)", "the outside host saw 2001:db8:18:1::1 (the node's address: masqueraded)", "the outside host saw 2001:db8:18:1::2 (the node's address: masqueraded)" })
        {
            Assert.Contains(line, demo.Stdout, StringComparison.Ordinal);
        }

        Assert.Contains("Result: PASS", demo.Stdout, StringComparison.Ordinal);
        Assert.Empty(LeftoverNamespaces(demo.Process.Id));
    }

    [Fact]
    public async Task Demo_with_aws_vpc_routes_every_pod_pair_through_the_router_by_the_doubles_route_table()
    {
        Privileged.Require();
        using var demo = new RunningProcess(SampleAgent.DotnetHost, [SampleAgent.Dll, "demo", "--backend", "aws-vpc", "--nodes", "3"]);
        int exit = await demo.WaitAsync(300);

        Assert.True(exit == 0, $"exit {exit}\nstdout:\n{demo.Stdout}\nstderr:\n{demo.Stderr}");
        Assert.Contains("Result: PASS", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("6 of 6 echo requests answered", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("cloudroute  routed: rtb-1 -> eni-", demo.Stdout, StringComparison.Ordinal);
        // One route per node and one source/destination-check change per node; nothing deleted or replaced.
        Assert.Contains("ModifyNetworkInterfaceAttribute 3, CreateRoute 3); writes 6", demo.Stdout, StringComparison.Ordinal);
        Assert.Empty(LeftoverNamespaces(demo.Process.Id));
    }

    [Fact]
    public async Task Demo_with_alloc_checks_distinct_leases_and_says_connectivity_is_not_part_of_it()
    {
        Privileged.Require();
        using var demo = new RunningProcess(SampleAgent.DotnetHost, [SampleAgent.Dll, "demo", "--backend", "alloc", "--nodes", "4"]);
        int exit = await demo.WaitAsync(300);

        Assert.True(exit == 0, $"exit {exit}\nstdout:\n{demo.Stdout}\nstderr:\n{demo.Stderr}");
        Assert.Contains("Every node holds a distinct lease: yes", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("Connectivity is not part of the alloc backend", demo.Stdout, StringComparison.Ordinal);
        Assert.Empty(LeftoverNamespaces(demo.Process.Id));
    }

    [Fact]
    public async Task Demo_with_an_unknown_backend_lists_the_registered_ones()
    {
        Privileged.Require();
        using var demo = new RunningProcess(SampleAgent.DotnetHost, [SampleAgent.Dll, "demo", "--backend", "ipsec"]);
        Assert.Equal(2, await demo.WaitAsync(60));
        Assert.Contains("unknown backend 'ipsec'; registered: alloc, aws-vpc, host-gw", demo.Stderr, StringComparison.Ordinal);
        Assert.Empty(LeftoverNamespaces(demo.Process.Id));
    }

    [Fact]
    public async Task Demo_as_a_non_root_user_exits_non_zero_saying_root_is_needed()
    {
        Privileged.Require(); // to switch to nobody

        // nobody cannot read the build output where the clone may live (a directory only root can enter): run a copy.
        string copy = SampleAgent.CopyForOtherUsers();
        try
        {
            using var demo = new RunningProcess("setpriv",
                ["--reuid=nobody", "--regid=nogroup", "--clear-groups", SampleAgent.DotnetHost, Path.Combine(copy, Path.GetFileName(SampleAgent.Dll)), "demo"],
                new Dictionary<string, string> { ["HOME"] = "/tmp", ["DOTNET_CLI_HOME"] = "/tmp" });
            int exit = await demo.WaitAsync(60);

            Assert.NotEqual(0, exit);
            Assert.Contains("needs root", demo.Stderr, StringComparison.Ordinal);
            Assert.Empty(LeftoverNamespaces(demo.Process.Id));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static string[] LeftoverNamespaces(int pid) =>
        Directory.Exists("/run/netns")
            ? [.. Directory.GetFiles("/run/netns").Select(Path.GetFileName).Where(n => n!.StartsWith($"ovl-{pid}-", StringComparison.Ordinal)).Select(n => n!)]
            : [];
}
