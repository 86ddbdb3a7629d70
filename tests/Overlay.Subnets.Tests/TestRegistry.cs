using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Overlay.Subnets.Internal;

namespace Overlay.Subnets.Tests;

/// <summary>A registry over an in-memory store that tests can seed directly.</summary>
internal sealed class TestRegistry : IDisposable
{
    public TestRegistry(string configJson, FakeTimeProvider? time = null, int seed = 1, ILeaseStore? wrap = null)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        Store = new InMemoryLeaseStore(NetworkConfig.Parse(configJson), Time, NullLogger.Instance);
        Registry = new LeaseStoreSubnetRegistry(wrap ?? Store, new SubnetRegistryOptions { Random = new Random(seed) });
    }

    public FakeTimeProvider Time { get; }

    public InMemoryLeaseStore Store { get; }

    public LeaseStoreSubnetRegistry Registry { get; }

    public static LeaseAttributes Node(string publicIp, string? publicIpv6 = null) => new()
    {
        PublicIP = IPAddress.Parse(publicIp),
        PublicIPv6 = publicIpv6 is null ? null : IPAddress.Parse(publicIpv6),
        BackendType = "vxlan",
    };

    public async Task<Lease> SeedAsync(string subnet, string publicIp, string? ipv6Subnet = null)
    {
        var lease = new Lease(IPNetwork.Parse(subnet), ipv6Subnet is null ? null : IPNetwork.Parse(ipv6Subnet), Node(publicIp), null);
        return (await Store.CreateLeaseAsync(lease, TimeSpan.FromHours(24)))!;
    }

    public async Task<IReadOnlyList<Lease>> LeasesAsync() => (await Store.ListLeasesAsync()).Leases;

    public void Dispose() => Store.Dispose();
}
