namespace Overlay.Netlink;

/// <summary>Interface flags (<c>IFF_*</c>, the low bits that matter here).</summary>
[Flags]
public enum InterfaceFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>IFF_UP: administratively up.</summary>
    Up = 0x1,

    /// <summary>IFF_BROADCAST.</summary>
    Broadcast = 0x2,

    /// <summary>IFF_LOOPBACK.</summary>
    Loopback = 0x8,

    /// <summary>IFF_POINTOPOINT.</summary>
    PointToPoint = 0x10,

    /// <summary>IFF_NOARP.</summary>
    NoArp = 0x80,

    /// <summary>IFF_PROMISC.</summary>
    Promiscuous = 0x100,

    /// <summary>IFF_MULTICAST.</summary>
    Multicast = 0x1000,

    /// <summary>IFF_LOWER_UP: the carrier is up.</summary>
    LowerUp = 0x10000,
}
