namespace Overlay.Hosting;

/// <summary>How traffic rules are installed (flannel's <c>EnableNFTables</c>).</summary>
public enum TrafficRulesMode
{
    /// <summary>nf_tables tables <c>ip flannel-ipv4</c> / <c>ip6 flannel-ipv6</c>, over netlink (<c>EnableNFTables: true</c>).</summary>
    NFTables,

    /// <summary>iptables chains <c>FLANNEL-POSTRTG</c> (nat) / <c>FLANNEL-FWD</c> (filter) through <c>iptables-restore</c> (flannel's default).</summary>
    IPTables,
}
