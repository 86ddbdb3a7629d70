namespace Overlay.Netlink;

/// <summary>A transaction was committed (<c>NFT_MSG_NEWGEN</c>): it follows the notifications of that transaction's changes.</summary>
/// <param name="Generation">The new ruleset generation.</param>
/// <param name="ProcessId">The committing process, when the kernel reports it.</param>
/// <param name="ProcessName">The committing process's name, when reported.</param>
public sealed record NftGenerationNotification(uint Generation, int? ProcessId, string? ProcessName) : NetlinkNotification(NetlinkChangeKind.Added);
