namespace Overlay.Netlink;

/// <summary>A neighbour entry was added, changed or removed.</summary>
/// <param name="Kind">The change.</param>
/// <param name="Neighbor">The entry.</param>
public sealed record NeighborNotification(NetlinkChangeKind Kind, Neighbor Neighbor) : NetlinkNotification(Kind);
