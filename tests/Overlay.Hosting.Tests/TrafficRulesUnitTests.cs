using System.Net;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Hosting.Tests;

/// <summary>flannel's rule lists and iptables-restore payloads (spec §5.2, §5.3, checklist §7.7), without a kernel.</summary>
public sealed class TrafficRulesUnitTests
{
    private static readonly IPNetwork Cluster = IPNetwork.Parse("10.244.0.0/16");
    private static readonly IPNetwork Pod = IPNetwork.Parse("10.244.3.0/24");

    [Fact]
    public void The_ipv4_masquerade_list_has_the_jump_and_six_rules_with_flannels_argument_vectors()
    {
        IReadOnlyList<IptablesRule> rules = FlannelTrafficRules.IptablesMasqueradeRules(Cluster, Pod, randomFully: true);
        Assert.Equal(7, rules.Count);
        Assert.Equal("-t nat -A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG", rules[0].ToString());
        Assert.Equal(["-s", "10.244.3.0/24", "-d", "10.244.0.0/16", "-m", "comment", "--comment", "flanneld masq", "-j", "RETURN"], rules[2].Arguments);
        Assert.Equal("-m mark --mark 0x4000/0x4000 -m comment --comment \"flanneld masq\" -j RETURN", rules[1].ToRestoreSpec());
        Assert.Equal("! -s 10.244.0.0/16 -d 10.244.3.0/24 -m comment --comment \"flanneld masq\" -j RETURN", rules[4].ToRestoreSpec());
        Assert.Equal("-s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully", rules[5].ToRestoreSpec());
        Assert.Equal("! -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment \"flanneld masq\" -j MASQUERADE", FlannelTrafficRules.IptablesMasqueradeRules(Cluster, Pod, randomFully: false)[6].ToRestoreSpec());
        Assert.Equal("-s fd00::/64 ! -d ff00::/8 -m comment --comment \"flanneld masq\" -j MASQUERADE", FlannelTrafficRules.IptablesMasqueradeRules(IPNetwork.Parse("fd00::/64"), IPNetwork.Parse("fd00::/80"), false)[5].ToRestoreSpec());
    }

    [Fact]
    public void Bootstrap_emits_appends_for_missing_rules_and_delete_then_append_for_existing_ones_grouped_per_table()
    {
        IReadOnlyList<IptablesRule> rules = [.. FlannelTrafficRules.IptablesForwardRules(Cluster), .. FlannelTrafficRules.IptablesMasqueradeRules(Cluster, Pod, true).Take(2)];
        Assert.Equal(
            "*filter\n"
            + "-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD\n"
            + "-A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT\n"
            + "-A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT\n"
            + "COMMIT\n"
            + "*nat\n"
            + "-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG\n"
            + "-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment \"flanneld masq\" -j RETURN\n"
            + "COMMIT\n",
            IptablesTrafficRules.BootstrapPayload(rules, _ => false));
        string again = IptablesTrafficRules.BootstrapPayload(FlannelTrafficRules.IptablesForwardRules(Cluster), _ => true);
        Assert.Equal(
            "*filter\n"
            + "-D FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD\n"
            + "-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD\n"
            + "-D FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT\n"
            + "-A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT\n"
            + "-D FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT\n"
            + "-A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT\n"
            + "COMMIT\n",
            again);
    }

    [Fact]
    public void Teardown_deletes_only_existing_rules_in_order_and_is_empty_when_none_exists()
    {
        IReadOnlyList<IptablesRule> rules = FlannelTrafficRules.IptablesMasqueradeRules(Cluster, Pod, true);
        string payload = IptablesTrafficRules.TeardownPayload(rules, r => r != rules[1]);
        Assert.StartsWith("*nat\n-D POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG\n-D FLANNEL-POSTRTG -s 10.244.3.0/24", payload, StringComparison.Ordinal);
        Assert.Equal(6, payload.Split('\n').Count(l => l.StartsWith("-D ", StringComparison.Ordinal)));
        Assert.EndsWith("COMMIT\n", payload, StringComparison.Ordinal);
        Assert.Equal(string.Empty, IptablesTrafficRules.TeardownPayload(rules, _ => false));
    }

    [Fact]
    public void Nftables_sets_follow_the_enable_flags_and_the_rule_set_option()
    {
        var config = NetworkConfig.Parse("""{"Network":"10.244.0.0/16","IPv6Network":"fd00::/56","EnableIPv6":false,"Backend":{"Type":"vxlan"}}""");
        var lease = new Lease(Pod, IPNetwork.Parse("fd00:0:0:3::/64"), new LeaseAttributes { PublicIP = IPAddress.Parse("192.0.2.1") }, DateTimeOffset.UtcNow);
        var request = new TrafficRulesRequest(config, lease, new SubnetEnvNetworks([], [], [], [])) { Masquerade = true, Forward = true };

        // Q15 fixed: IPv6 is off, so no IPv6 rules although IPv6Network is set.
        var sets = NftablesTrafficRules.Plan(request, new TrafficRulesOptions());
        Assert.All(sets, s => Assert.Equal(NftFamily.IPv4, s.Family));
        Assert.Equal(["IPv4/forward", "IPv4/postrtg"], sets.Select(s => s.Key));

        NftablesTrafficRules.DesiredSet masq = sets[1];
        Assert.Equal("meta load Mark => reg 1; cmp Equal reg 1 0x00400000; immediate reg 0 Return", string.Join("; ", masq.Rules[0].Expressions));
        Assert.Equal([.. NftMatch.SourcePrefix(Pod, negate: true), .. NftMatch.DestinationPrefix(Cluster), new NftImmediateExpression(NftVerdict.Return)], masq.Rules[3].Expressions);
        Assert.Equal(new NftMasqueradeExpression(true), masq.Rules[4].Expressions[^1]);

        NftablesTrafficRules.DesiredSet corrected = NftablesTrafficRules.Plan(request, new TrafficRulesOptions { RuleSet = MasqueradeRuleSet.Corrected, FullyRandom = false })[1];
        Assert.Equal([.. NftMatch.SourcePrefix(Cluster, negate: true), .. NftMatch.DestinationPrefix(Pod), new NftImmediateExpression(NftVerdict.Return)], corrected.Rules[3].Expressions);
        Assert.IsType<NftBitwiseExpression>(corrected.Rules[0].Expressions[1]);
        Assert.Equal(new NftMasqueradeExpression(false), corrected.Rules[5].Expressions[^1]);

        // One transaction per family and set: add table, add chain, flush, the rules.
        Assert.Equal(3 + 6, masq.Transaction.Count);
    }
}
