namespace Overlay.Netlink;

/// <summary>Policy direction (<c>XFRM_POLICY_IN/OUT/FWD</c>).</summary>
public enum XfrmPolicyDirection : byte
{
    /// <summary>XFRM_POLICY_IN.</summary>
    In = 0,

    /// <summary>XFRM_POLICY_OUT.</summary>
    Out = 1,

    /// <summary>XFRM_POLICY_FWD.</summary>
    Forward = 2,
}
