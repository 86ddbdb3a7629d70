namespace Overlay.Netlink.Internal;

/// <summary>Netlink protocol numbers (the third argument of <c>socket(AF_NETLINK, …)</c>).</summary>
internal static class NetlinkProtocol
{
    /// <summary>NETLINK_ROUTE (rtnetlink).</summary>
    public const int Route = 0;

    /// <summary>NETLINK_XFRM.</summary>
    public const int Xfrm = 6;

    /// <summary>NETLINK_NETFILTER (nfnetlink: nf_tables and friends).</summary>
    public const int Netfilter = 12;
}
