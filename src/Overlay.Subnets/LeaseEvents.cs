using System.Collections.Immutable;
using System.Net;

namespace Overlay.Subnets;

/// <summary>What happened to a lease.</summary>
public enum LeaseEventKind
{
    /// <summary>The lease was created or its attributes changed (flannel's <c>EventAdded</c>).</summary>
    Added = 0,

    /// <summary>The lease was deleted or expired (flannel's <c>EventRemoved</c>).</summary>
    Removed = 1,
}

/// <summary>One change of one lease.</summary>
/// <param name="Kind">Added (or changed) or removed.</param>
/// <param name="Lease">The lease; for <see cref="LeaseEventKind.Removed"/> it may carry only the subnets.</param>
public readonly record struct LeaseEvent(LeaseEventKind Kind, Lease Lease);

/// <summary>A record in the registry that could not be read as a lease; it is skipped, never
/// turned into a removal of other leases.</summary>
/// <param name="Key">The registry key of the record.</param>
/// <param name="Reason">Why it could not be read.</param>
public sealed record LeaseRecordError(string Key, string Reason)
{
    /// <summary>The IPv4 subnet of the key, when the key itself parsed.</summary>
    public IPNetwork? Subnet { get; init; }

    /// <summary>The IPv6 subnet of the key, when the key itself parsed.</summary>
    public IPNetwork? IPv6Subnet { get; init; }
}

/// <summary>
/// A batch from a lease watch: either a snapshot of all leases (the first batch of every watch,
/// and after a resynchronisation) or the changes observed since the previous batch.
/// </summary>
/// <param name="Events">The events; all <see cref="LeaseEventKind.Added"/> in a snapshot.</param>
/// <param name="IsSnapshot">True when <paramref name="Events"/> is the complete set of leases.</param>
public sealed record LeaseEventBatch(ImmutableArray<LeaseEvent> Events, bool IsSnapshot)
{
    /// <summary>Records that were present but unreadable; they are reported, not applied.</summary>
    public ImmutableArray<LeaseRecordError> Errors { get; init; } = [];

    /// <summary>A snapshot batch of the given leases.</summary>
    public static LeaseEventBatch Snapshot(IEnumerable<Lease> leases) =>
        new([.. leases.Select(l => new LeaseEvent(LeaseEventKind.Added, l))], IsSnapshot: true);
}
