namespace Overlay.Netlink;

/// <summary>A route was added or removed.</summary>
/// <param name="Kind">The change.</param>
/// <param name="Route">The route.</param>
public sealed record RouteNotification(NetlinkChangeKind Kind, Route Route) : NetlinkNotification(Kind);
