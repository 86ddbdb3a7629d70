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

    /// <summary>
    /// Decodes a stored record — a registry key ending in a subnet key, and a lease value — as
    /// flanneld reads it. A record that is not a lease yields a <see cref="LeaseRecordError"/>
    /// naming the key and the reason (and the subnets, when the key itself parsed), never an exception.
    /// </summary>
    /// <param name="key">The record's key, for example <c>/coreos.com/network/subnets/10.5.34.0-24</c>.</param>
    /// <param name="value">The stored <see cref="LeaseAttributes"/> JSON.</param>
    /// <param name="expiration">The lease's expiry when the store knows it.</param>
    /// <param name="isReservation">True when the record never expires (a key without an etcd lease).</param>
    /// <param name="lease">The lease, when the record is one.</param>
    /// <param name="error">Why the record is not a lease, otherwise.</param>
    public static bool TryDecodeRecord(string key, ReadOnlySpan<byte> value, DateTimeOffset? expiration, bool isReservation,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Lease? lease, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out LeaseRecordError? error)
    {
        ArgumentNullException.ThrowIfNull(key);
        lease = null;
        if (!SubnetKey.TryParse(key, out IPNetwork? subnet, out IPNetwork? ipv6Subnet))
        {
            error = new LeaseRecordError(key, "the key does not end in a subnet key");
            return false;
        }

        try
        {
            LeaseAttributes attributes = LeaseAttributes.Parse(value);
            lease = new Lease(subnet, ipv6Subnet, attributes, isReservation ? null : expiration) { IsReservation = isReservation };
            error = null;
            return true;
        }
        catch (FormatException ex)
        {
            error = new LeaseRecordError(key, ex.Message) { Subnet = subnet, IPv6Subnet = ipv6Subnet };
            return false;
        }
    }

    /// <summary>Returns the key and the published attributes.</summary>
    public override string ToString() => $"{Key} {Attributes}";
}
