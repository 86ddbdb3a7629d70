namespace Overlay.Netlink;

/// <summary>What happened to the object of a notification.</summary>
public enum NetlinkChangeKind
{
    /// <summary>Created or changed (RTM_NEW*).</summary>
    Added,

    /// <summary>Deleted (RTM_DEL*).</summary>
    Removed,

    /// <summary>The socket overflowed (ENOBUFS) and events were lost: re-list and diff.</summary>
    Lost,
}

/// <summary>A change reported by the kernel on an rtnetlink multicast group.</summary>
/// <param name="Kind">Added, removed, or lost events.</param>
public abstract record NetlinkNotification(NetlinkChangeKind Kind);

/// <summary>A link was created, changed or deleted.</summary>
/// <param name="Kind">The change.</param>
/// <param name="Link">The link.</param>
public sealed record LinkNotification(NetlinkChangeKind Kind, Link Link) : NetlinkNotification(Kind);

/// <summary>An address was added or removed.</summary>
/// <param name="Kind">The change.</param>
/// <param name="Address">The address.</param>
public sealed record AddressNotification(NetlinkChangeKind Kind, LinkAddress Address) : NetlinkNotification(Kind);

/// <summary>A route was added or removed.</summary>
/// <param name="Kind">The change.</param>
/// <param name="Route">The route.</param>
public sealed record RouteNotification(NetlinkChangeKind Kind, Route Route) : NetlinkNotification(Kind);

/// <summary>A neighbour entry was added, changed or removed.</summary>
/// <param name="Kind">The change.</param>
/// <param name="Neighbor">The entry.</param>
public sealed record NeighborNotification(NetlinkChangeKind Kind, Neighbor Neighbor) : NetlinkNotification(Kind);

/// <summary>A bridge/vxlan FDB entry was added or removed.</summary>
/// <param name="Kind">The change.</param>
/// <param name="Entry">The entry.</param>
public sealed record FdbNotification(NetlinkChangeKind Kind, FdbEntry Entry) : NetlinkNotification(Kind);

/// <summary>Events were lost because the socket overflowed (ENOBUFS); the caller must re-list.</summary>
public sealed record NotificationsLost() : NetlinkNotification(NetlinkChangeKind.Lost);
