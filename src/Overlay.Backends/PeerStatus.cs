using System.Net;
using Overlay.Subnets;

namespace Overlay.Backends;

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

    /// <summary>The peer's public IPv4 address; <see langword="null"/> for an IPv6-only peer.</summary>
    public IPAddress? PublicIP => Lease.Attributes.PublicIP;

    /// <summary>
    /// Data-path counters the backend keeps (for example the udp backend's tunnel packets, bytes and
    /// drops by reason), keyed by a stable name; <see langword="null"/> when the backend keeps none.
    /// A snapshot taken when <see cref="IOverlayNetwork.Peers"/> was read; not part of status changes.
    /// </summary>
    public IReadOnlyDictionary<string, long>? Counters { get; init; }

    /// <summary>True when the peer is programmed without error.</summary>
    public bool IsHealthy => Mode != PeerMode.Unreachable && LastError is null;
}
