namespace Overlay.Netlink.Internal;

/// <summary>rtnetlink message types (<c>RTM_*</c>, linux/rtnetlink.h).</summary>
internal static class RtmType
{
    /// <summary>RTM_NEWLINK.</summary>
    public const ushort NewLink = 16;

    /// <summary>RTM_DELLINK.</summary>
    public const ushort DelLink = 17;

    /// <summary>RTM_GETLINK.</summary>
    public const ushort GetLink = 18;

    /// <summary>RTM_NEWADDR.</summary>
    public const ushort NewAddress = 20;

    /// <summary>RTM_DELADDR.</summary>
    public const ushort DelAddress = 21;

    /// <summary>RTM_GETADDR.</summary>
    public const ushort GetAddress = 22;

    /// <summary>RTM_NEWROUTE.</summary>
    public const ushort NewRoute = 24;

    /// <summary>RTM_DELROUTE.</summary>
    public const ushort DelRoute = 25;

    /// <summary>RTM_GETROUTE.</summary>
    public const ushort GetRoute = 26;

    /// <summary>RTM_NEWNEIGH.</summary>
    public const ushort NewNeighbor = 28;

    /// <summary>RTM_DELNEIGH.</summary>
    public const ushort DelNeighbor = 29;

    /// <summary>RTM_GETNEIGH.</summary>
    public const ushort GetNeighbor = 30;
}
