namespace Overlay.Netlink.Internal;

/// <summary>Neighbour attributes (<c>NDA_*</c>, linux/neighbour.h).</summary>
internal static class NdaType
{
    /// <summary>NDA_DST: the IP address (for FDB entries: the remote VTEP).</summary>
    public const ushort Destination = 1;

    /// <summary>NDA_LLADDR.</summary>
    public const ushort LinkLayerAddress = 2;

    /// <summary>NDA_CACHEINFO.</summary>
    public const ushort CacheInfo = 3;

    /// <summary>NDA_PROBES.</summary>
    public const ushort Probes = 4;

    /// <summary>NDA_VLAN.</summary>
    public const ushort Vlan = 5;

    /// <summary>NDA_PORT (__be16, vxlan FDB).</summary>
    public const ushort Port = 6;

    /// <summary>NDA_VNI (u32, vxlan FDB).</summary>
    public const ushort Vni = 7;

    /// <summary>NDA_IFINDEX (vxlan FDB: outgoing interface).</summary>
    public const ushort IfIndex = 8;

    /// <summary>NDA_MASTER.</summary>
    public const ushort Master = 9;

    /// <summary>NDA_PROTOCOL (u8): who installed the entry.</summary>
    public const ushort Protocol = 12;
}
