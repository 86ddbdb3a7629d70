namespace Overlay.Netlink;

/// <summary>rtnetlink multicast groups for notifications.</summary>
[Flags]
public enum NetlinkGroups
{
    /// <summary>No group.</summary>
    None = 0,

    /// <summary>RTNLGRP_LINK.</summary>
    Link = 1 << 0,

    /// <summary>RTNLGRP_NEIGH (neighbours and bridge/vxlan FDB entries).</summary>
    Neighbor = 1 << 1,

    /// <summary>RTNLGRP_IPV4_IFADDR.</summary>
    IPv4Address = 1 << 2,

    /// <summary>RTNLGRP_IPV4_ROUTE.</summary>
    IPv4Route = 1 << 3,

    /// <summary>RTNLGRP_IPV6_IFADDR.</summary>
    IPv6Address = 1 << 4,

    /// <summary>RTNLGRP_IPV6_ROUTE.</summary>
    IPv6Route = 1 << 5,

    /// <summary>All addresses.</summary>
    Address = IPv4Address | IPv6Address,

    /// <summary>All routes.</summary>
    Route = IPv4Route | IPv6Route,

    /// <summary>Everything above.</summary>
    All = Link | Neighbor | Address | Route,
}
