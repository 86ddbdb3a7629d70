namespace Overlay.Netlink.Internal;

/// <summary>VXLAN attributes inside IFLA_INFO_DATA (<c>IFLA_VXLAN_*</c>).</summary>
internal static class IflaVxlanType
{
    /// <summary>IFLA_VXLAN_ID (u32).</summary>
    public const ushort Id = 1;

    /// <summary>IFLA_VXLAN_GROUP (IPv4 remote/group).</summary>
    public const ushort Group = 2;

    /// <summary>IFLA_VXLAN_LINK (u32 underlay ifindex).</summary>
    public const ushort Link = 3;

    /// <summary>IFLA_VXLAN_LOCAL (IPv4).</summary>
    public const ushort Local = 4;

    /// <summary>IFLA_VXLAN_TTL (u8).</summary>
    public const ushort Ttl = 5;

    /// <summary>IFLA_VXLAN_TOS (u8).</summary>
    public const ushort Tos = 6;

    /// <summary>IFLA_VXLAN_LEARNING (u8).</summary>
    public const ushort Learning = 7;

    /// <summary>IFLA_VXLAN_AGEING (u32).</summary>
    public const ushort Ageing = 8;

    /// <summary>IFLA_VXLAN_LIMIT (u32).</summary>
    public const ushort Limit = 9;

    /// <summary>IFLA_VXLAN_PORT_RANGE.</summary>
    public const ushort PortRange = 10;

    /// <summary>IFLA_VXLAN_PROXY (u8).</summary>
    public const ushort Proxy = 11;

    /// <summary>IFLA_VXLAN_RSC (u8).</summary>
    public const ushort Rsc = 12;

    /// <summary>IFLA_VXLAN_L2MISS (u8).</summary>
    public const ushort L2Miss = 13;

    /// <summary>IFLA_VXLAN_L3MISS (u8).</summary>
    public const ushort L3Miss = 14;

    /// <summary>IFLA_VXLAN_PORT (__be16).</summary>
    public const ushort Port = 15;

    /// <summary>IFLA_VXLAN_GROUP6.</summary>
    public const ushort Group6 = 16;

    /// <summary>IFLA_VXLAN_LOCAL6.</summary>
    public const ushort Local6 = 17;

    /// <summary>IFLA_VXLAN_UDP_CSUM (u8).</summary>
    public const ushort UdpChecksum = 18;

    /// <summary>IFLA_VXLAN_UDP_ZERO_CSUM6_TX (u8).</summary>
    public const ushort UdpZeroChecksum6Tx = 19;

    /// <summary>IFLA_VXLAN_UDP_ZERO_CSUM6_RX (u8).</summary>
    public const ushort UdpZeroChecksum6Rx = 20;

    /// <summary>IFLA_VXLAN_GBP (flag).</summary>
    public const ushort Gbp = 23;

    /// <summary>IFLA_VXLAN_COLLECT_METADATA (u8).</summary>
    public const ushort CollectMetadata = 25;
}
