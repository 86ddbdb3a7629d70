using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Backends.Reconcile;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.Tests;

/// <summary>Readiness and node status of the shared peer loop (no kernel state: no object kinds, no notification groups).</summary>
public sealed class ReconcilingNetworkTests
{
    private static readonly NetworkConfig Config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","Backend":{"Type":"test"}}""");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<TestNetwork> CreateAsync(ISubnetRegistry registry)
    {
        var external = new ExternalInterface("eth0", 2, 1500) { Address = IPAddress.Parse("198.18.1.1"), PublicIP = IPAddress.Parse("198.18.1.1") };
        var registration = new NetworkRegistration(Config, external, registry);
        Lease lease = await registry.AcquireLeaseAsync(registration.CreateLeaseRequest(registration.CreateLeaseAttributes("test")), Ct);
        return new TestNetwork(registration, lease, NetlinkClient.Open(new NetlinkClientOptions()));
    }

    [Fact]
    public async Task Ready_completes_after_the_first_snapshot_is_programmed()
    {
        using var registry = new InMemorySubnetRegistry(Config);
        await using TestNetwork network = await CreateAsync(registry);
        await registry.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes { PublicIP = IPAddress.Parse("198.18.1.2"), BackendType = "test" }), Ct);
        Assert.False(network.Ready.IsCompleted);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = network.RunAsync(stop.Token);
        await network.Ready.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Single(network.Peers);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task Ready_faults_with_the_runs_error_when_the_run_fails_before_the_first_snapshot()
    {
        using var inner = new InMemorySubnetRegistry(Config);
        await using TestNetwork network = await CreateAsync(new BrokenWatchRegistry(inner));

        var error = await Assert.ThrowsAsync<SubnetRegistryException>(() => network.RunAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct));

        Assert.True(network.Ready.IsFaulted);
        Assert.Same(error, network.Ready.Exception!.InnerException);
    }

    [Fact]
    public async Task Ready_is_cancelled_when_the_network_is_disposed_unrun()
    {
        using var registry = new InMemorySubnetRegistry(Config);
        TestNetwork network = await CreateAsync(registry);

        await network.DisposeAsync();

        Assert.True(network.Ready.IsCanceled);
    }

    [Fact]
    public async Task Node_problems_reach_status_and_its_event_with_the_network_as_sender()
    {
        using var registry = new InMemorySubnetRegistry(Config);
        await using TestNetwork network = await CreateAsync(registry);
        object? sender = null;
        network.StatusChanged += (_, _) => throw new InvalidOperationException("subscriber bug");
        network.StatusChanged += (s, _) => sender = s;

        network.Report("DaemonDown", "charon is not running (test)");

        Assert.Same(network, sender);
        Assert.Equal("DaemonDown: charon is not running (test)", network.Status.Summary);
    }

    private sealed class TestNetwork(NetworkRegistration registration, Lease lease, NetlinkClient netlink)
        : ReconcilingNetwork("test", registration, lease, 1450, netlink, [], NetlinkGroups.None, NullLogger.Instance)
    {
        public void Report(string code, string message) => Problems.Report(code, message);

        protected override ValueTask<PeerPlan> PlanAsync(Lease peer, CancellationToken cancellationToken) =>
            ValueTask.FromResult(PeerPlan.Unreachable(peer, "test"));

        protected override (IKernelObjectKind Kind, object Item)? RepairTarget(NetlinkNotification notification) => null;
    }

    private sealed class BrokenWatchRegistry(ISubnetRegistry inner) : ISubnetRegistry
    {
        public ValueTask<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default) => inner.GetNetworkConfigAsync(cancellationToken);

        public ValueTask<Lease> AcquireLeaseAsync(LeaseRequest request, CancellationToken cancellationToken = default) => inner.AcquireLeaseAsync(request, cancellationToken);

        public ValueTask<Lease> RenewLeaseAsync(Lease lease, CancellationToken cancellationToken = default) => inner.RenewLeaseAsync(lease, cancellationToken);

        public ValueTask ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default) => inner.ReleaseLeaseAsync(lease, cancellationToken);

        public async IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            throw new SubnetRegistryException("the watch broke (test)", isTransient: false);
#pragma warning disable CS0162 // an iterator needs a yield
            yield break;
#pragma warning restore CS0162
        }
    }
}
