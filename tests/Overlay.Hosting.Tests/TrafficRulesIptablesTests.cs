using System.Net;
using Overlay.Lab;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.Hosting.Tests;

/// <summary>iptables mode (both back ends) and switching modes, in a lab node, checked with iptables -S and nft.</summary>
[Trait("Category", Privileged.Category)]
public sealed class TrafficRulesIptablesTests
{
    private static readonly NetworkConfig Config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","Backend":{"Type":"vxlan"}}""");

    [Theory]
    [InlineData("nft")]
    [InlineData("legacy")]
    public async Task Iptables_mode_writes_flannels_rules_restores_a_deleted_one_and_recycles_the_previous_subnet(string variant)
    {
        Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }, ct);
        LabNode node = lab.Nodes[0];
        string ipt = "iptables-" + variant;
        await TrafficRulesLabTests.ExecOkAsync(node, ipt, "-P", "FORWARD", "DROP"); // Docker's policy: flannel's accepts go into this very chain
        Lease lease = LeaseFor(node, "198.19.3.0/24");
        await using (var rules = new IptablesTrafficRules(new TrafficRulesOptions { NetlinkOptions = node.NetlinkOptions, IptablesResyncInterval = TimeSpan.FromMilliseconds(500), RemoveOnShutdown = true }) { Variant = variant })
        {
            TrafficRulesResult result = await rules.ApplyAsync(Request(lease, null), ct);
            Assert.True(result.MasqueradeIPv4 && result.ForwardIPv4);

            string nat = await IptablesAsync(node, ipt, "-t", "nat", "-S");
            Assert.Equal(
                [
                    "-N FLANNEL-POSTRTG",
                    "-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG",
                    "-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment \"flanneld masq\" -j RETURN",
                    "-A FLANNEL-POSTRTG -s 198.19.3.0/24 -d 198.19.0.0/16 -m comment --comment \"flanneld masq\" -j RETURN",
                    "-A FLANNEL-POSTRTG -s 198.19.0.0/16 -d 198.19.3.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
                    "-A FLANNEL-POSTRTG ! -s 198.19.0.0/16 -d 198.19.3.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
                    "-A FLANNEL-POSTRTG -s 198.19.0.0/16 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully",
                    "-A FLANNEL-POSTRTG ! -s 198.19.0.0/16 -d 198.19.0.0/16 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully",
                ],
                nat.Split('\n').Where(l => l.Contains("FLANNEL", StringComparison.Ordinal)));
            string filter = await IptablesAsync(node, ipt, "-t", "filter", "-S");
            Assert.Contains("-P FORWARD DROP", filter, StringComparison.Ordinal);
            Assert.EndsWith("-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD", (await IptablesAsync(node, ipt, "-S", "FORWARD")).TrimEnd(), StringComparison.Ordinal);
            Assert.Contains("-A FLANNEL-FWD -s 198.19.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT\n-A FLANNEL-FWD -d 198.19.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT", filter, StringComparison.Ordinal);

            // A rule deleted by hand comes back at the next resync.
            await TrafficRulesLabTests.ExecOkAsync(node, ipt, "-t", "nat", "-D", "FLANNEL-POSTRTG", "3");
            await Privileged.EventuallyAsync(async () => (await IptablesAsync(node, ipt, "-t", "nat", "-S", "FLANNEL-POSTRTG")).Split('\n').Count(l => l.StartsWith("-A", StringComparison.Ordinal)) == 6, "the resync restores the rule");
            Assert.True(rules.RepairCount >= 1);

            // A new subnet: the previous subnet's rules go (flannel's recycling), the new ones come.
            await rules.ApplyAsync(Request(LeaseFor(node, "198.19.4.0/24"), lease), ct);
            nat = await IptablesAsync(node, ipt, "-t", "nat", "-S");
            Assert.DoesNotContain("198.19.3.0/24", nat, StringComparison.Ordinal);
            Assert.Equal(2, nat.Split('\n').Count(l => l.Contains("198.19.4.0/24", StringComparison.Ordinal) && l.Contains("RETURN", StringComparison.Ordinal) && !l.StartsWith("-A FLANNEL-POSTRTG !", StringComparison.Ordinal)));
            Assert.Single(nat.Split('\n'), l => l.StartsWith("-A POSTROUTING", StringComparison.Ordinal));
        }

        // Removed at shutdown: jumps first, then the chains (in their own tables).
        Assert.DoesNotContain("FLANNEL", await IptablesAsync(node, ipt, "-t", "nat", "-S"), StringComparison.Ordinal);
        Assert.DoesNotContain("FLANNEL", await IptablesAsync(node, ipt, "-t", "filter", "-S"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nft")]
    [InlineData("legacy")]
    public async Task Switching_modes_removes_the_other_modes_rules(string variant)
    {
        Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }, ct);
        LabNode node = lab.Nodes[0];
        string ipt = "iptables-" + variant;
        Lease lease = LeaseFor(node, "198.19.3.0/24");

        await using (var iptables = new IptablesTrafficRules(new TrafficRulesOptions { NetlinkOptions = node.NetlinkOptions }) { Variant = variant })
        {
            await iptables.ApplyAsync(Request(lease, null), ct);
        }

        Assert.Contains("FLANNEL-POSTRTG", await IptablesAsync(node, ipt, "-t", "nat", "-S"), StringComparison.Ordinal); // kept at shutdown (flannel)

        await using (var nft = new NftablesTrafficRules(new TrafficRulesOptions { NetlinkOptions = node.NetlinkOptions }))
        {
            await nft.ApplyAsync(Request(lease, null), ct);
        }

        Assert.DoesNotContain("FLANNEL", await IptablesAsync(node, ipt, "-t", "nat", "-S"), StringComparison.Ordinal);
        Assert.DoesNotContain("FLANNEL", await IptablesAsync(node, ipt, "-t", "filter", "-S"), StringComparison.Ordinal);
        Assert.Contains("flannel-ipv4", await TrafficRulesLabTests.NftAsync(node, "list", "tables"), StringComparison.Ordinal);

        await using (var iptables = new IptablesTrafficRules(new TrafficRulesOptions { NetlinkOptions = node.NetlinkOptions, RemoveOnShutdown = true }) { Variant = variant })
        {
            await iptables.ApplyAsync(Request(lease, null), ct);
            Assert.DoesNotContain("flannel-ipv4", await TrafficRulesLabTests.NftAsync(node, "list", "tables"), StringComparison.Ordinal);
        }
    }

    private static TrafficRulesRequest Request(Lease lease, Lease? previous) =>
        new(Config, lease, previous is null ? new SubnetEnvNetworks([], [], [], []) : new SubnetEnvNetworks([Config.Network!.Value], [previous.Subnet!.Value], [], []))
        {
            Masquerade = true,
            Forward = true,
        };

    private static Lease LeaseFor(LabNode node, string subnet) =>
        new(IPNetwork.Parse(subnet), null, new LeaseAttributes { PublicIP = node.Underlay, BackendType = "vxlan" }, DateTimeOffset.UtcNow.AddHours(1));

    private static async Task<string> IptablesAsync(LabNode node, params string[] command)
    {
        (int code, string stdout, string stderr) = await node.ExecAsync(command);
        Assert.True(code == 0, $"{string.Join(' ', command)} failed: {stderr}");
        return stdout;
    }
}
