namespace Overlay.Hosting;

/// <summary>Which masquerade rules the nftables mode installs .</summary>
public enum MasqueradeRuleSet
{
    /// <summary>
    /// flannel's rules, text for text (the default, so operators diffing rules see flannel's):
    /// <c>meta mark 0x4000 return</c> (an exact match) and rule 4 <c>saddr != POD daddr CLUSTER return</c>,
    /// which makes the last rule (masquerade host → remote pods) unreachable.
    /// </summary>
    FlannelIdentical,

    /// <summary>
    /// The rules iptables mode has: the kube-proxy bit matched as a mask (<c>meta mark &amp; 0x4000 == 0x4000</c>)
    /// and rule 4 <c>saddr != CLUSTER daddr POD return</c>, so traffic from the host or from outside to
    /// remote pods is masqueraded and its replies come back through this node.
    /// </summary>
    Corrected,
}
