namespace Overlay.Netlink;

/// <summary>Route types (<c>RTN_*</c>).</summary>
public enum RouteType : byte
{
    /// <summary>RTN_UNSPEC.</summary>
    Unspecified = 0,

    /// <summary>RTN_UNICAST.</summary>
    Unicast = 1,

    /// <summary>RTN_LOCAL.</summary>
    Local = 2,

    /// <summary>RTN_BROADCAST.</summary>
    Broadcast = 3,

    /// <summary>RTN_ANYCAST.</summary>
    Anycast = 4,

    /// <summary>RTN_MULTICAST.</summary>
    Multicast = 5,

    /// <summary>RTN_BLACKHOLE.</summary>
    Blackhole = 6,

    /// <summary>RTN_UNREACHABLE.</summary>
    Unreachable = 7,

    /// <summary>RTN_PROHIBIT.</summary>
    Prohibit = 8,
}
