using System.Globalization;
using System.Text.RegularExpressions;
using Overlay.Backends;
using Overlay.Backends.HostGw;
using Overlay.Lab;
using Overlay.Subnets;
using Overlay.Subnets.Etcd;
using Overlay.Testing;

namespace Overlay.Hosting.Tests;

/// <summary>
/// Three in-process agents in a namespace lab, each with its own <see cref="EtcdSubnetRegistry"/>
/// against one private etcd on 127.0.0.1 (the registry clients run in the host namespace; the
/// agents program their nodes' namespaces): an etcd outage never touches the data plane, and the
/// control plane (renewals, watches) resumes afterwards.
/// </summary>
[Trait("Category", Privileged.Category)]
public sealed class EtcdLabFaultTests
{
    [Fact]
    public async Task Etcd_stopped_for_20_s_loses_no_ping_and_renewals_and_watches_resume()
    {
        Privileged.Require();
        Privileged.RequireEtcd();

        CancellationToken ct = TestContext.Current.CancellationToken;
        await using EtcdServer etcd = await EtcdServer.StartAsync(cancellationToken: ct);
        const string Prefix = "/ovl-fault/network";
        await etcd.PutAsync(Prefix + "/config", """{"Network":"198.19.0.0/16","Backend":{"Type":"host-gw"}}""");
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 3, IPv6 = false }, ct);
        using var dir = new TempDirectory();
        BackendRegistry backends = new BackendRegistry().Add(new HostGwBackend());
        var agents = new List<(LabNode Node, EtcdSubnetRegistry Registry, OverlayAgent Agent)>();
        try
        {
            foreach (LabNode node in lab.Nodes)
            {
                // A 90 s etcd lease with the minimum renew margin (1 min): a renewal every ~30 s, so one is due after the outage.
                var registry = new EtcdSubnetRegistry(new EtcdSubnetRegistryOptions { Endpoints = [etcd.Endpoint], Prefix = Prefix, LeaseTtl = TimeSpan.FromSeconds(90) });
                var agent = new OverlayAgent(registry, backends, new OverlayAgentOptions
                {
                    SubnetFilePath = Path.Combine(dir.Path, node.Namespace, "subnet.env"),
                    SubnetLeaseRenewMargin = TimeSpan.FromMinutes(1),
                    NetworkNamespace = node.Namespace,
                });
                agents.Add((node, registry, agent));
                await agent.StartAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
                await node.AddPodBridgeAsync(agent.Lease!, ct);
            }

            await Privileged.EventuallyAsync(() => Task.FromResult(agents.All(a => a.Agent.Network?.Peers.Count(p => p.LastError is null) == 2)),
                () => "every node programs its two peers: " + Describe(agents));

            LabNode from = agents[0].Node, to = agents[1].Node;

            // 400 echo requests at 10/s (40 s) cover the outage (20 s) and etcd's restart.
            using var ping = new RunningProcess("ip",
                ["netns", "exec", from.Namespace, "ping", "-n", "-i", "0.1", "-c", "400", "-I", from.PodAddress!.ToString(), to.PodAddress!.ToString()]);
            await Privileged.EventuallyAsync(() => Task.FromResult(ping.Stdout.Contains("icmp_seq=5 ", StringComparison.Ordinal) || ping.Process.HasExited),
                () => "the ping runs: " + ping.Stdout + ping.Stderr);

            await etcd.RestartAsync(TimeSpan.FromSeconds(20), ct);

            // A renewal grants a new etcd lease and re-puts the key: note each key's etcd lease now.
            string[] keys = [.. agents.Select(a => a.Registry.GetLeaseKey(a.Agent.Lease!))];
            long[] before = new long[keys.Length];
            for (int i = 0; i < keys.Length; i++)
            {
                before[i] = (await etcd.GetAsync(keys[i]))?.Lease ?? 0;
                Assert.NotEqual(0, before[i]);
            }

            int exit = await ping.WaitAsync(180);
            Match stats = Regex.Match(ping.Stdout, @"(\d+) packets transmitted, (\d+) received");
            Assert.True(exit == 0 && stats.Success, $"ping exit {exit}:\n{ping.Stdout}\n{ping.Stderr}");
            Assert.Equal("400", stats.Groups[1].Value);
            Assert.True(stats.Groups[2].Value == "400", $"replies lost during the etcd outage:\n{stats.Value}");

            // Renewals resume: every key gets a new etcd lease after the restart.
            for (int i = 0; i < keys.Length; i++)
            {
                string key = keys[i];
                long old = before[i];
                await Privileged.EventuallyAsync(async () => (await etcd.GetAsync(key))?.Lease is { } now && now != 0 && now != old,
                    $"{key} is renewed after etcd returned (etcd lease {old:x} replaced)", 180);
            }

            // Watches resume: a lease written after the restart reaches every node.
            const string NewKey = "198.19.250.0-24";
            await etcd.PutAsync($"{Prefix}/subnets/{NewKey}", """{"PublicIP":"198.18.1.99","PublicIPv6":null,"BackendType":"host-gw"}""");
            await Privileged.EventuallyAsync(() => Task.FromResult(agents.All(a => a.Agent.Network?.Peers.Any(p => p.Key == NewKey) == true)),
                () => "the new lease reaches every node: " + Describe(agents), 120);
            foreach (var (node, _, _) in agents)
            {
                Assert.Contains(await Privileged.RoutesAsync(node, false, "198.19.250.0/24"), r => r.Str("gateway") == "198.18.1.99");
            }
        }
        finally
        {
            foreach (var (_, registry, agent) in agents)
            {
                await agent.DisposeAsync();
                registry.Dispose();
            }
        }
    }

    private static string Describe(List<(LabNode Node, EtcdSubnetRegistry Registry, OverlayAgent Agent)> agents) =>
        string.Join("; ", agents.Select(a => a.Node.Namespace + ": " + string.Join(", ",
            a.Agent.Network?.Peers.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Mode} {p.Reason} {p.LastError}")) ?? [])));
}
