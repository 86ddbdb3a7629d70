using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Subnets.Internal;

namespace Overlay.Subnets;

/// <summary>
/// An <see cref="ISubnetRegistry"/> over any <see cref="ILeaseStore"/>: flannel's lease logic
/// (acquisition, subnet choice, reservations) written once. Acquisition reuses the lease that carries the node's public
/// address when it fits the configuration (deleting it when it does not), then the previous subnet
/// when it is free, then a new subnet chosen at random among the first 100 free ones; a lost
/// create race is retried with a fresh listing. Unreadable records count as taken, and a lease
/// without an IPv6 part overlaps nothing of IPv6.
/// </summary>
public class LeaseStoreSubnetRegistry : ISubnetRegistry
{
    private readonly SubnetRegistryOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a registry over <paramref name="store"/>.</summary>
    public LeaseStoreSubnetRegistry(ILeaseStore store, SubnetRegistryOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _options = options ?? new SubnetRegistryOptions();
        _options.Validate();
        Store = store;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Overlay.Subnets.Registry");
    }

    /// <summary>The store under this registry.</summary>
    protected ILeaseStore Store { get; }

    /// <summary>The registry's settings.</summary>
    protected SubnetRegistryOptions Options => _options;

    /// <summary>Statistics of the last allocation, for tests and diagnostics.</summary>
    internal int LastCandidatesExamined { get; private set; }

    /// <inheritdoc />
    public async ValueTask<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default)
    {
        NetworkConfig config = await Store.GetNetworkConfigAsync(cancellationToken).ConfigureAwait(false);
        return config.Validate();
    }

    /// <inheritdoc />
    public async ValueTask<Lease> AcquireLeaseAsync(LeaseRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        LeaseAttributes attributes = request.Attributes ?? throw new ArgumentException("The request has no attributes.", nameof(request));
        for (int attempt = 1; ; attempt++)
        {
            NetworkConfig config = await GetNetworkConfigAsync(cancellationToken).ConfigureAwait(false);
            CheckIdentity(config, attributes);
            LeaseListing listing = await Store.ListLeasesAsync(cancellationToken).ConfigureAwait(false);
            Lease? acquired = await TryAcquireAsync(config, listing, request, cancellationToken).ConfigureAwait(false);
            if (acquired is not null)
            {
                Log.LeaseAcquired(_logger, acquired.Key, attributes.PublicIP ?? attributes.PublicIPv6, acquired.Expiration);
                return acquired;
            }

            if (attempt >= _options.MaxAcquireAttempts)
            {
                throw new SubnetRegistryException(
                    $"Could not acquire a lease after {attempt} attempts: other nodes kept taking the chosen subnets first.", isTransient: true);
            }

            Log.AllocationRaceLost(_logger, attempt);
        }
    }

    /// <inheritdoc />
    public async ValueTask<Lease> RenewLeaseAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        Lease? renewed = await Store.UpdateLeaseAsync(lease, lease.IsReservation ? null : _options.LeaseTtl, cancellationToken).ConfigureAwait(false);
        if (renewed is null)
        {
            throw new LeaseLostException($"Lease {lease.Key} no longer exists (deleted, expired, or taken by another node).");
        }

        Log.LeaseRenewed(_logger, renewed.Key, renewed.Expiration);
        return renewed;
    }

    /// <inheritdoc />
    public async ValueTask ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        await Store.DeleteLeaseAsync(lease, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync(CancellationToken cancellationToken = default) =>
        Store.WatchLeasesAsync(cancellationToken);

    /// <summary>True when <paramref name="lease"/> fits <paramref name="config"/>: for each enabled
    /// family a subnet of the configured length inside [min, max]; no subnet of a disabled family.</summary>
    public static bool IsCompatible(Lease lease, NetworkConfig config)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(config);
        return IsCompatible(lease.Subnet, config.EnableIPv4, config.SubnetLen, config.SubnetMin, config.SubnetMax)
            && IsCompatible(lease.IPv6Subnet, config.EnableIPv6, config.IPv6SubnetLen, config.IPv6SubnetMin, config.IPv6SubnetMax);
    }

    private static bool IsCompatible(IPNetwork? subnet, bool enabled, int length, IPAddress? min, IPAddress? max)
    {
        if (!enabled)
        {
            return subnet is null;
        }

        if (subnet is not { } s || min is null || max is null || s.PrefixLength != length)
        {
            return false;
        }

        UInt128 address = AddressMath.ToUInt128(s.BaseAddress);
        return address >= AddressMath.ToUInt128(min) && address <= AddressMath.ToUInt128(max);
    }

    private static void CheckIdentity(NetworkConfig config, LeaseAttributes attributes)
    {
        if (config.EnableIPv4 && attributes.PublicIP is null)
        {
            throw new ArgumentException("An IPv4 or dual-stack network needs the node's PublicIP in the lease attributes.", nameof(attributes));
        }

        if (!config.EnableIPv4 && attributes.PublicIPv6 is null)
        {
            throw new ArgumentException("An IPv6-only network needs the node's PublicIPv6 in the lease attributes.", nameof(attributes));
        }
    }

    private static bool IsSameNode(Lease lease, LeaseAttributes attributes, NetworkConfig config) =>
        config.EnableIPv4
            ? attributes.PublicIP is not null && attributes.PublicIP.Equals(lease.Attributes.PublicIP)
            : attributes.PublicIPv6 is not null && attributes.PublicIPv6.Equals(lease.Attributes.PublicIPv6);

    private async ValueTask<Lease?> TryAcquireAsync(NetworkConfig config, LeaseListing listing, LeaseRequest request, CancellationToken cancellationToken)
    {
        LeaseAttributes attributes = request.Attributes;

        // 1. Reuse the lease that carries this node's identity.
        Lease? mine = listing.Leases.FirstOrDefault(l => IsSameNode(l, attributes, config));
        if (mine is not null)
        {
            if (IsCompatible(mine, config))
            {
                return await Store.UpdateLeaseAsync(mine with { Attributes = attributes }, _options.LeaseTtl, cancellationToken).ConfigureAwait(false);
            }

            Log.IncompatibleLeaseDeleted(_logger, mine.Key);
            await Store.DeleteLeaseAsync(mine, cancellationToken).ConfigureAwait(false);
            // It stays in the listing below, so its subnet is not chosen again in this round.
        }

        List<IPNetwork> taken4 = [];
        List<IPNetwork> taken6 = [];
        foreach (Lease lease in listing.Leases)
        {
            AddTaken(lease.Subnet, lease.IPv6Subnet);
        }

        foreach (LeaseRecordError error in listing.Errors)
        {
            AddTaken(error.Subnet, error.IPv6Subnet);
        }

        // 2. The previous subnet, when free and compatible.
        IPNetwork? subnet = null, ipv6Subnet = null;
        bool chosen = false;
        if (request.PreviousSubnet is not null || request.PreviousIPv6Subnet is not null)
        {
            var previous = new Lease(request.PreviousSubnet, request.PreviousIPv6Subnet, attributes, null);
            bool free = (previous.Subnet is not { } p4 || !taken4.Any(t => AddressMath.Overlaps(t, p4)))
                && (previous.IPv6Subnet is not { } p6 || !taken6.Any(t => AddressMath.Overlaps(t, p6)));
            if (free && IsCompatible(previous, config))
            {
                (subnet, ipv6Subnet, chosen) = (previous.Subnet, previous.IPv6Subnet, true);
            }
            else
            {
                Log.PreviousSubnetIgnored(_logger, previous.Key, free ? "it does not fit the network configuration" : "another lease holds it");
            }
        }

        // 3. A new subnet.
        if (!chosen)
        {
            Random random = _options.Random ?? Random.Shared;
            int examined = 0;
            if (config.EnableIPv4)
            {
                subnet = SubnetAllocator.Choose(config.SubnetMin!, config.SubnetMax!, config.SubnetLen, taken4, random, out examined)
                    ?? throw Exhausted(config.Network, config.SubnetMin!, config.SubnetMax!, config.SubnetLen);
            }

            if (config.EnableIPv6)
            {
                ipv6Subnet = SubnetAllocator.Choose(config.IPv6SubnetMin!, config.IPv6SubnetMax!, config.IPv6SubnetLen, taken6, random, out int examined6)
                    ?? throw Exhausted(config.IPv6Network, config.IPv6SubnetMin!, config.IPv6SubnetMax!, config.IPv6SubnetLen);
                examined += examined6;
            }

            LastCandidatesExamined = examined;
        }

        return await Store.CreateLeaseAsync(new Lease(subnet, ipv6Subnet, attributes, null), _options.LeaseTtl, cancellationToken).ConfigureAwait(false);

        void AddTaken(IPNetwork? s4, IPNetwork? s6)
        {
            if (s4 is { } a)
            {
                taken4.Add(a);
            }

            if (s6 is { } b)
            {
                taken6.Add(b);
            }
        }
    }

    private static SubnetsExhaustedException Exhausted(IPNetwork? network, IPAddress min, IPAddress max, int length) =>
        new($"Out of subnets: every /{length} subnet of {network} from {IPAddressText.Format(min)} to {IPAddressText.Format(max)} " +
            $"({NetworkConfig.CountSubnets(min, max, length)} in all) is leased or reserved.");
}
