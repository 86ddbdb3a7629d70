namespace Overlay.Netlink;

/// <summary>Policy action.</summary>
public enum XfrmPolicyAction : byte
{
    /// <summary>XFRM_POLICY_ALLOW.</summary>
    Allow = 0,

    /// <summary>XFRM_POLICY_BLOCK.</summary>
    Block = 1,
}
