using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Subnets.Internal;
using static Overlay.Subnets.Tests.TestRegistry;

namespace Overlay.Subnets.Tests;

/// <summary>A dual-stack lease key names both subnets; creating a lease must still refuse a subnet
/// that another key already holds (found by the Overlay.Hosting three-node test, where agents
/// acquire concurrently).</summary>
public sealed class InMemoryLeaseStoreOverlapTests
{
    private const string DualStack = """{"Network":"10.3.0.0/16","EnableIPv6":true,"IPv6Network":"fd00:3::/56"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_refuses_a_lease_sharing_one_family_subnet_with_another_key()
    {
        NetworkConfig config = NetworkConfig.Parse(DualStack).Validate();
        using var store = new InMemoryLeaseStore(config, TimeProvider.System, NullLogger.Instance);
        var first = new Lease(IPNetwork.Parse("10.3.1.0/24"), IPNetwork.Parse("fd00:3:0:1::/64"), Node("198.18.0.1", "2001:db8:18::1"), null);
        var sameV6 = new Lease(IPNetwork.Parse("10.3.2.0/24"), IPNetwork.Parse("fd00:3:0:1::/64"), Node("198.18.0.2", "2001:db8:18::2"), null);
        var sameV4 = new Lease(IPNetwork.Parse("10.3.1.0/24"), IPNetwork.Parse("fd00:3:0:2::/64"), Node("198.18.0.3", "2001:db8:18::3"), null);
        var distinct = new Lease(IPNetwork.Parse("10.3.2.0/24"), IPNetwork.Parse("fd00:3:0:2::/64"), Node("198.18.0.4", "2001:db8:18::4"), null);

        Assert.NotNull(await store.CreateLeaseAsync(first, TimeSpan.FromHours(1), Ct));
        Assert.Null(await store.CreateLeaseAsync(sameV6, TimeSpan.FromHours(1), Ct));
        Assert.Null(await store.CreateLeaseAsync(sameV4, TimeSpan.FromHours(1), Ct));
        Assert.NotNull(await store.CreateLeaseAsync(distinct, TimeSpan.FromHours(1), Ct));
    }

    [Fact]
    public async Task Concurrent_dual_stack_acquisitions_get_distinct_subnets_of_both_families()
    {
        // 64 IPv6 subnets for 40 nodes acquiring at once: collisions are likely without the check.
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(DualStack), new SubnetRegistryOptions { MaxAcquireAttempts = 100 });
        Lease[] leases = await Task.WhenAll(Enumerable.Range(1, 40).Select(i => Task.Run(async () =>
            await registry.AcquireLeaseAsync(new LeaseRequest(Node($"198.18.1.{i}", $"2001:db8:18::{i:x}")), Ct), Ct)));

        Assert.Equal(40, leases.Select(l => l.Subnet).Distinct().Count());
        Assert.Equal(40, leases.Select(l => l.IPv6Subnet).Distinct().Count());
        Assert.Equal(40, (await registry.GetLeasesAsync(Ct)).Count);
    }
}
