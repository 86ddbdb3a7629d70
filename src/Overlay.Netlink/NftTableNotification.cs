namespace Overlay.Netlink;

/// <summary>A table was added or deleted (by anyone: this process, nft, iptables-nft...).</summary>
/// <param name="Kind">Added or removed.</param>
/// <param name="Table">The table.</param>
public sealed record NftTableNotification(NetlinkChangeKind Kind, NftTable Table) : NetlinkNotification(Kind);
