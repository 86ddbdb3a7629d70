using System.Net;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Overlay.Subnets.Etcd.Tests.Support;

namespace Overlay.Subnets.Etcd.Tests;

/// <summary>The all-leases watch: snapshot, live events, resumption, compaction resync (spec §2.10, §7.3).</summary>
[Trait("Category", "Etcd")]
public sealed class WatchTests(EtcdFixture fixture) : EtcdTestBase(fixture), IClassFixture<EtcdFixture>
{
    private const string Config = "{\"Network\":\"10.3.0.0/16\"}";
    private const string Value = "{\"PublicIP\":\"1.1.1.1\",\"PublicIPv6\":null}";

    [Fact]
    public async Task Snapshot_first_then_one_added_and_one_removed()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync(Config);
        await Etcd.PutAsync(SubnetKey("10.3.1.0-24"), Value);
        await using WatchSession watch = Watch(registry);

        LeaseEventBatch snapshot = await watch.NextAsync();
        Assert.True(snapshot.IsSnapshot);
        Assert.Equal("10.3.1.0-24", Assert.Single(snapshot.Events).Lease.Key);

        await Etcd.PutAsync(SubnetKey("10.1.5.0-24"), "{\"PublicIP\":\"1.2.3.4\",\"PublicIPv6\":null}");
        LeaseEventBatch added = await watch.NextAsync();
        Assert.False(added.IsSnapshot);
        LeaseEvent a = Assert.Single(added.Events);
        Assert.Equal(LeaseEventKind.Added, a.Kind);
        Assert.Equal(IPNetwork.Parse("10.1.5.0/24"), a.Lease.Subnet);
        Assert.Equal(IPAddress.Parse("1.2.3.4"), a.Lease.Attributes.PublicIP);

        await Etcd.CtlAsync("del", SubnetKey("10.1.5.0-24"));
        LeaseEvent r = Assert.Single((await watch.NextAsync()).Events);
        Assert.Equal(LeaseEventKind.Removed, r.Kind);
        Assert.Equal(IPNetwork.Parse("10.1.5.0/24"), r.Lease.Subnet);
    }

    [Fact]
    public async Task The_peer_watch_never_reports_the_own_lease_and_a_foreign_lease_arrives_as_one_added()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.3.0.0/16\",\"SubnetMin\":\"10.3.1.0\",\"SubnetMax\":\"10.3.25.0\"}");
        Lease own = await registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);
        var peers = new PeerWatcher(own);
        await using var watch = new WatchSession(ct => LeaseTests.Batches(peers, registry, ct));
        Assert.Empty((await watch.NextAsync()).Events);

        await registry.RenewLeaseAsync(own, Ct); // a PUT of the own key: not reported
        await Etcd.PutAsync(SubnetKey("10.3.30.0-24"), Value);
        LeaseEvent e = Assert.Single((await watch.NextAsync()).Events);
        Assert.Equal(LeaseEventKind.Added, e.Kind);
        Assert.Equal("10.3.30.0-24", e.Lease.Key);
    }

    [Fact]
    public async Task Malformed_records_are_reported_and_never_hide_the_others()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.3.0.0/16\",\"SubnetMin\":\"10.3.1.0\",\"SubnetMax\":\"10.3.12.0\"}");
        await Etcd.PutAsync(SubnetKey("10.3.1.0-24"), Value);
        await Etcd.PutAsync(SubnetKey("10.3.7.0-24"), "{not json");
        await Etcd.PutAsync(SubnetKey("10.3.8.0-24"), "{\"PublicIP\":\"2001:db8::1\"}"); // flannel rejects an IPv6 PublicIP
        await Etcd.PutAsync(SubnetKey("10.3.9.0-24"), "{\"publicip\":\"9.9.9.9\",\"backendtype\":\"host-gw\",\"Extra\":1}"); // case-insensitive, unknown ignored
        await Etcd.PutAsync(SubnetKey("10.3.10.0-24"), "{\"BackendType\":\"vxlan\"}"); // absent PublicIP: none (flannel's 0.0.0.0)
        await Etcd.PutAsync(Prefix + "/subnets/garbage", Value);
        await Etcd.PutAsync(Prefix + "/subnetsX/10.3.11.0-24", Value); // flannel's string prefix matches this too

        await using WatchSession watch = Watch(registry);
        LeaseEventBatch snapshot = await watch.NextAsync();
        Assert.True(snapshot.IsSnapshot);
        Assert.Equal(["10.3.1.0-24", "10.3.10.0-24", "10.3.11.0-24", "10.3.9.0-24"], snapshot.Events.Select(e => e.Lease.Key).Order(StringComparer.Ordinal));
        Lease lenient = snapshot.Events.Single(e => e.Lease.Key == "10.3.9.0-24").Lease;
        Assert.Equal(IPAddress.Parse("9.9.9.9"), lenient.Attributes.PublicIP);
        Assert.Equal("host-gw", lenient.Attributes.BackendType);
        Assert.Null(snapshot.Events.Single(e => e.Lease.Key == "10.3.10.0-24").Lease.Attributes.PublicIP);
        Assert.Equal([SubnetKey("10.3.7.0-24"), SubnetKey("10.3.8.0-24"), Prefix + "/subnets/garbage"],
            snapshot.Errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(IPNetwork.Parse("10.3.7.0/24"), snapshot.Errors.Single(e => e.Key.EndsWith("10.3.7.0-24", StringComparison.Ordinal)).Subnet);

        // Live: a bad value is an error entry, never a removal of the others.
        await Etcd.PutAsync(SubnetKey("10.3.1.0-24"), "[]");
        LeaseEventBatch bad = await watch.NextAsync();
        Assert.False(bad.IsSnapshot);
        Assert.Empty(bad.Events);
        Assert.Equal(SubnetKey("10.3.1.0-24"), Assert.Single(bad.Errors).Key);

        var peers = new PeerWatcher(null, Logs);
        peers.Apply(snapshot);
        Assert.Empty(peers.Apply(bad));
        Assert.Equal(4, peers.Peers.Count);
        Assert.Contains(Logs.Entries, e => e.EventId.Id == SubnetsEventIds.MalformedLeaseSkipped);

        // Listing for allocation warns, and counts the unreadable-but-keyed records as taken.
        LeaseListing listing = await registry.ListLeasesAsync(Ct);
        Assert.Equal(4, listing.Errors.Length);
        Assert.Contains(Logs.Entries, e => e.EventId.Id == EtcdEventIds.MalformedRecordSkipped && e.Message.Contains("10.3.7.0-24"));
        for (int i = 0; i < 6; i++)
        {
            Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.4." + (i + 1))), Ct);
            Assert.DoesNotContain(lease.Key, (string[])["10.3.1.0-24", "10.3.7.0-24", "10.3.8.0-24", "10.3.9.0-24", "10.3.10.0-24", "10.3.11.0-24"]);
        }
    }

    [Fact]
    public async Task A_watch_starting_below_the_compaction_delivers_a_snapshot_then_live_events()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync(Config);
        await Etcd.PutAsync(SubnetKey("10.3.1.0-24"), Value);
        await Etcd.CompactAsync(await Etcd.RevisionAsync());

        await using var watch = new WatchSession(ct => registry.WatchFromRevisionAsync(1, ct));
        LeaseEventBatch snapshot = await watch.NextAsync();
        Assert.True(snapshot.IsSnapshot);
        Assert.Contains(snapshot.Events, e => e.Lease.Key == "10.3.1.0-24");
        Assert.Contains(Logs.Entries, e => e.EventId.Id == EtcdEventIds.WatchCompacted);

        await Etcd.PutAsync(SubnetKey("10.3.2.0-24"), Value);
        LeaseEventBatch live = await watch.NextAsync();
        Assert.False(live.IsSnapshot);
        Assert.Equal("10.3.2.0-24", Assert.Single(live.Events).Lease.Key);
    }

    [Fact]
    public async Task After_a_disconnect_the_watch_resumes_from_its_revision_without_a_snapshot()
    {
        await using var proxy = new TcpProxy(Etcd.ClientPort);
        using EtcdSubnetRegistry registry = NewRegistry(endpoint: proxy.Endpoint);
        await PutConfigAsync(Config);
        await using WatchSession watch = Watch(registry);
        Assert.True((await watch.NextAsync()).IsSnapshot);
        await AssertStreamIsLiveAsync(watch, "10.3.250.0-24");

        proxy.Cut();
        await Etcd.PutAsync(SubnetKey("10.3.3.0-24"), Value);
        await Etcd.CtlAsync("del", SubnetKey("10.3.3.0-24"));
        await Etcd.PutAsync(SubnetKey("10.3.4.0-24"), Value);
        await Task.Delay(500, Ct);
        proxy.Restore();

        var events = new List<LeaseEvent>();
        while (events.Count < 3)
        {
            LeaseEventBatch batch = await watch.NextAsync();
            Assert.False(batch.IsSnapshot);
            events.AddRange(batch.Events);
        }

        Assert.Equal([(LeaseEventKind.Added, "10.3.3.0-24"), (LeaseEventKind.Removed, "10.3.3.0-24"), (LeaseEventKind.Added, "10.3.4.0-24")],
            events.Select(e => (e.Kind, e.Lease.Key)));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == EtcdEventIds.WatchInterrupted);
    }

    [Fact]
    public async Task A_watch_that_falls_behind_a_compaction_while_disconnected_resyncs_without_losing_a_peer()
    {
        await using var proxy = new TcpProxy(Etcd.ClientPort);
        using EtcdSubnetRegistry registry = NewRegistry(endpoint: proxy.Endpoint);
        await PutConfigAsync(Config);
        await Etcd.PutAsync(SubnetKey("10.3.1.0-24"), Value);
        await Etcd.PutAsync(SubnetKey("10.3.2.0-24"), Value);
        await using WatchSession watch = Watch(registry);
        Assert.Equal(2, (await watch.NextAsync()).Events.Length);
        await AssertStreamIsLiveAsync(watch, "10.3.250.0-24");

        proxy.Cut();
        await Etcd.CtlAsync("del", SubnetKey("10.3.2.0-24"));
        await Etcd.PutAsync(SubnetKey("10.3.5.0-24"), Value);
        await Etcd.CompactAsync(await Etcd.RevisionAsync());
        proxy.Restore();

        LeaseEventBatch snapshot = await watch.NextAsync();
        Assert.True(snapshot.IsSnapshot);
        Assert.Equal(["10.3.1.0-24", "10.3.250.0-24", "10.3.5.0-24"], snapshot.Events.Select(e => e.Lease.Key).Order(StringComparer.Ordinal));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == EtcdEventIds.WatchCompacted);

        await Etcd.PutAsync(SubnetKey("10.3.6.0-24"), Value);
        LeaseEventBatch live = await watch.NextAsync();
        Assert.False(live.IsSnapshot);
        Assert.Equal("10.3.6.0-24", Assert.Single(live.Events).Lease.Key);
    }

    [Fact]
    public async Task The_watch_survives_an_etcd_restart_and_delivers_later_changes_live()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync(Config);
        await using WatchSession watch = Watch(registry);
        Assert.True((await watch.NextAsync()).IsSnapshot);

        await Etcd.RestartAsync(TimeSpan.FromSeconds(2), Ct);
        await Etcd.PutAsync(SubnetKey("10.3.7.0-24"), Value);
        LeaseEventBatch live = await watch.NextAsync();
        Assert.False(live.IsSnapshot);
        Assert.Equal("10.3.7.0-24", Assert.Single(live.Events).Lease.Key);
    }

    [Fact]
    public async Task The_watch_asks_etcd_to_require_a_leader()
    {
        var recorder = new HeaderRecorder();
        using EtcdSubnetRegistry registry = NewRegistry(o => o.Interceptors = [recorder]);
        await PutConfigAsync(Config);
        await using WatchSession watch = Watch(registry);
        Assert.True((await watch.NextAsync()).IsSnapshot);
        await Etcd.PutAsync(SubnetKey("10.3.8.0-24"), Value); // the stream is open once a change arrives
        Assert.Single((await watch.NextAsync()).Events);
        Assert.Contains(recorder.StreamingHeaders, h => h.Key == "hasleader" && h.Value == "true");
    }

    [Fact]
    public async Task Cancelling_a_watch_that_waits_for_etcd_ends_it_promptly()
    {
        await using var proxy = new TcpProxy(Etcd.ClientPort);
        using EtcdSubnetRegistry registry = NewRegistry(endpoint: proxy.Endpoint);
        await PutConfigAsync(Config);
        await Etcd.CompactAsync(await Etcd.RevisionAsync());
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using IAsyncEnumerator<LeaseEventBatch> watch = registry.WatchFromRevisionAsync(1, cts.Token).GetAsyncEnumerator(cts.Token);
        proxy.Cut(); // the watch (and its re-list after the compaction) keeps retrying; nobody reads
        Task<bool> next = watch.MoveNextAsync().AsTask();
        await Task.Delay(500, Ct);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next).WaitAsync(HangGuard, Ct);
    }

    /// <summary>Writes a lease and waits for its event, so the watch stream is known to be open.</summary>
    private async Task AssertStreamIsLiveAsync(WatchSession watch, string key)
    {
        await Etcd.PutAsync(SubnetKey(key), Value);
        Assert.Equal(key, Assert.Single((await watch.NextAsync()).Events).Lease.Key);
    }

    private sealed class HeaderRecorder : Interceptor
    {
        public List<Metadata.Entry> StreamingHeaders { get; } = [];

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
            ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation)
        {
            lock (StreamingHeaders)
            {
                StreamingHeaders.AddRange(context.Options.Headers ?? []);
            }

            return continuation(context);
        }
    }
}
