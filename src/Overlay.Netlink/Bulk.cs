namespace Overlay.Netlink;

/// <summary>The action a bulk call applies to every item.</summary>
public enum NetlinkBulkOperation
{
    /// <summary>Create; fail for existing items (NLM_F_CREATE | NLM_F_EXCL).</summary>
    Add,

    /// <summary>Create or replace (NLM_F_CREATE | NLM_F_REPLACE).</summary>
    Replace,

    /// <summary>Create, appending to an existing list (NLM_F_CREATE | NLM_F_APPEND).</summary>
    Append,

    /// <summary>Delete.</summary>
    Delete,
}

/// <summary>The outcome of a bulk call: how many succeeded and which failed.</summary>
/// <param name="Succeeded">Items the kernel accepted.</param>
/// <param name="Failures">Items the kernel refused, in input order.</param>
public sealed record NetlinkBulkResult(int Succeeded, IReadOnlyList<NetlinkBulkFailure> Failures)
{
    /// <summary>True when nothing failed.</summary>
    public bool IsSuccess => Failures.Count == 0;
}

/// <summary>One refused item of a bulk call.</summary>
/// <param name="Index">The index of the item in the input list.</param>
/// <param name="Errno">The positive errno.</param>
/// <param name="ExtendedAckMessage">The kernel's extended-ack text, if any.</param>
public sealed record NetlinkBulkFailure(int Index, int Errno, string? ExtendedAckMessage);
