using System.Net;
using Overlay.Netlink;

namespace Overlay.Backends;

/// <summary>The outcome of <see cref="UnderlayRoutes.CheckOnLinkAsync"/>.</summary>
/// <param name="Verdict">The verdict.</param>
/// <param name="Address">The address looked up.</param>
/// <param name="Route">The route the kernel chose (the first one), when there is one.</param>
/// <param name="Reason">The verdict in words, for <see cref="PeerStatus.Reason"/> (e.g. <c>198.18.1.2 is on-link via eth0</c>,
/// <c>198.18.2.3 is not on-link: reached via router 198.18.1.254</c>).</param>
public sealed record OnLinkResult(OnLinkVerdict Verdict, IPAddress Address, Route? Route, string Reason)
{
    /// <summary>True when the address is on-link.</summary>
    public bool IsOnLink => Verdict == OnLinkVerdict.OnLink;
}
