namespace Overlay.Netlink;

/// <summary>A rule was added or deleted.</summary>
/// <param name="Kind">Added or removed.</param>
/// <param name="Rule">The rule (with its handle).</param>
public sealed record NftRuleNotification(NetlinkChangeKind Kind, NftRule Rule) : NetlinkNotification(Kind);
