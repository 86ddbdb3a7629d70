using System.Collections.Immutable;

namespace Overlay.Subnets;

/// <summary>All lease records of a store at one point in time.</summary>
/// <param name="Leases">The readable leases.</param>
/// <param name="Errors">Records that could not be read.</param>
/// <param name="Revision">The store's revision of this listing (informational).</param>
public sealed record LeaseListing(ImmutableArray<Lease> Leases, ImmutableArray<LeaseRecordError> Errors, long Revision);
