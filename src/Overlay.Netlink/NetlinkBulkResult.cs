namespace Overlay.Netlink;

/// <summary>The outcome of a bulk call: how many succeeded and which failed.</summary>
/// <param name="Succeeded">Items the kernel accepted.</param>
/// <param name="Failures">Items the kernel refused, in input order.</param>
public sealed record NetlinkBulkResult(int Succeeded, IReadOnlyList<NetlinkBulkFailure> Failures)
{
    /// <summary>True when nothing failed.</summary>
    public bool IsSuccess => Failures.Count == 0;
}
