using System.Net;
using Microsoft.Extensions.Time.Testing;
using static Overlay.Subnets.Tests.TestRegistry;

namespace Overlay.Subnets.Tests;

public sealed class InMemorySubnetRegistryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Watch_starts_with_a_snapshot_then_delivers_one_element_batches()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"10.3.0.0/16"}"""), new SubnetRegistryOptions { LeaseTtl = TimeSpan.FromSeconds(3) }, time);
        // Both subnets chosen by the test: a random first choice could take the one the second node asks for.
        Lease existing = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1")) { PreviousSubnet = IPNetwork.Parse("10.3.20.0/24") }, Ct);
        Assert.Equal(IPNetwork.Parse("10.3.20.0/24"), existing.Subnet);
        await using var watch = registry.WatchLeasesAsync(Ct).GetAsyncEnumerator(Ct);

        Assert.True(await watch.MoveNextAsync());
        Assert.True(watch.Current.IsSnapshot);
        Assert.Equal(existing, Assert.Single(watch.Current.Events).Lease);

        Lease foreign = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.2")) { PreviousSubnet = IPNetwork.Parse("10.3.30.0/24") }, Ct);
        Assert.True(await watch.MoveNextAsync());
        Assert.False(watch.Current.IsSnapshot);
        LeaseEvent added = Assert.Single(watch.Current.Events);
        Assert.Equal((LeaseEventKind.Added, IPNetwork.Parse("10.3.30.0/24")), (added.Kind, added.Lease.Subnet!.Value));

        // A 3 s lease expires and is reported removed (spec §7.3, one-element batches).
        time.Advance(TimeSpan.FromSeconds(3));
        var removed = new List<LeaseEvent>();
        while (removed.Count < 2)
        {
            Assert.True(await watch.MoveNextAsync());
            removed.AddRange(Assert.Single(watch.Current.Events) is var e ? [e] : []);
        }

        Assert.All(removed, e => Assert.Equal(LeaseEventKind.Removed, e.Kind));
        Assert.Equal(new[] { existing.Key, foreign.Key }.Order(StringComparer.Ordinal), removed.Select(e => e.Lease.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Several_agents_in_one_process_share_one_registry_concurrently()
    {
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"10.3.0.0/16"}"""));
        Lease[] leases = await Task.WhenAll(Enumerable.Range(1, 50).Select(i =>
            Task.Run(async () => await registry.AcquireLeaseAsync(new LeaseRequest(Node($"198.18.0.{i}")), Ct), Ct)));
        Assert.Equal(50, leases.Select(l => l.Subnet).Distinct().Count());
        Assert.Equal(50, (await registry.GetLeasesAsync(Ct)).Count);
    }

    [Fact]
    public async Task Config_can_be_changed_and_invalid_config_is_refused()
    {
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"10.3.0.0/16"}"""));
        Assert.Equal(24, (await registry.GetNetworkConfigAsync(Ct)).SubnetLen);
        registry.SetNetworkConfig(NetworkConfig.Parse("""{"Network":"10.4.0.0/16","SubnetLen":26}"""));
        Assert.Equal(26, (await registry.GetNetworkConfigAsync(Ct)).SubnetLen);
        Assert.Throws<NetworkConfigException>(() => registry.SetNetworkConfig(NetworkConfig.Parse("""{"Network":"10.4.0.0/30"}""")));
        Assert.Throws<NetworkConfigException>(() => new InMemorySubnetRegistry(NetworkConfig.Parse("{}")));
    }

    [Fact]
    public async Task Dispose_ends_running_watches()
    {
        var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"10.3.0.0/16"}"""));
        await using var watch = registry.WatchLeasesAsync(Ct).GetAsyncEnumerator(Ct);
        Assert.True(await watch.MoveNextAsync());
        ValueTask<bool> next = watch.MoveNextAsync();
        registry.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await next);
    }
}

public sealed class OwnLeaseWatchTests
{
    [Fact]
    public async Task Own_lease_is_seen_added_then_renewed_then_removed()
    {
        // spec §7.3 own-lease watch and renewal: first Added, a renewal is another Added with
        // unchanged attributes and a fresh 24 h expiry, a manual delete is Removed.
        CancellationToken ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"10.3.0.0/16"}"""), timeProvider: time);
        var attributes = Node("1.2.3.4") with { BackendData = System.Text.Json.JsonDocument.Parse("""{"Dummy":"test string"}""").RootElement.Clone() };
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(attributes), ct);
        await using var watch = registry.WatchLeasesAsync(ct).GetAsyncEnumerator(ct);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(lease, Assert.Single(watch.Current.Events).Lease);

        time.Advance(TimeSpan.FromSeconds(10));
        Lease renewed = await registry.RenewLeaseAsync(lease, ct);
        Assert.True(await watch.MoveNextAsync());
        LeaseEvent e = Assert.Single(watch.Current.Events);
        Assert.Equal(LeaseEventKind.Added, e.Kind);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromHours(24), e.Lease.Expiration);
        Assert.Equal("""{"PublicIP":"1.2.3.4","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"Dummy":"test string"}}""", e.Lease.Attributes.ToJson());
        Assert.Equal(renewed, e.Lease);

        await registry.ReleaseLeaseAsync(renewed, ct);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal((LeaseEventKind.Removed, lease.Key), (Assert.Single(watch.Current.Events).Kind, watch.Current.Events[0].Lease.Key));
    }
}
