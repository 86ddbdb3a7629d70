using System.Net;
using System.Net.Sockets;

namespace Overlay.Subnets;

/// <summary>
/// A node's claim on one subnet of the overlay network (or one of each family, for dual stack),
/// with the attributes it publishes.
/// </summary>
/// <param name="Subnet">The IPv4 subnet, or <see langword="null"/> for an IPv6-only lease.</param>
/// <param name="IPv6Subnet">The IPv6 subnet, or <see langword="null"/>.</param>
/// <param name="Attributes">What the node publishes (public address, backend type and data).</param>
/// <param name="Expiration">When the lease expires unless renewed; <see langword="null"/> when the
/// registry does not know (registries need not look up every peer's expiry) or the lease never
/// expires (a reservation).</param>
public sealed record Lease(IPNetwork? Subnet, IPNetwork? IPv6Subnet, LeaseAttributes Attributes, DateTimeOffset? Expiration)
{
    /// <summary>True for a reservation: a lease that does not expire and is kept without expiry on
    /// renewal (flannel's documented semantics for keys without an etcd lease).</summary>
    public bool IsReservation { get; init; }

    /// <summary>The lease's subnet key, <c>10.5.34.0-24</c> or <c>10.5.34.0-24&amp;fd00::-64</c>.</summary>
    public string Key => SubnetKey.Format(Subnet, IPv6Subnet);

    /// <summary>
    /// True when <paramref name="other"/> is for the same subnet, with flannel's rule: IPv4 subnets
    /// are compared for IPv4-only leases, IPv6 subnets for IPv6-only leases, both for dual stack.
    /// </summary>
    public bool IsSameSubnet(Lease other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Subnet == other.Subnet && IPv6Subnet == other.IPv6Subnet;
    }

    /// <summary>True when this lease's subnets overlap <paramref name="network"/>.</summary>
    public bool Overlaps(IPNetwork network) =>
        network.BaseAddress.AddressFamily == AddressFamily.InterNetwork
            ? Subnet is { } s && Internal.AddressMath.Overlaps(s, network)
            : IPv6Subnet is { } s6 && Internal.AddressMath.Overlaps(s6, network);

    /// <summary>Returns the key and the published attributes.</summary>
    public override string ToString() => $"{Key} {Attributes}";
}
