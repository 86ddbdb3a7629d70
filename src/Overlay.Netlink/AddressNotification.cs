namespace Overlay.Netlink;

/// <summary>An address was added or removed.</summary>
/// <param name="Kind">The change.</param>
/// <param name="Address">The address.</param>
public sealed record AddressNotification(NetlinkChangeKind Kind, LinkAddress Address) : NetlinkNotification(Kind);
