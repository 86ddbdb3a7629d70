namespace Overlay.Netlink.Internal;

/// <summary>veth attributes inside IFLA_INFO_DATA (<c>VETH_INFO_*</c>).</summary>
internal static class VethInfoType
{
    /// <summary>VETH_INFO_PEER: an <c>ifinfomsg</c> followed by the peer's IFLA_* attributes.</summary>
    public const ushort Peer = 1;
}
