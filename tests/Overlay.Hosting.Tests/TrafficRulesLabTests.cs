using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Overlay.Backends;
using Overlay.Backends.Vxlan;
using Overlay.Lab;
using Overlay.Netlink;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.Hosting.Tests;

/// <summary>
/// Traffic rules on lab nodes running the agent (vxlan), checked with the nft tool and by what an
/// outside host and a peer node actually receive. Pods are the nodes' cni0 addresses (as elsewhere
/// in the lab), so their traffic is locally generated and passes POSTROUTING like a pod's.
/// </summary>
[Trait("Category", Privileged.Category)]
public sealed class TrafficRulesLabTests
{
    private const string NetConf = """{"Network":"198.19.0.0/16","IPv6Network":"2001:db8:19::/48","EnableIPv6":true,"EnableNFTables":true,"Backend":{"Type":"vxlan"}}""";

    [Fact]
    public async Task With_ip_masq_a_pod_reaches_the_outside_host_as_its_node_and_other_pods_as_itself_and_marked_traffic_is_left_alone()
    {
        Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 2, IPv6 = true }, ct);
        await using LabOutsideHost outside = await lab.AddOutsideHostAsync(ct);
        using var dir = new TempDirectory();
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(NetConf));
        var agents = new List<OverlayAgent>();
        try
        {
            foreach (LabNode node in lab.Nodes)
            {
                OverlayAgentOptions o = node.CreateAgentOptions(dir.Path);
                o.IPMasq = true;
                o.IPTablesForwardRules = true;
                agents.Add(await node.StartOverlayAgentAsync(registry, new BackendRegistry().Add(new VxlanBackend()), o, cancellationToken: ct));
            }

            LabNode n1 = lab.Nodes[0], n2 = lab.Nodes[1];
            Lease lease1 = agents[0].Lease!;

            // subnet.env tells the truth.
            Assert.Contains("FLANNEL_IPMASQ=true\n", await File.ReadAllTextAsync(Path.Combine(dir.Path, n1.Name, "subnet.env"), ct), StringComparison.Ordinal);

            // flannel's golden output (spec §7.7) for this node's networks, printed by nft itself.
            string postrtg = await NftAsync(n1, "list", "chain", "ip", "flannel-ipv4", "postrtg");
            string pod = lease1.Subnet!.Value.ToString();
            AssertLinesInOrder(postrtg,
                "comment \"chain to manage traffic masquerading by flannel\"",
                "type nat hook postrouting priority srcnat; policy accept;",
                "meta mark 0x00004000 return",
                $"ip saddr {pod} ip daddr 198.19.0.0/16 return",
                $"ip saddr 198.19.0.0/16 ip daddr {pod} return",
                $"ip saddr != {pod} ip daddr 198.19.0.0/16 return",
                "ip saddr 198.19.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random",
                "ip saddr != 198.19.0.0/16 ip daddr 198.19.0.0/16 masquerade fully-random");
            AssertLinesInOrder(await NftAsync(n1, "list", "chain", "ip", "flannel-ipv4", "forward"),
                "type filter hook forward priority filter; policy accept;",
                "ip saddr 198.19.0.0/16 accept",
                "ip daddr 198.19.0.0/16 accept");
            AssertLinesInOrder(await NftAsync(n1, "list", "chain", "ip6", "flannel-ipv6", "postrtg"),
                "type nat hook postrouting priority srcnat; policy accept;",
                "ip6 saddr 2001:db8:19::/48 ip6 daddr != ff00::/8 masquerade fully-random");

            // Pod -> outside host: seen with the node's address, and the reply finds its way back.
            Assert.NotNull(await n1.PingUntilAsync(outside.Address, n1.PodAddress, cancellationToken: ct));
            Assert.Equal(n1.Underlay, await outside.WaitForEchoAsync(cancellationToken: ct).WaitAsync(TimeSpan.FromSeconds(30), ct));
            Assert.DoesNotContain(n1.PodAddress!, outside.SeenSources);
            Assert.NotNull(await n1.PingUntilAsync(outside.AddressV6!, n1.PodAddressV6, cancellationToken: ct));
            Assert.Equal(n1.UnderlayV6, await outside.WaitForEchoAsync(a => a.AddressFamily == AddressFamily.InterNetworkV6, ct).WaitAsync(TimeSpan.FromSeconds(30), ct));

            // Pod -> pod across nodes keeps the pod address.
            await using (var listener = EchoListener.Start(n2))
            {
                Assert.NotNull(await n1.PingUntilAsync(n2.PodAddress!, n1.PodAddress, cancellationToken: ct));
                Assert.Equal(n1.PodAddress, await listener.WaitAsync(a => a.Equals(n1.PodAddress), ct));
            }

            // Traffic kube-proxy marked (0x4000) is left to kube-proxy: not masqueraded.
            await NftAsync(n1, "add", "table", "ip", "ovlmark");
            await NftAsync(n1, "add", "chain", "ip", "ovlmark", "out", "{ type route hook output priority -150 ; }");
            await NftAsync(n1, "add", "rule", "ip", "ovlmark", "out", "ip", "daddr", outside.Address.ToString(), "meta", "mark", "set", "0x4000");
            outside.Clear();
            _ = await n1.PingAsync(outside.Address, n1.PodAddress, cancellationToken: ct); // no reply expected: the outside host has no route to pods
            Assert.Equal(n1.PodAddress, await outside.WaitForEchoAsync(cancellationToken: ct).WaitAsync(TimeSpan.FromSeconds(30), ct));
        }
        finally
        {
            foreach (OverlayAgent agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_deleted_rule_chain_or_table_comes_back_and_without_notifications_nothing_is_repaired()
    {
        Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }, ct);
        LabNode node = lab.Nodes[0];
        var config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","EnableNFTables":true,"Backend":{"Type":"vxlan"}}""");
        var lease = new Lease(IPNetwork.Parse("198.19.3.0/24"), null, new LeaseAttributes { PublicIP = node.Underlay, BackendType = "vxlan" }, DateTimeOffset.UtcNow.AddHours(1));
        var request = new TrafficRulesRequest(config, lease, new SubnetEnvNetworks([], [], [], [])) { Masquerade = true, Forward = true };

        await using (var rules = new NftablesTrafficRules(new TrafficRulesOptions { NetlinkOptions = node.NetlinkOptions, RemoveOnShutdown = true }))
        {
            TrafficRulesResult result = await rules.ApplyAsync(request, ct);
            Assert.True(result.MasqueradeIPv4 && result.ForwardIPv4 && !result.MasqueradeIPv6);
            string expected = await NftAsync(node, "list", "table", "ip", "flannel-ipv4");

            // A rule.
            long handle = (await RulesAsync(node, "postrtg"))[2].GetProperty("handle").GetInt64();
            await NftAsync(node, "delete", "rule", "ip", "flannel-ipv4", "postrtg", "handle", handle.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Privileged.EventuallyAsync(async () => (await RulesAsync(node, "postrtg")).Count == 6 && rules.RepairCount >= 1, "the deleted rule is put back");

            // A chain.
            await NftAsync(node, "delete", "chain", "ip", "flannel-ipv4", "forward");
            await Privileged.EventuallyAsync(async () => (await RulesAsync(node, "forward")).Count == 2, "the deleted chain is put back");

            // The whole table.
            await NftAsync(node, "delete", "table", "ip", "flannel-ipv4");
            await Privileged.EventuallyAsync(async () => await NftListsEqualAsync(node, expected), "the deleted table is put back, identical");

            // An extra rule someone inserts into flannel's chain is removed again (the chain is flannel's).
            await NftAsync(node, "insert", "rule", "ip", "flannel-ipv4", "postrtg", "accept");
            await Privileged.EventuallyAsync(async () => await NftListsEqualAsync(node, expected), "the chain is flannel's again");
        }

        // Removed at shutdown (RemoveOnShutdown).
        Assert.DoesNotContain("flannel-ipv4", await NftAsync(node, "list", "tables"), StringComparison.Ordinal);

        // Notifications withheld: the same deletion stays (no hidden polling loop does the repair).
        await using (var quiet = new NftablesTrafficRules(new TrafficRulesOptions { NetlinkOptions = node.NetlinkOptions, RemoveOnShutdown = true })
        {
            NotificationSource = (_, token) => Never(token),
        })
        {
            await quiet.ApplyAsync(request, ct);
            long handle = (await RulesAsync(node, "postrtg"))[2].GetProperty("handle").GetInt64();
            await NftAsync(node, "delete", "rule", "ip", "flannel-ipv4", "postrtg", "handle", handle.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Task.Delay(TimeSpan.FromSeconds(3), ct); // longer than any repair above took; absence is what is checked
            Assert.Equal(5, (await RulesAsync(node, "postrtg")).Count);
            Assert.Equal(0, quiet.RepairCount);
        }
    }

    [Fact]
    public async Task The_corrected_rule_set_masquerades_host_to_remote_pod_traffic_and_flannels_does_not()
    {
        Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 2, IPv6 = false }, ct);
        using var dir = new TempDirectory();
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"198.19.0.0/16","EnableNFTables":true,"Backend":{"Type":"vxlan"}}"""));
        var agents = new List<OverlayAgent>();
        try
        {
            foreach (LabNode node in lab.Nodes)
            {
                agents.Add(await node.StartOverlayAgentAsync(registry, new BackendRegistry().Add(new VxlanBackend()), node.CreateAgentOptions(dir.Path), cancellationToken: ct));
            }

            LabNode n1 = lab.Nodes[0], n2 = lab.Nodes[1];
            var request = new TrafficRulesRequest(agents[0].Config!, agents[0].Lease!, new SubnetEnvNetworks([], [], [], [])) { Masquerade = true };
            IPAddress vtep1 = agents[0].Lease!.Subnet!.Value.BaseAddress; // flannel.1's address (198.19.A.0)
            foreach ((MasqueradeRuleSet set, IPAddress seen) in new[] { (MasqueradeRuleSet.FlannelIdentical, n1.Underlay), (MasqueradeRuleSet.Corrected, vtep1) })
            {
                await using var rules = new NftablesTrafficRules(new TrafficRulesOptions { NetlinkOptions = n1.NetlinkOptions, RuleSet = set, RemoveOnShutdown = true });
                await rules.ApplyAsync(request, ct);
                await using var listener = EchoListener.Start(n2);

                // The host (its underlay address, outside the cluster network) pings a remote pod.
                Assert.NotNull(await n1.PingUntilAsync(n2.PodAddress!, n1.Underlay, cancellationToken: ct));
                Assert.Equal(seen, await listener.WaitAsync(_ => true, ct));
                if (set == MasqueradeRuleSet.Corrected)
                {
                    Assert.Contains("meta mark & 0x00004000 == 0x00004000 return", await NftAsync(n1, "list", "chain", "ip", "flannel-ipv4", "postrtg"), StringComparison.Ordinal);
                }
            }
        }
        finally
        {
            foreach (OverlayAgent agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_forward_policy_of_drop_in_iptables_is_reported_in_nftables_mode()
    {
        Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }, ct);
        LabNode node = lab.Nodes[0];
        await ExecOkAsync(node, "iptables-nft", "-P", "FORWARD", "DROP");
        var config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","EnableNFTables":true,"Backend":{"Type":"vxlan"}}""");
        var lease = new Lease(IPNetwork.Parse("198.19.3.0/24"), null, new LeaseAttributes { PublicIP = node.Underlay, BackendType = "vxlan" }, DateTimeOffset.UtcNow.AddHours(1));
        await using var rules = new NftablesTrafficRules(new TrafficRulesOptions { NetlinkOptions = node.NetlinkOptions, RemoveOnShutdown = true });
        TrafficRulesResult result = await rules.ApplyAsync(new TrafficRulesRequest(config, lease, new SubnetEnvNetworks([], [], [], [])) { Forward = true }, ct);
        string warning = Assert.Single(result.Warnings);
        Assert.Contains("ip filter FORWARD", warning, StringComparison.Ordinal);
        Assert.Contains("iptables -A FORWARD -s 198.19.0.0/16 -j ACCEPT", warning, StringComparison.Ordinal);
    }

    internal static async Task<string> NftAsync(LabNode node, params string[] arguments)
    {
        (int code, string stdout, string stderr) = await node.ExecAsync(["nft", .. arguments]);
        Assert.True(code == 0, $"nft {string.Join(' ', arguments)} failed: {stderr}");
        return stdout;
    }

    internal static async Task ExecOkAsync(LabNode node, params string[] command)
    {
        (int code, _, string stderr) = await node.ExecAsync(command);
        Assert.True(code == 0, $"{string.Join(' ', command)} failed: {stderr}");
    }

    private static async Task<bool> NftListsEqualAsync(LabNode node, string expected)
    {
        (int code, string stdout, _) = await node.ExecAsync(["nft", "list", "table", "ip", "flannel-ipv4"]);
        return code == 0 && stdout == expected;
    }

    private static async Task<List<JsonElement>> RulesAsync(LabNode node, string chain)
    {
        (int code, string stdout, _) = await node.ExecAsync(["nft", "-j", "list", "chain", "ip", "flannel-ipv4", chain]);
        if (code != 0)
        {
            return [];
        }

        using JsonDocument doc = JsonDocument.Parse(stdout);
        return [.. doc.RootElement.GetProperty("nftables").EnumerateArray().Where(e => e.TryGetProperty("rule", out _)).Select(e => e.GetProperty("rule").Clone())];
    }

    private static void AssertLinesInOrder(string text, params string[] lines)
    {
        int at = 0;
        foreach (string line in lines)
        {
            int found = text.IndexOf(line, at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"'{line}' not found (in order) in:\n{text}");
            at = found + line.Length;
        }
    }

    private static async IAsyncEnumerable<NetlinkNotification> Never([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        yield break;
    }

    /// <summary>Records the sources of ICMP echo requests arriving at a node (a raw socket in its namespace).</summary>
    private sealed class EchoListener : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly CancellationTokenSource _stop = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<IPAddress> _seen = new();
        private readonly Task _loop;

        private EchoListener(LabNode node)
        {
            _socket = node.OpenNamespace().CreateSocket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp);
            _socket.Bind(new IPEndPoint(IPAddress.Any, 0));
            _loop = LoopAsync();
        }

        public static EchoListener Start(LabNode node) => new(node);

        public async Task<IPAddress> WaitAsync(Func<IPAddress, bool> match, CancellationToken ct)
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(30); // hang guard
            while (DateTime.UtcNow < deadline)
            {
                if (_seen.FirstOrDefault(match) is { } a)
                {
                    return a;
                }

                await Task.Delay(20, ct);
            }

            throw new TimeoutException("no echo request arrived; seen: " + string.Join(", ", _seen));
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _socket.Dispose();
            try
            {
                await _loop;
            }
            catch (Exception)
            {
            }

            _stop.Dispose();
        }

        private async Task LoopAsync()
        {
            byte[] buffer = new byte[2048];
            while (true)
            {
                SocketReceiveFromResult r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                int icmp = (buffer[0] & 0x0f) * 4;
                if (r.ReceivedBytes > icmp && buffer[icmp] == 8 && r.RemoteEndPoint is IPEndPoint from)
                {
                    _seen.Enqueue(from.Address);
                }
            }
        }
    }
}
