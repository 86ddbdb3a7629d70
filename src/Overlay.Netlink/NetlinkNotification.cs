namespace Overlay.Netlink;

/// <summary>A change reported by the kernel on an rtnetlink multicast group.</summary>
/// <param name="Kind">Added, removed, or lost events.</param>
public abstract record NetlinkNotification(NetlinkChangeKind Kind);
