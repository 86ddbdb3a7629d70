using Overlay.Subnets.Etcd.Tests.Support;

namespace Overlay.Subnets.Etcd.Tests;

/// <summary>The own lease over etcd: deletion noticed (also across a compaction) and the subnet
/// acquired again; renewals resume after an outage.</summary>
[Trait("Category", "Etcd")]
public sealed class LeaseKeeperTests(EtcdFixture fixture) : EtcdTestBase(fixture), IClassFixture<EtcdFixture>
{
    private const string Config = "{\"Network\":\"10.3.0.0/16\"}";

    private static readonly LeaseKeeperOptions FastRetries = new()
    {
        RetryInitialDelay = TimeSpan.FromMilliseconds(100),
        RetryMaxDelay = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public async Task Deleting_the_own_key_is_noticed_and_the_same_subnet_is_acquired_again()
    {
        var probe = new WatchProbe();
        using EtcdSubnetRegistry registry = NewRegistry(o => o.Interceptors = [probe]);
        await PutConfigAsync(Config);
        var request = new LeaseRequest(Node("198.18.0.1"));
        Lease lease = await registry.AcquireLeaseAsync(request, Ct);
        var keeper = new LeaseKeeper(registry, lease, request, FastRetries, loggerFactory: Logs);
        TaskCompletionSource<LeaseStateChangedEventArgs> reacquired = Watch(keeper, LeaseState.Reacquired);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = keeper.RunAsync(stop.Token);

        // etcd has confirmed the keeper's watch (after its snapshot): the deletion below reaches it as a watch event.
        await probe.Confirmed.WaitAsync(HangGuard, Ct);
        Assert.Equal(1, probe.Confirmations);
        await Etcd.CtlAsync("del", SubnetKey(lease.Key));

        LeaseStateChangedEventArgs e = await reacquired.Task.WaitAsync(HangGuard, Ct);
        Assert.Equal(lease.Subnet, e.Lease.Subnet);
        Assert.NotNull(await Etcd.GetAsync(SubnetKey(lease.Key)));
        Assert.Equal(1, probe.Confirmations); // noticed by that watch's Removed event, not by a new snapshot
        Assert.DoesNotContain(Logs.Entries, l => l.EventId.Id == EtcdEventIds.WatchInterrupted);
        await StopAsync(stop, run);
    }

    [Fact]
    public async Task Deletion_of_the_own_key_hidden_by_a_compaction_is_still_noticed()
    {
        await using var proxy = new TcpProxy(Etcd.ClientPort);
        var probe = new WatchProbe();
        using EtcdSubnetRegistry registry = NewRegistry(o => o.Interceptors = [probe], proxy.Endpoint);
        await PutConfigAsync(Config);
        var request = new LeaseRequest(Node("198.18.0.2"));
        Lease lease = await registry.AcquireLeaseAsync(request, Ct);
        var keeper = new LeaseKeeper(registry, lease, request, FastRetries, loggerFactory: Logs);
        TaskCompletionSource<LeaseStateChangedEventArgs> reacquired = Watch(keeper, LeaseState.Reacquired);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = keeper.RunAsync(stop.Token);

        // The keeper's watch is confirmed: it has its snapshot and waits for revisions after it. Cut it off, then
        // delete the key and compact past the deletion, so that the resumed watch finds its revision compacted.
        await probe.Confirmed.WaitAsync(HangGuard, Ct);
        proxy.Cut();
        await Etcd.CtlAsync("del", SubnetKey(lease.Key));
        await Etcd.PutAsync(Prefix + "/subnets/10.3.200.0-24", "{\"PublicIP\":\"1.1.1.1\",\"PublicIPv6\":null}");
        await Etcd.CompactAsync(await Etcd.RevisionAsync());
        proxy.Restore();

        await Task.WhenAny(reacquired.Task, Task.Delay(HangGuard, Ct));
        Assert.True(reacquired.Task.IsCompleted, "not re-acquired; log:\n" + Logs.AllText);
        LeaseStateChangedEventArgs e = await reacquired.Task;
        Assert.Equal(lease.Subnet, e.Lease.Subnet);
        Assert.Contains(Logs.Entries, l => l.EventId.Id == EtcdEventIds.WatchCompacted);
        await StopAsync(stop, run);
    }

    [Fact]
    public async Task With_etcd_unreachable_renewal_fails_transiently_and_resumes_when_etcd_returns()
    {
        await using var proxy = new TcpProxy(Etcd.ClientPort);
        using EtcdSubnetRegistry registry = NewRegistry(o => o.RequestTimeout = TimeSpan.FromSeconds(3), proxy.Endpoint);
        await PutConfigAsync(Config);
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.3")), Ct);

        proxy.Cut();
        SubnetRegistryException down = await Assert.ThrowsAsync<SubnetRegistryException>(async () => await registry.RenewLeaseAsync(lease, Ct))
            .WaitAsync(HangGuard, Ct);
        Assert.True(down.IsTransient);
        Assert.Contains("unreachable", down.Message);
        Assert.Contains(proxy.Endpoint, down.Message);

        // As LeaseKeeper does: retry with back-off until etcd answers again.
        proxy.Restore();
        Lease? renewed = null;
        DateTime giveUp = DateTime.UtcNow + HangGuard;
        for (TimeSpan delay = TimeSpan.FromMilliseconds(100); renewed is null; delay *= 2)
        {
            try
            {
                renewed = await registry.RenewLeaseAsync(lease, Ct);
            }
            catch (SubnetRegistryException ex) when (ex.IsTransient && DateTime.UtcNow < giveUp)
            {
                await Task.Delay(delay, Ct);
            }
        }

        Assert.Equal(lease.Key, renewed.Key);
    }

    private static TaskCompletionSource<LeaseStateChangedEventArgs> Watch(LeaseKeeper keeper, LeaseState state)
    {
        var tcs = new TaskCompletionSource<LeaseStateChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        keeper.StateChanged += (_, e) =>
        {
            if (e.State == state)
            {
                tcs.TrySetResult(e);
            }
        };
        return tcs;
    }

    private static async Task StopAsync(CancellationTokenSource stop, Task run)
    {
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }
}
