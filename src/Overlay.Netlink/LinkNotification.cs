namespace Overlay.Netlink;

/// <summary>A link was created, changed or deleted.</summary>
/// <param name="Kind">The change.</param>
/// <param name="Link">The link.</param>
public sealed record LinkNotification(NetlinkChangeKind Kind, Link Link) : NetlinkNotification(Kind);
