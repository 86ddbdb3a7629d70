using System.Collections.Concurrent;
using Overlay.Subnets.Etcd.Tests.Support;

namespace Overlay.Subnets.Etcd.Tests;

[Trait("Category", "Etcd")]
public sealed class RaceTests(EtcdFixture fixture) : EtcdTestBase(fixture), IClassFixture<EtcdFixture>
{
    [Fact]
    public async Task Fifty_registries_acquiring_at_once_get_distinct_subnets_and_losers_retry()
    {
        // 60 subnets for 50 nodes. The barrier holds every registry's first create transaction until all 50 have
        // listed (an empty subnets prefix) and chosen, so the choices collide for certain: registries 0 and 1 share a
        // seed and so choose the same subnet from the same listing, and only the version(key) == 0 transaction decides
        // between them. Whatever the scheduler does, at least one race is lost, and every loser must retry and succeed.
        await PutConfigAsync("{\"Network\":\"10.20.0.0/16\",\"SubnetMin\":\"10.20.1.0\",\"SubnetMax\":\"10.20.60.0\"}");
        const int Nodes = 50;
        var barrier = new FirstCreateBarrier(Nodes);
        EtcdSubnetRegistry[] registries = [.. Enumerable.Range(0, Nodes).Select(i => NewRegistry(o =>
        {
            o.Random = new Random(i == 1 ? 0 : i);
            o.MaxAcquireAttempts = 50;
            o.Interceptors = [barrier.ForRegistry()];
        }))];
        var leases = new ConcurrentBag<Lease>();
        Task[] nodes = [.. registries.Select((registry, i) => Task.Run(async () =>
            leases.Add(await registry.AcquireLeaseAsync(new LeaseRequest(Node($"198.18.1.{i + 1}")), Ct)), Ct))];
        await Task.WhenAll(nodes).WaitAsync(TimeSpan.FromMinutes(3), Ct);

        Assert.Equal(Nodes, barrier.Arrived);
        Assert.Equal(50, leases.Count);
        Assert.Equal(50, leases.Select(l => l.Subnet).Distinct().Count());
        Lease[] all = [.. leases];
        for (int i = 0; i < all.Length; i++)
        {
            for (int j = i + 1; j < all.Length; j++)
            {
                Assert.False(all[i].Overlaps(all[j].Subnet!.Value), $"{all[i].Key} overlaps {all[j].Key}");
            }
        }

        string[] keys = await Etcd.KeysAsync(Prefix + "/subnets");
        Assert.Equal(50, keys.Length);
        Assert.Equal(leases.Select(l => SubnetKey(l.Key)).Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == SubnetsEventIds.AllocationRaceLost); // there were losers, and they succeeded
        Assert.Equal(50, await Etcd.LeaseCountAsync()); // a lost race leaves no etcd lease behind
    }
}

[Trait("Category", "Etcd")]
public sealed class DualStackRaceTests(EtcdFixture fixture) : EtcdTestBase(fixture), IClassFixture<EtcdFixture>
{
    [Fact]
    public async Task Concurrent_dual_stack_acquisitions_never_share_an_ipv6_subnet()
    {
        // 255 IPv4 subnets but only 31 IPv6 ones: keys differ in their IPv4 part while the IPv6 choices collide,
        // which the version(key) == 0 compare alone cannot catch.
        await PutConfigAsync("{\"Network\":\"10.21.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"2001:db8:19::/59\"}");
        EtcdSubnetRegistry[] registries = [.. Enumerable.Range(0, 20).Select(i => NewRegistry(o =>
        {
            o.Random = new Random(1000 + i);
            o.MaxAcquireAttempts = 50;
        }))];
        using var start = new SemaphoreSlim(0);
        var leases = new ConcurrentBag<Lease>();
        Task[] nodes = [.. registries.Select((registry, i) => Task.Run(async () =>
        {
            await start.WaitAsync(Ct);
            leases.Add(await registry.AcquireLeaseAsync(new LeaseRequest(Node($"198.18.2.{i + 1}")), Ct));
        }, Ct))];
        start.Release(nodes.Length);
        await Task.WhenAll(nodes).WaitAsync(TimeSpan.FromMinutes(3), Ct);

        Assert.Equal(20, leases.Count);
        Assert.Equal(20, leases.Select(l => l.Subnet).Distinct().Count());
        Assert.Equal(20, leases.Select(l => l.IPv6Subnet).Distinct().Count());
        Assert.Equal(20, (await Etcd.KeysAsync(Prefix + "/subnets")).Length); // backed-off keys are gone
    }
}
