namespace Overlay.Netlink;

/// <summary>Route flags (<c>rtm_flags</c>: <c>RTNH_F_*</c> and <c>RTM_F_*</c>).</summary>
[Flags]
public enum RouteFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>RTNH_F_DEAD.</summary>
    Dead = 0x1,

    /// <summary>RTNH_F_PERVASIVE.</summary>
    Pervasive = 0x2,

    /// <summary>RTNH_F_ONLINK: the gateway is on the link even if no prefix says so.</summary>
    OnLink = 0x4,

    /// <summary>RTNH_F_LINKDOWN.</summary>
    LinkDown = 0x10,

    /// <summary>RTM_F_NOTIFY.</summary>
    Notify = 0x100,

    /// <summary>RTM_F_CLONED.</summary>
    Cloned = 0x200,

    /// <summary>RTM_F_LOOKUP_TABLE (get-route: return the table the route was found in).</summary>
    LookupTable = 0x1000,
}
