namespace Overlay.Netlink;

/// <summary>One refused item of a bulk call.</summary>
/// <param name="Index">The index of the item in the input list.</param>
/// <param name="Errno">The positive errno.</param>
/// <param name="ExtendedAckMessage">The kernel's extended-ack text, if any.</param>
public sealed record NetlinkBulkFailure(int Index, int Errno, string? ExtendedAckMessage);
