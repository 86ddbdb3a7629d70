namespace Overlay.Netlink.Internal;

/// <summary>XFRM message types (<c>XFRM_MSG_*</c>, linux/xfrm.h).</summary>
internal static class XfrmMessageType
{
    /// <summary>XFRM_MSG_NEWSA.</summary>
    public const ushort NewState = 16;

    /// <summary>XFRM_MSG_DELSA.</summary>
    public const ushort DeleteState = 17;

    /// <summary>XFRM_MSG_GETSA.</summary>
    public const ushort GetState = 18;

    /// <summary>XFRM_MSG_NEWPOLICY.</summary>
    public const ushort NewPolicy = 19;

    /// <summary>XFRM_MSG_DELPOLICY.</summary>
    public const ushort DeletePolicy = 20;

    /// <summary>XFRM_MSG_GETPOLICY.</summary>
    public const ushort GetPolicy = 21;

    /// <summary>XFRM_MSG_UPDPOLICY.</summary>
    public const ushort UpdatePolicy = 25;

    /// <summary>XFRM_MSG_UPDSA.</summary>
    public const ushort UpdateState = 26;

    /// <summary>XFRM_MSG_FLUSHSA.</summary>
    public const ushort FlushStates = 28;

    /// <summary>XFRM_MSG_FLUSHPOLICY.</summary>
    public const ushort FlushPolicies = 29;
}
