using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Subnets.Internal;

namespace Overlay.Subnets;

/// <summary>
/// The embedded registry: leases kept in this process, thread-safe, expiring through a
/// <see cref="TimeProvider"/>. Several agents in one process can share one instance (the demo and
/// the multi-node tests do). It uses the same allocation logic as the etcd registry.
/// </summary>
public sealed class InMemorySubnetRegistry : LeaseStoreSubnetRegistry, IDisposable
{
    private readonly InMemoryLeaseStore _store;

    /// <summary>Creates a registry for <paramref name="config"/>, which is validated now.</summary>
    /// <exception cref="NetworkConfigException">The configuration is invalid.</exception>
    public InMemorySubnetRegistry(NetworkConfig config, SubnetRegistryOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
        : this(CreateStore(config, timeProvider, loggerFactory), options, loggerFactory)
    {
    }

    private InMemorySubnetRegistry(InMemoryLeaseStore store, SubnetRegistryOptions? options, ILoggerFactory? loggerFactory)
        : base(store, options, loggerFactory)
    {
        _store = store;
    }

    /// <summary>Replaces the network configuration (as an operator editing etcd's config key would).</summary>
    /// <exception cref="NetworkConfigException">The configuration is invalid.</exception>
    public void SetNetworkConfig(NetworkConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _store.SetNetworkConfig(config);
    }

    /// <summary>
    /// Creates a reservation: a lease that never expires, tied to the node whose public address
    /// <paramref name="attributes"/> carries, and kept without expiry when that node renews it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The subnets overlap an existing lease.</exception>
    public Lease Reserve(IPNetwork? subnet, IPNetwork? ipv6Subnet, LeaseAttributes attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var lease = new Lease(subnet, ipv6Subnet, attributes, null); // validates the key
        _ = lease.Key;
        return _store.Reserve(lease);
    }

    /// <summary>Lists the current leases (expired ones are removed first).</summary>
    public async ValueTask<IReadOnlyList<Lease>> GetLeasesAsync(CancellationToken cancellationToken = default)
    {
        LeaseListing listing = await Store.ListLeasesAsync(cancellationToken).ConfigureAwait(false);
        return listing.Leases;
    }

    /// <summary>Ends every watch and stops the expiry timer.</summary>
    public void Dispose() => _store.Dispose();

    private static InMemoryLeaseStore CreateStore(NetworkConfig config, TimeProvider? timeProvider, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Overlay.Subnets.InMemory");
        return new InMemoryLeaseStore(config, timeProvider ?? TimeProvider.System, logger);
    }
}
