namespace Overlay.Subnets;

/// <summary>
/// Where nodes claim their subnets and learn each other's: the abstraction that registry
/// implementations (in-memory, etcd, Kubernetes, or a third party's) provide. Implementations are
/// thread-safe.
/// </summary>
public interface ISubnetRegistry
{
    /// <summary>Reads the network configuration, validated (derived defaults filled in).</summary>
    /// <exception cref="NetworkConfigException">The stored configuration is invalid.</exception>
    /// <exception cref="SubnetRegistryException">The registry cannot be read, or holds no configuration.</exception>
    ValueTask<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Acquires a lease for the node identified by <see cref="LeaseRequest.Attributes"/>'s public
    /// address: the lease it already holds if it fits the configuration, else the previous subnet if
    /// free, else a newly chosen one.
    /// </summary>
    /// <exception cref="SubnetsExhaustedException">No subnet is free.</exception>
    /// <exception cref="SubnetRegistryException">The registry failed.</exception>
    ValueTask<Lease> AcquireLeaseAsync(LeaseRequest request, CancellationToken cancellationToken = default);

    /// <summary>Extends a lease held by this node (a reservation stays a reservation).</summary>
    /// <returns>The lease with its new expiration.</returns>
    /// <exception cref="LeaseLostException">The lease no longer exists or belongs to another node.</exception>
    ValueTask<Lease> RenewLeaseAsync(Lease lease, CancellationToken cancellationToken = default);

    /// <summary>Gives a lease up (deletes it). Releasing a lease that no longer exists is not an error.</summary>
    ValueTask ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Watches all leases: the first batch is a snapshot, then one batch per observed change; after
    /// an interruption the implementation resumes or delivers a new snapshot. Ends with
    /// <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync(CancellationToken cancellationToken = default);
}
