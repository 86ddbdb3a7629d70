namespace Overlay.Netlink;

/// <summary>An xfrm policy (XFRM_MSG_NEWPOLICY / UPDPOLICY).</summary>
public sealed record XfrmPolicy
{
    /// <summary>The traffic selector.</summary>
    public required XfrmSelector Selector { get; init; }

    /// <summary>The direction.</summary>
    public required XfrmPolicyDirection Direction { get; init; }

    /// <summary>The action.</summary>
    public XfrmPolicyAction Action { get; init; }

    /// <summary>The priority (lower wins).</summary>
    public uint Priority { get; init; }

    /// <summary>The kernel's index (0 on add: the kernel chooses).</summary>
    public uint Index { get; init; }

    /// <summary>The mark, if any.</summary>
    public XfrmMark? Mark { get; init; }

    /// <summary>The templates.</summary>
    public IReadOnlyList<XfrmTemplate> Templates { get; init; } = [];
}
