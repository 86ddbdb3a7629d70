using System.Net;
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

/// <summary>The state of one peer as a network sees it.</summary>
/// <param name="Key">The peer's subnet key.</param>
/// <param name="Lease">The peer's lease.</param>
/// <param name="Mode">How traffic to it travels.</param>
/// <param name="Reason">Why this mode was chosen (for <see cref="PeerMode.Unreachable"/>: why it is unreachable).</param>
/// <param name="LastError">The last programming error, or <see langword="null"/> when the last attempt succeeded.</param>
/// <param name="LastChange">When the mode, reason or error last changed.</param>
public sealed record PeerStatus(string Key, Lease Lease, PeerMode Mode, string Reason, string? LastError, DateTimeOffset LastChange)
{
    /// <summary>The peer's IPv4 subnet.</summary>
    public IPNetwork? Subnet => Lease.Subnet;

    /// <summary>The peer's IPv6 subnet.</summary>
    public IPNetwork? IPv6Subnet => Lease.IPv6Subnet;

    /// <summary>The peer's public IPv4 address.</summary>
    public IPAddress PublicIP => Lease.Attributes.PublicIP;

    /// <summary>
    /// Data-path counters the backend keeps (for example the udp backend's tunnel packets, bytes and
    /// drops by reason), keyed by a stable name; <see langword="null"/> when the backend keeps none.
    /// A snapshot taken when <see cref="IOverlayNetwork.Peers"/> was read; not part of status changes.
    /// </summary>
    public IReadOnlyDictionary<string, long>? Counters { get; init; }

    /// <summary>True when the peer is programmed without error.</summary>
    public bool IsHealthy => Mode != PeerMode.Unreachable && LastError is null;
}

/// <summary>Data of <see cref="IOverlayNetwork.PeerStatusChanged"/>.</summary>
public sealed class PeerStatusChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public PeerStatusChangedEventArgs(PeerStatus? previous, PeerStatus? current)
    {
        Previous = previous;
        Current = current;
    }

    /// <summary>The status before the change; <see langword="null"/> for a new peer.</summary>
    public PeerStatus? Previous { get; }

    /// <summary>The status after the change; <see langword="null"/> when the peer was removed.</summary>
    public PeerStatus? Current { get; }
}
