using System.Net;

namespace Overlay.Subnets;

/// <summary>What a node asks for when it acquires a lease.</summary>
/// <param name="Attributes">The attributes to publish; <see cref="LeaseAttributes.PublicIP"/> (or
/// <see cref="LeaseAttributes.PublicIPv6"/> on an IPv6-only network) identifies the node.</param>
public sealed record LeaseRequest(LeaseAttributes Attributes)
{
    /// <summary>The IPv4 subnet the node held before (from subnet.env), tried first when free.</summary>
    public IPNetwork? PreviousSubnet { get; init; }

    /// <summary>The IPv6 subnet the node held before, tried together with <see cref="PreviousSubnet"/>.</summary>
    public IPNetwork? PreviousIPv6Subnet { get; init; }
}
