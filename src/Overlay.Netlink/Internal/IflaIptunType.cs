namespace Overlay.Netlink.Internal;

/// <summary>IP tunnel attributes inside IFLA_INFO_DATA for ipip/sit (<c>IFLA_IPTUN_*</c>).</summary>
internal static class IflaIptunType
{
    /// <summary>IFLA_IPTUN_LINK (u32).</summary>
    public const ushort Link = 1;

    /// <summary>IFLA_IPTUN_LOCAL (IPv4).</summary>
    public const ushort Local = 2;

    /// <summary>IFLA_IPTUN_REMOTE (IPv4).</summary>
    public const ushort Remote = 3;

    /// <summary>IFLA_IPTUN_TTL (u8).</summary>
    public const ushort Ttl = 4;

    /// <summary>IFLA_IPTUN_TOS (u8).</summary>
    public const ushort Tos = 5;

    /// <summary>IFLA_IPTUN_FLAGS (u16).</summary>
    public const ushort Flags = 8;

    /// <summary>IFLA_IPTUN_PROTO (u8).</summary>
    public const ushort Protocol = 9;

    /// <summary>IFLA_IPTUN_PMTUDISC (u8).</summary>
    public const ushort PathMtuDiscovery = 10;

    /// <summary>IFLA_IPTUN_ENCAP_TYPE (u16).</summary>
    public const ushort EncapType = 15;

    /// <summary>IFLA_IPTUN_ENCAP_FLAGS (u16).</summary>
    public const ushort EncapFlags = 16;

    /// <summary>IFLA_IPTUN_ENCAP_SPORT (__be16).</summary>
    public const ushort EncapSourcePort = 17;

    /// <summary>IFLA_IPTUN_ENCAP_DPORT (__be16).</summary>
    public const ushort EncapDestinationPort = 18;

    /// <summary>IFLA_IPTUN_COLLECT_METADATA (flag).</summary>
    public const ushort CollectMetadata = 19;

    /// <summary>IFLA_IPTUN_FWMARK (u32).</summary>
    public const ushort FirewallMark = 20;
}
