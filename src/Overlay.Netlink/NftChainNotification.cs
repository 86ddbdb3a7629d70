namespace Overlay.Netlink;

/// <summary>A chain was added, changed or deleted.</summary>
/// <param name="Kind">Added or removed.</param>
/// <param name="Chain">The chain.</param>
public sealed record NftChainNotification(NetlinkChangeKind Kind, NftChain Chain) : NetlinkNotification(Kind);
