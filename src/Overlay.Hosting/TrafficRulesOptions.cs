using Overlay.Netlink;

namespace Overlay.Hosting;

/// <summary>Settings of the traffic rules (masquerade and forward), flanneld's flags in .NET form.</summary>
public sealed class TrafficRulesOptions
{
    /// <summary>The masquerade rule set of nftables mode (flannel's by default).</summary>
    public MasqueradeRuleSet RuleSet { get; set; } = MasqueradeRuleSet.FlannelIdentical;

    /// <summary>Masquerade with fully random source ports (flanneld's default; <c>--ip-masq-fully-random-disable</c> turns it off).</summary>
    public bool FullyRandom { get; set; } = true;

    /// <summary>Remove the rules when the owner is disposed. flanneld keeps them (the default): pods keep working while the agent restarts.</summary>
    public bool RemoveOnShutdown { get; set; }

    /// <summary>Remove the other mode's leftovers (flannel's iptables chains in nftables mode, its nftables tables in iptables mode) when rules are applied. On by default, as flanneld does at start-up.</summary>
    public bool CleanUpOtherMode { get; set; } = true;

    /// <summary>iptables mode: how often the rules are checked and restored (<c>--iptables-resync</c>, 5 s). nftables mode needs no period: it repairs on notifications.</summary>
    public TimeSpan IptablesResyncInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The namespace the rules go into (null: the caller's); the agent passes its netlink options.</summary>
    public NetlinkClientOptions NetlinkOptions { get; set; } = new();
}
