namespace Overlay.Subnets;

/// <summary>
/// The storage seam under <see cref="LeaseStoreSubnetRegistry"/>: the few primitive operations a
/// key-value store must offer so that the allocation logic (reuse by public address, previous
/// subnet, reservations, choice of a new subnet, lost-race retries) is written once. The in-memory
/// registry and the etcd registry implement it; so can a third party's store.
/// </summary>
/// <remarks>Implementations are thread-safe and report transport failures as
/// <see cref="SubnetRegistryException"/> with <see cref="SubnetRegistryException.IsTransient"/> set.</remarks>
public interface ILeaseStore
{
    /// <summary>Reads the stored network configuration (parsed, not yet validated).</summary>
    /// <exception cref="SubnetRegistryException">No configuration is stored, or the store failed.</exception>
    ValueTask<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists every lease record: readable ones as leases, unreadable ones as errors (which
    /// the allocator still treats as taken when their key parses).</summary>
    ValueTask<LeaseListing> ListLeasesAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates the record for <paramref name="lease"/>'s key only if no record exists
    /// (flannel's <c>version(key) == 0</c> transaction), expiring after <paramref name="ttl"/>.</summary>
    /// <returns>The stored lease with its expiration, or <see langword="null"/> when the key exists.</returns>
    ValueTask<Lease?> CreateLeaseAsync(Lease lease, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rewrites the record for <paramref name="lease"/>'s key with its attributes, only if a record
    /// exists whose public address is the lease's. With a <paramref name="ttl"/> the record expires
    /// after it, except that a stored reservation stays a reservation; with <see langword="null"/>
    /// the record becomes a reservation.
    /// </summary>
    /// <returns>The stored lease, or <see langword="null"/> when there is no such record.</returns>
    ValueTask<Lease?> UpdateLeaseAsync(Lease lease, TimeSpan? ttl, CancellationToken cancellationToken = default);

    /// <summary>Deletes the record for <paramref name="lease"/>'s key.</summary>
    /// <returns><see langword="false"/> when there was none.</returns>
    ValueTask<bool> DeleteLeaseAsync(Lease lease, CancellationToken cancellationToken = default);

    /// <summary>Watches all lease records: a snapshot first, then changes (see
    /// <see cref="ISubnetRegistry.WatchLeasesAsync"/>).</summary>
    IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync(CancellationToken cancellationToken = default);
}
