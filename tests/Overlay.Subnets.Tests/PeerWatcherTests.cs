using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using Overlay.Testing;
using static Overlay.Subnets.Tests.TestRegistry;

namespace Overlay.Subnets.Tests;

public sealed class PeerWatcherTests
{
    private static readonly Lease Own = L("10.1.1.0/24", "198.18.0.1");

    private static Lease L(string subnet, string ip, string? data = null) =>
        new(IPNetwork.Parse(subnet), null, Node(ip) with { BackendData = data is null ? null : JsonDocument.Parse(data).RootElement.Clone() }, null);

    private static LeaseEventBatch Snapshot(params Lease[] leases) => LeaseEventBatch.Snapshot(leases);

    private static LeaseEventBatch Events(params LeaseEvent[] events) => new([.. events], IsSnapshot: false);

    private static LeaseEvent Added(Lease l) => new(LeaseEventKind.Added, l);

    private static LeaseEvent Removed(Lease l) => new(LeaseEventKind.Removed, l);

    private static string Describe(ImmutableArray<LeaseEvent> events) =>
        string.Join(",", events.Select(e => (e.Kind == LeaseEventKind.Added ? "+" : "-") + e.Lease.Key).Order(StringComparer.Ordinal));

    [Fact]
    public void Snapshot_reports_every_peer_but_the_own_lease()
    {
        var watcher = new PeerWatcher(Own);
        var events = watcher.Apply(Snapshot(Own, L("10.1.2.0/24", "198.18.0.2"), L("10.1.3.0/24", "198.18.0.3")));
        Assert.Equal("+10.1.2.0-24,+10.1.3.0-24", Describe(events));
        Assert.Equal(2, watcher.Peers.Count);
    }

    [Fact]
    public void Own_lease_is_never_reported_removed_on_a_later_resync()
    {
        // spec Q6 fixed.
        var watcher = new PeerWatcher(Own);
        watcher.Apply(Snapshot(Own, L("10.1.2.0/24", "198.18.0.2")));
        var events = watcher.Apply(Snapshot(L("10.1.2.0/24", "198.18.0.2")));
        Assert.Empty(events);
        Assert.Empty(watcher.Apply(Events(Removed(Own))));
        Assert.Empty(watcher.Apply(Events(Added(Own))));
    }

    [Fact]
    public void Resync_diffs_added_removed_and_changed_attributes()
    {
        // spec §2.10 plus Q20 fixed: a changed public IP seen only through a snapshot is reported.
        var watcher = new PeerWatcher(Own);
        watcher.Apply(Snapshot(L("10.1.2.0/24", "198.18.0.2"), L("10.1.3.0/24", "198.18.0.3"), L("10.1.4.0/24", "198.18.0.4")));
        var events = watcher.Apply(Snapshot(L("10.1.2.0/24", "198.18.0.2"), L("10.1.3.0/24", "198.18.0.33"), L("10.1.5.0/24", "198.18.0.5")));
        Assert.Equal("+10.1.3.0-24,+10.1.5.0-24,-10.1.4.0-24", Describe(events));
        Assert.Equal(IPAddress.Parse("198.18.0.33"), events.Single(e => e.Lease.Key == "10.1.3.0-24").Lease.Attributes.PublicIP);
    }

    [Fact]
    public void Changed_backend_data_of_a_known_subnet_is_delivered_again_and_renewals_are_not()
    {
        var watcher = new PeerWatcher(Own);
        watcher.Apply(Snapshot(L("10.1.2.0/24", "198.18.0.2", """{"VtepMAC":"aa:aa:aa:aa:aa:aa"}""")));
        Assert.Empty(watcher.Apply(Events(Added(L("10.1.2.0/24", "198.18.0.2", """{"VtepMAC":"aa:aa:aa:aa:aa:aa"}""") with { Expiration = DateTimeOffset.UnixEpoch }))));
        var events = watcher.Apply(Events(Added(L("10.1.2.0/24", "198.18.0.2", """{"VtepMAC":"bb:bb:bb:bb:bb:bb"}"""))));
        Assert.Equal("+10.1.2.0-24", Describe(events));
    }

    [Fact]
    public void Removal_of_an_unknown_peer_is_not_reported()
    {
        var watcher = new PeerWatcher(Own);
        watcher.Apply(Snapshot());
        Assert.Empty(watcher.Apply(Events(Removed(L("10.1.9.0/24", "198.18.0.9")))));
        var events = watcher.Apply(Events(Added(L("10.1.9.0/24", "198.18.0.9")), Removed(L("10.1.9.0/24", "198.18.0.9"))));
        Assert.Equal("+10.1.9.0-24,-10.1.9.0-24", Describe(events));
        Assert.Empty(watcher.Peers);
    }

    [Fact]
    public void Malformed_record_is_reported_and_skipped_never_removing_peers()
    {
        // spec Q7 fixed: flannel turns one unreadable record into "every peer removed".
        var logger = new ListLogger();
        var watcher = new PeerWatcher(Own, logger);
        watcher.Apply(Snapshot(L("10.1.2.0/24", "198.18.0.2"), L("10.1.3.0/24", "198.18.0.3")));

        var bad = new LeaseEventBatch([], IsSnapshot: false) { Errors = [new LeaseRecordError("/coreos.com/network/subnets/garbage", "not a subnet key")] };
        Assert.Empty(watcher.Apply(bad));
        Assert.Equal(2, watcher.Peers.Count);

        // In a snapshot, a known peer whose record became unreadable is kept as it was.
        var resync = new LeaseEventBatch([Added(L("10.1.2.0/24", "198.18.0.2"))], IsSnapshot: true)
        {
            Errors = [new LeaseRecordError("/coreos.com/network/subnets/10.1.3.0-24", "invalid JSON") { Subnet = IPNetwork.Parse("10.1.3.0/24") }],
        };
        Assert.Empty(watcher.Apply(resync));
        Assert.Equal(2, watcher.Peers.Count);
        Assert.Equal(2, logger.Entries.Count(e => e.EventId.Id == SubnetsEventIds.MalformedLeaseSkipped));
    }

    [Fact]
    public void Dual_stack_subnets_are_matched_on_both_families()
    {
        var own = new Lease(IPNetwork.Parse("10.1.1.0/24"), IPNetwork.Parse("fd00:1::/64"), Node("198.18.0.1"), null);
        var peer = new Lease(IPNetwork.Parse("10.1.2.0/24"), IPNetwork.Parse("fd00:2::/64"), Node("198.18.0.2"), null);
        var watcher = new PeerWatcher(own);
        Assert.Equal("+10.1.2.0-24&fd00:2::-64", Describe(watcher.Apply(Snapshot(own, peer))));
        Assert.Equal("-10.1.2.0-24&fd00:2::-64", Describe(watcher.Apply(Events(Removed(peer)))));
    }

    [Fact]
    public void New_own_lease_drops_a_peer_that_held_it()
    {
        var watcher = new PeerWatcher(Own);
        watcher.Apply(Snapshot(L("10.1.2.0/24", "198.18.0.2")));
        var events = watcher.SetOwnLease(L("10.1.2.0/24", "198.18.0.1"));
        Assert.Equal("-10.1.2.0-24", Describe(events));
        Assert.Empty(watcher.Peers);
    }

    [Fact]
    public async Task Watch_over_the_in_memory_registry_sees_joins_changes_and_expiry()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"10.1.0.0/16"}"""), new SubnetRegistryOptions { LeaseTtl = TimeSpan.FromMinutes(10) }, time);
        Lease own = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1")), ct);
        Lease a = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.2")), ct);

        var watcher = new PeerWatcher(own);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30)); // hang guard only
        await using var batches = watcher.WatchAsync(registry, cts.Token).GetAsyncEnumerator(cts.Token);

        Assert.True(await batches.MoveNextAsync());
        Assert.Equal("+" + a.Key, Describe(batches.Current));

        Lease b = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.3")), ct);
        Assert.True(await batches.MoveNextAsync());
        Assert.Equal("+" + b.Key, Describe(batches.Current));

        await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.3") with { BackendType = "host-gw" }), ct);
        Assert.True(await batches.MoveNextAsync());
        Assert.Equal("host-gw", Assert.Single(batches.Current).Lease.Attributes.BackendType);

        await registry.RenewLeaseAsync(own, ct); // own changes are never delivered
        time.Advance(TimeSpan.FromMinutes(10)); // a and b expire (own too; the keeper's business)
        Assert.True(await batches.MoveNextAsync());
        var removed = batches.Current.ToList();
        if (removed.Count < 2)
        {
            Assert.True(await batches.MoveNextAsync());
            removed.AddRange(batches.Current);
        }

        Assert.Equal(string.Join(",", new[] { "-" + a.Key, "-" + b.Key }.Order(StringComparer.Ordinal)), Describe([.. removed]));
    }

    [Fact]
    public async Task Watch_restarts_after_a_transient_failure_and_diffs_the_new_snapshot()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var flaky = new FlakyRegistry();
        var watcher = new PeerWatcher(Own, timeProvider: new ImmediateTimeProvider());
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        await using var batches = watcher.WatchAsync(flaky, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await batches.MoveNextAsync());
        Assert.Equal("+10.1.2.0-24,+10.1.3.0-24", Describe(batches.Current));
        Assert.True(await batches.MoveNextAsync()); // after the failure: 10.1.3 gone, 10.1.4 new
        Assert.Equal("+10.1.4.0-24,-10.1.3.0-24", Describe(batches.Current));
        Assert.Equal(2, flaky.Watches);
    }

    private sealed class FlakyRegistry : ISubnetRegistry
    {
        public int Watches { get; private set; }

        public ValueTask<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<Lease> AcquireLeaseAsync(LeaseRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<Lease> RenewLeaseAsync(Lease lease, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public async IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Watches++;
            if (Watches == 1)
            {
                yield return Snapshot(Own, L("10.1.2.0/24", "198.18.0.2"), L("10.1.3.0/24", "198.18.0.3"));
                throw new SubnetRegistryException("connection reset", isTransient: true);
            }

            yield return Snapshot(Own, L("10.1.2.0/24", "198.18.0.2"), L("10.1.4.0/24", "198.18.0.4"));
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    /// <summary>Timers that fire at once, so retry back-offs do not slow the test.</summary>
    private sealed class ImmediateTimeProvider : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            System.CreateTimer(callback, state, dueTime == Timeout.InfiniteTimeSpan ? dueTime : TimeSpan.Zero, period);
    }
}
