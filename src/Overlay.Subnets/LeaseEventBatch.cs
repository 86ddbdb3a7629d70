using System.Collections.Immutable;

namespace Overlay.Subnets;

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
