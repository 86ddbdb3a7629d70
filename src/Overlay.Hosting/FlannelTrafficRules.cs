using System.Net;
using System.Net.Sockets;
using Overlay.Netlink;

namespace Overlay.Hosting;

/// <summary>
/// flannel's rule lists for given networks: the names, comments and
/// rules a flanneld node installs, so that a node moving from flanneld to Overlay (or back) replaces
/// the rules instead of doubling them. The traffic-rules implementations install these lists; they
/// are public so that a third-party agent or a test can compare.
/// </summary>
public static class FlannelTrafficRules
{
    /// <summary>The IPv4 table (<c>ip flannel-ipv4</c>).</summary>
    public const string IPv4Table = "flannel-ipv4";

    /// <summary>The IPv6 table (<c>ip6 flannel-ipv6</c>).</summary>
    public const string IPv6Table = "flannel-ipv6";

    /// <summary>The nftables forward base chain.</summary>
    public const string ForwardChain = "forward";

    /// <summary>The nftables masquerade base chain.</summary>
    public const string MasqueradeChain = "postrtg";

    /// <summary>The iptables masquerade chain (table nat).</summary>
    public const string IptablesMasqueradeChain = "FLANNEL-POSTRTG";

    /// <summary>The iptables forward chain (table filter).</summary>
    public const string IptablesForwardChain = "FLANNEL-FWD";

    /// <summary>The bit kube-proxy sets on packets it masquerades itself.</summary>
    public const uint KubeProxyMark = 0x4000;

    /// <summary>The table of a family.</summary>
    /// <param name="family"><see cref="NftFamily.IPv4"/> or <see cref="NftFamily.IPv6"/>.</param>
    /// <returns>The table.</returns>
    public static NftTable Table(NftFamily family)
    {
        string name = TableName(family);
        return new NftTable { Family = family, Name = name, Comment = "rules for " + name };
    }

    /// <summary>The forward base chain of a family (type filter, hook forward, priority filter, policy accept).</summary>
    /// <param name="family">The family.</param>
    /// <returns>The chain.</returns>
    public static NftChain NftForwardChain(NftFamily family) => new()
    {
        Family = family,
        Table = TableName(family),
        Name = ForwardChain,
        Type = "filter",
        Hook = NftHook.Forward,
        Priority = 0,
        Policy = NftVerdict.Accept,
        Comment = "chain to accept flannel traffic",
    };

    /// <summary>The masquerade base chain of a family (type nat, hook postrouting, priority srcnat).</summary>
    /// <param name="family">The family.</param>
    /// <returns>The chain.</returns>
    public static NftChain NftMasqueradeChain(NftFamily family) => new()
    {
        Family = family,
        Table = TableName(family),
        Name = MasqueradeChain,
        Type = "nat",
        Hook = NftHook.Postrouting,
        Priority = 100,
        Comment = "chain to manage traffic masquerading by flannel",
    };

    /// <summary>nftables forward rules: <c>F saddr CLUSTER accept</c>, <c>F daddr CLUSTER accept</c>.</summary>
    /// <param name="cluster">The network (Network or IPv6Network).</param>
    /// <returns>The rules in order.</returns>
    public static IReadOnlyList<NftRule> NftForwardRules(IPNetwork cluster)
    {
        NftFamily family = FamilyOf(cluster);
        var accept = new NftImmediateExpression(NftVerdict.Accept);
        return
        [
            Rule(family, ForwardChain, [.. NftMatch.SourcePrefix(cluster), accept]),
            Rule(family, ForwardChain, [.. NftMatch.DestinationPrefix(cluster), accept]),
        ];
    }

    /// <summary>nftables masquerade rules (six rules).</summary>
    /// <param name="cluster">The network.</param>
    /// <param name="pod">The node's subnet of that family.</param>
    /// <param name="fullyRandom">Masquerade with <c>fully-random</c>.</param>
    /// <param name="ruleSet">flannel's rules or the corrected ones.</param>
    /// <returns>The rules in order.</returns>
    public static IReadOnlyList<NftRule> NftMasqueradeRules(IPNetwork cluster, IPNetwork pod, bool fullyRandom, MasqueradeRuleSet ruleSet = MasqueradeRuleSet.FlannelIdentical)
    {
        NftFamily family = FamilyOf(cluster);
        if (FamilyOf(pod) != family)
        {
            throw new ArgumentException($"The subnet {pod} is not of the network's family ({cluster}).", nameof(pod));
        }

        IPNetwork multicast = family == NftFamily.IPv4 ? IPNetwork.Parse("224.0.0.0/4") : IPNetwork.Parse("ff00::/8");
        var ret = new NftImmediateExpression(NftVerdict.Return);
        var masq = new NftMasqueradeExpression(fullyRandom);
        bool corrected = ruleSet == MasqueradeRuleSet.Corrected;
        return
        [
            Rule(family, MasqueradeChain, [.. corrected ? NftMatch.MarkBitsSet(KubeProxyMark) : NftMatch.MarkEquals(KubeProxyMark), ret]),
            Rule(family, MasqueradeChain, [.. NftMatch.SourcePrefix(pod), .. NftMatch.DestinationPrefix(cluster), ret]),
            Rule(family, MasqueradeChain, [.. NftMatch.SourcePrefix(cluster), .. NftMatch.DestinationPrefix(pod), ret]),
            corrected
                ? Rule(family, MasqueradeChain, [.. NftMatch.SourcePrefix(cluster, negate: true), .. NftMatch.DestinationPrefix(pod), ret])
                : Rule(family, MasqueradeChain, [.. NftMatch.SourcePrefix(pod, negate: true), .. NftMatch.DestinationPrefix(cluster), ret]),
            Rule(family, MasqueradeChain, [.. NftMatch.SourcePrefix(cluster), .. NftMatch.DestinationPrefix(multicast, negate: true), masq]),
            Rule(family, MasqueradeChain, [.. NftMatch.SourcePrefix(cluster, negate: true), .. NftMatch.DestinationPrefix(cluster), masq]),
        ];
    }

    /// <summary>iptables masquerade rules: the jump from <c>POSTROUTING</c> and six rules of <c>FLANNEL-POSTRTG</c>, as argument lists.</summary>
    /// <param name="cluster">The network.</param>
    /// <param name="pod">The node's subnet of that family.</param>
    /// <param name="randomFully">Add <c>--random-fully</c> to MASQUERADE.</param>
    /// <returns>The rules in order (table nat).</returns>
    public static IReadOnlyList<IptablesRule> IptablesMasqueradeRules(IPNetwork cluster, IPNetwork pod, bool randomFully)
    {
        string c = cluster.ToString(), p = pod.ToString();
        string mcast = FamilyOf(cluster) == NftFamily.IPv4 ? "224.0.0.0/4" : "ff00::/8";
        string[] masq = randomFully ? ["-j", "MASQUERADE", "--random-fully"] : ["-j", "MASQUERADE"];
        string[] comment = ["-m", "comment", "--comment", "flanneld masq"];
        const string Chain = IptablesMasqueradeChain;
        return
        [
            new("nat", "POSTROUTING", [.. comment, "-j", Chain]),
            new("nat", Chain, ["-m", "mark", "--mark", "0x4000/0x4000", .. comment, "-j", "RETURN"]),
            new("nat", Chain, ["-s", p, "-d", c, .. comment, "-j", "RETURN"]),
            new("nat", Chain, ["-s", c, "-d", p, .. comment, "-j", "RETURN"]),
            new("nat", Chain, ["!", "-s", c, "-d", p, .. comment, "-j", "RETURN"]),
            new("nat", Chain, ["-s", c, "!", "-d", mcast, .. comment, .. masq]),
            new("nat", Chain, ["!", "-s", c, "-d", c, .. comment, .. masq]),
        ];
    }

    /// <summary>iptables forward rules: the jump from <c>FORWARD</c> and two ACCEPT rules of <c>FLANNEL-FWD</c>.</summary>
    /// <param name="cluster">The network.</param>
    /// <returns>The rules in order (table filter).</returns>
    public static IReadOnlyList<IptablesRule> IptablesForwardRules(IPNetwork cluster)
    {
        string c = cluster.ToString();
        string[] comment = ["-m", "comment", "--comment", "flanneld forward"];
        return
        [
            new("filter", "FORWARD", [.. comment, "-j", IptablesForwardChain]),
            new("filter", IptablesForwardChain, ["-s", c, .. comment, "-j", "ACCEPT"]),
            new("filter", IptablesForwardChain, ["-d", c, .. comment, "-j", "ACCEPT"]),
        ];
    }

    internal static string TableName(NftFamily family) => family switch
    {
        NftFamily.IPv4 => IPv4Table,
        NftFamily.IPv6 => IPv6Table,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "flannel's tables are ip and ip6."),
    };

    internal static NftFamily FamilyOf(IPNetwork network) =>
        network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? NftFamily.IPv6 : NftFamily.IPv4;

    private static NftRule Rule(NftFamily family, string chain, NftExpression[] expressions) =>
        new() { Family = family, Table = TableName(family), Chain = chain, Expressions = expressions };
}
