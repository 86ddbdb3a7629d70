using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using static Overlay.Subnets.Tests.TestRegistry;

namespace Overlay.Subnets.Tests;

public sealed class LeaseKeeperTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _registryTime = new(Start);
    private readonly ControlledTimeProvider _keeperTime = new(Start);
    private readonly InMemorySubnetRegistry _registry;
    private readonly Channel<LeaseStateChangedEventArgs> _events = Channel.CreateUnbounded<LeaseStateChangedEventArgs>();
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private Task? _run;

    public LeaseKeeperTests()
    {
        _registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"10.5.0.0/16"}"""), timeProvider: _registryTime);
        _stop.CancelAfter(TimeSpan.FromSeconds(60)); // hang guard only
    }

    private static LeaseKeeperOptions Options => new() { RenewMargin = TimeSpan.FromHours(1), MaxJitter = TimeSpan.Zero };

    private async Task<(LeaseKeeper Keeper, Lease Lease)> StartAsync(ISubnetRegistry? registry = null, LeaseKeeperOptions? options = null)
    {
        var request = new LeaseRequest(Node("198.18.0.1"));
        Lease lease = await _registry.AcquireLeaseAsync(request, _stop.Token);
        var keeper = new LeaseKeeper(registry ?? _registry, lease, request, options ?? Options, _keeperTime);
        keeper.StateChanged += (_, e) => _events.Writer.TryWrite(e);
        _run = keeper.RunAsync(_stop.Token);
        return (keeper, lease);
    }

    private async Task<LeaseStateChangedEventArgs> NextEventAsync() => await _events.Reader.ReadAsync(_stop.Token);

    /// <summary>Lets the renewal time arrive on both clocks.</summary>
    private async Task FireRenewalAsync()
    {
        TimeSpan due = await _keeperTime.WaitForLongTimerAsync();
        _registryTime.Advance(due);
        _keeperTime.FireLongTimers();
    }

    [Fact]
    public async Task Renews_the_margin_before_expiry_and_again_after_each_renewal()
    {
        var (keeper, lease) = await StartAsync();
        Assert.Equal(TimeSpan.FromHours(23), await _keeperTime.WaitForLongTimerAsync());
        await FireRenewalAsync();
        LeaseStateChangedEventArgs e = await NextEventAsync();
        Assert.Equal(LeaseState.Renewed, e.State);
        Assert.Equal(lease.Subnet, e.Lease.Subnet);
        Assert.Equal(Start + TimeSpan.FromHours(47), e.Lease.Expiration);
        Assert.Equal(e.Lease, keeper.Lease);

        // The next renewal is again due one margin before the new expiry.
        Assert.Equal(TimeSpan.FromHours(23), await _keeperTime.WaitForLongTimerAsync());
    }

    [Fact]
    public async Task Jitter_moves_the_renewal_earlier_but_never_past_half_the_margin()
    {
        await StartAsync(options: new LeaseKeeperOptions { RenewMargin = TimeSpan.FromMinutes(10), MaxJitter = TimeSpan.FromHours(1), Random = new Random(3) });
        TimeSpan due = await _keeperTime.WaitForLongTimerAsync();
        Assert.InRange(due, TimeSpan.FromHours(24) - TimeSpan.FromMinutes(15), TimeSpan.FromHours(24) - TimeSpan.FromMinutes(10));
        Assert.NotEqual(TimeSpan.FromHours(24) - TimeSpan.FromMinutes(10), due);
    }

    [Fact]
    public async Task Failed_renewals_are_retried_with_doubling_back_off()
    {
        var flaky = new FailingRegistry(_registry) { RenewFailures = 3 };
        await StartAsync(flaky);
        await FireRenewalAsync();

        for (int i = 0; i < 3; i++)
        {
            LeaseStateChangedEventArgs failed = await NextEventAsync();
            Assert.Equal(LeaseState.RenewalFailed, failed.State);
            Assert.IsType<SubnetRegistryException>(failed.Error);
        }

        Assert.Equal(LeaseState.Renewed, (await NextEventAsync()).State);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], _keeperTime.ShortDelays.Where(d => d > TimeSpan.FromMilliseconds(500)).Take(3));
    }

    [Fact]
    public async Task Deleted_lease_is_noticed_and_the_same_subnet_acquired_again()
    {
        var (keeper, lease) = await StartAsync();
        await _keeperTime.WaitForLongTimerAsync();
        await _registry.ReleaseLeaseAsync(lease, _stop.Token); // an operator deletes the key

        LeaseStateChangedEventArgs lost = await NextEventAsync();
        Assert.Equal(LeaseState.Lost, lost.State);
        Assert.Equal(lease.Subnet, lost.Lease.Subnet);
        LeaseStateChangedEventArgs back = await NextEventAsync();
        Assert.Equal(LeaseState.Reacquired, back.State);
        Assert.Equal(lease.Subnet, back.Lease.Subnet);
        Assert.Equal(lease, back.PreviousLease);
        Assert.Equal(back.Lease, keeper.Lease);
        Assert.Contains(await _registry.GetLeasesAsync(_stop.Token), l => l.Subnet == lease.Subnet);
    }

    [Fact]
    public async Task Renewal_that_finds_the_lease_gone_reacquires_it()
    {
        // The registry's watch never reports the deletion; the renewal itself discovers it.
        var blind = new FailingRegistry(_registry) { BlindWatch = true };
        var (_, lease) = await StartAsync(blind);
        await _keeperTime.WaitForLongTimerAsync();
        await _registry.ReleaseLeaseAsync(lease, _stop.Token);
        await FireRenewalAsync();

        Assert.Equal(LeaseState.Lost, (await NextEventAsync()).State);
        LeaseStateChangedEventArgs back = await NextEventAsync();
        Assert.Equal(LeaseState.Reacquired, back.State);
        Assert.Equal(lease.Subnet, back.Lease.Subnet);
    }

    [Fact]
    public async Task Subnet_taken_by_another_node_meanwhile_gives_a_new_subnet()
    {
        var blind = new FailingRegistry(_registry) { BlindWatch = true };
        var (_, lease) = await StartAsync(blind);
        await _keeperTime.WaitForLongTimerAsync();
        await _registry.ReleaseLeaseAsync(lease, _stop.Token);
        await _registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.2")) { PreviousSubnet = lease.Subnet }, _stop.Token);
        await FireRenewalAsync();

        Assert.Equal(LeaseState.Lost, (await NextEventAsync()).State);
        LeaseStateChangedEventArgs back = await NextEventAsync();
        Assert.Equal(LeaseState.Reacquired, back.State);
        Assert.NotEqual(lease.Subnet, back.Lease.Subnet);
    }

    [Fact]
    public async Task Failed_reacquisition_is_retried_until_it_succeeds()
    {
        var flaky = new FailingRegistry(_registry) { AcquireFailures = 2 };
        var (_, lease) = await StartAsync(flaky);
        await _keeperTime.WaitForLongTimerAsync();
        await _registry.ReleaseLeaseAsync(lease, _stop.Token);

        Assert.Equal(LeaseState.Lost, (await NextEventAsync()).State);
        Assert.Equal(LeaseState.ReacquisitionFailed, (await NextEventAsync()).State);
        Assert.Equal(LeaseState.ReacquisitionFailed, (await NextEventAsync()).State);
        Assert.Equal(LeaseState.Reacquired, (await NextEventAsync()).State);
    }

    [Fact]
    public async Task Cancellation_stops_the_keeper_without_releasing_the_lease()
    {
        var (_, lease) = await StartAsync();
        await _keeperTime.WaitForLongTimerAsync();
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _run!);
        Assert.Contains(await _registry.GetLeasesAsync(TestContext.Current.CancellationToken), l => l.Subnet == lease.Subnet);
    }

    [Fact]
    public void Options_are_validated()
    {
        var request = new LeaseRequest(Node("198.18.0.1"));
        var lease = new Lease(IPNetwork.Parse("10.5.1.0/24"), null, request.Attributes, null);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeaseKeeper(_registry, lease, request, new LeaseKeeperOptions { RenewMargin = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeaseKeeper(_registry, lease, request, new LeaseKeeperOptions { RetryMaxDelay = TimeSpan.FromMilliseconds(1) }));
        Assert.Throws<ArgumentNullException>(() => new LeaseKeeper(null!, lease, request));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run;
            }
            catch (OperationCanceledException)
            {
            }
        }

        _registry.Dispose();
        _stop.Dispose();
    }

    private sealed class FailingRegistry(ISubnetRegistry inner) : ISubnetRegistry
    {
        public int RenewFailures { get; set; }

        public int AcquireFailures { get; set; }

        public bool BlindWatch { get; set; }

        public ValueTask<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default) => inner.GetNetworkConfigAsync(cancellationToken);

        public ValueTask<Lease> AcquireLeaseAsync(LeaseRequest request, CancellationToken cancellationToken = default) =>
            AcquireFailures-- > 0 ? throw new SubnetRegistryException("etcd unavailable", isTransient: true) : inner.AcquireLeaseAsync(request, cancellationToken);

        public ValueTask<Lease> RenewLeaseAsync(Lease lease, CancellationToken cancellationToken = default) =>
            RenewFailures-- > 0 ? throw new SubnetRegistryException("etcd unavailable", isTransient: true) : inner.RenewLeaseAsync(lease, cancellationToken);

        public ValueTask ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default) => inner.ReleaseLeaseAsync(lease, cancellationToken);

        public IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync(CancellationToken cancellationToken = default) =>
            BlindWatch ? Never(cancellationToken) : inner.WatchLeasesAsync(cancellationToken);

        private static async IAsyncEnumerable<LeaseEventBatch> Never([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            yield break;
        }
    }
}
