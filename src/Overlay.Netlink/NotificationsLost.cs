namespace Overlay.Netlink;

/// <summary>Events were lost because the socket overflowed (ENOBUFS); the caller must re-list.</summary>
public sealed record NotificationsLost() : NetlinkNotification(NetlinkChangeKind.Lost);
