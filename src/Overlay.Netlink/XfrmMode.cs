namespace Overlay.Netlink;

/// <summary>Transform mode (<c>XFRM_MODE_*</c>).</summary>
public enum XfrmMode : byte
{
    /// <summary>XFRM_MODE_TRANSPORT.</summary>
    Transport = 0,

    /// <summary>XFRM_MODE_TUNNEL.</summary>
    Tunnel = 1,

    /// <summary>XFRM_MODE_BEET.</summary>
    Beet = 4,
}
