namespace Overlay.Netlink.Internal;

/// <summary>Link attributes (<c>IFLA_*</c>, linux/if_link.h).</summary>
internal static class IflaType
{
    /// <summary>IFLA_ADDRESS: hardware address.</summary>
    public const ushort Address = 1;

    /// <summary>IFLA_BROADCAST.</summary>
    public const ushort Broadcast = 2;

    /// <summary>IFLA_IFNAME.</summary>
    public const ushort IfName = 3;

    /// <summary>IFLA_MTU.</summary>
    public const ushort Mtu = 4;

    /// <summary>IFLA_LINK: the parent/underlay ifindex.</summary>
    public const ushort Link = 5;

    /// <summary>IFLA_MASTER.</summary>
    public const ushort Master = 10;

    /// <summary>IFLA_TXQLEN.</summary>
    public const ushort TxQueueLength = 13;

    /// <summary>IFLA_OPERSTATE.</summary>
    public const ushort OperState = 16;

    /// <summary>IFLA_LINKINFO (nested).</summary>
    public const ushort LinkInfo = 18;

    /// <summary>IFLA_NET_NS_PID.</summary>
    public const ushort NetNsPid = 19;

    /// <summary>IFLA_EXT_MASK.</summary>
    public const ushort ExtMask = 29;

    /// <summary>IFLA_NET_NS_FD.</summary>
    public const ushort NetNsFd = 28;

    /// <summary>IFLA_LINK_NETNSID.</summary>
    public const ushort LinkNetNsId = 37;
}
