using Overlay.Subnets;

namespace Overlay.Backends;

/// <summary>How traffic to a peer travels.</summary>
public enum PeerMode
{
    /// <summary>Not programmed: the peer cannot be reached this way (see <see cref="PeerStatus.Reason"/>).</summary>
    Unreachable,

    /// <summary>A plain route via the peer's underlay address (host-gw, vxlan DirectRouting).</summary>
    Direct,

    /// <summary>VXLAN encapsulation.</summary>
    Vxlan,

    /// <summary>IP-in-IP encapsulation.</summary>
    IPIP,

    /// <summary>The user-space UDP tunnel.</summary>
    Udp,

    /// <summary>IPsec (ESP) tunnel.</summary>
    IPsec,

    /// <summary>A route in the cloud provider's route table.</summary>
    CloudRoute,

    /// <summary>Lease only: the backend programs nothing (alloc).</summary>
    None,
}
