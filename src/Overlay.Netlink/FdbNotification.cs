namespace Overlay.Netlink;

/// <summary>A bridge/vxlan FDB entry was added or removed.</summary>
/// <param name="Kind">The change.</param>
/// <param name="Entry">The entry.</param>
public sealed record FdbNotification(NetlinkChangeKind Kind, FdbEntry Entry) : NetlinkNotification(Kind);
