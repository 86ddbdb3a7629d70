namespace Overlay.Netlink;

/// <summary>The address family of an nf_tables table (<c>NFPROTO_*</c>); nft's <c>ip</c>, <c>ip6</c>, <c>inet</c>...</summary>
public enum NftFamily : byte
{
    /// <summary>Unspecified: all families (dumps only).</summary>
    Unspecified = 0,

    /// <summary><c>inet</c>: IPv4 and IPv6.</summary>
    Inet = 1,

    /// <summary><c>ip</c>: IPv4.</summary>
    IPv4 = 2,

    /// <summary><c>arp</c>.</summary>
    Arp = 3,

    /// <summary><c>netdev</c>.</summary>
    NetDev = 5,

    /// <summary><c>bridge</c>.</summary>
    Bridge = 7,

    /// <summary><c>ip6</c>: IPv6.</summary>
    IPv6 = 10,
}
