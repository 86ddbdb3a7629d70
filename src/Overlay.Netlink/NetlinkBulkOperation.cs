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
