using System.Net;
using Overlay.Backends.CloudRoutes;
using Overlay.Subnets;

namespace Overlay.Backends.Tests;

/// <summary>The cloud-route engine against an in-memory provider: what it writes, what it never touches, status.</summary>
public sealed class CloudRouteNetworkTests
{
    private static readonly NetworkConfig Config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","Backend":{"Type":"fake-cloud"}}""");
    private static readonly IPNetwork Own = IPNetwork.Parse("198.19.5.0/24");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NetworkRegistration Registration(ISubnetRegistry registry, string address = "198.18.1.1", NetworkConfig? config = null) =>
        new(config ?? Config, new ExternalInterface("eth0", 2, 1500) { Address = IPAddress.Parse(address), PublicIP = IPAddress.Parse(address) }, registry)
        {
            PreviousSubnet = Own,
        };

    private static CloudRouteOptions Options(int seed = 1) => new()
    {
        ReconcileInterval = TimeSpan.FromHours(1),
        RetryInitialDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromMilliseconds(20),
        Random = new Random(seed),
    };

    private static CloudRoute Route(string destination, string? target, CloudRouteState state = CloudRouteState.Active) =>
        new(IPNetwork.Parse(destination), target, state);

    [Fact]
    public async Task A_fresh_table_gets_one_route_write_and_a_restart_with_everything_in_place_writes_nothing()
    {
        var cloud = new FakeCloudProvider();
        cloud.Tables["rtb-1"].Add(Route("10.0.0.0/16", null));
        using var registry = new InMemorySubnetRegistry(Config);

        await using (CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, Options(), Ct))
        {
            Assert.Equal(Own, network.Lease.Subnet);
            Assert.Equal(string.Empty, network.Lease.Attributes.BackendType);
            await network.ReconcileAsync(Ct);
            Assert.Equal(["create rtb-1 198.19.5.0/24"], cloud.Writes);
            Assert.Equal(1, network.CloudStatus.Calls("create", "ok"));
            Assert.True(network.CloudStatus.Tables.Single().OwnRoutePresent);
            Assert.Equal("2 / ?", network.CloudStatus.Tables.Single().Usage);
        }

        cloud.Calls.Clear();
        await using CloudRouteNetwork again = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, Options(), Ct);
        await again.ReconcileAsync(Ct);
        await again.ReconcileAsync(Ct);

        Assert.Empty(cloud.Writes);
        Assert.Equal(2, cloud.Calls.Count(c => c == "list rtb-1")); // one list per table per reconcile
        Assert.Equal(2, cloud.Routes().Count);
    }

    [Fact]
    public async Task A_route_of_the_subnet_pointing_elsewhere_is_replaced_in_place_never_deleted()
    {
        var cloud = new FakeCloudProvider();
        cloud.Tables["rtb-1"].Add(Route(Own.ToString(), "eni-old"));
        cloud.Tables["rtb-2"] = [Route(Own.ToString(), "eni-gone", CloudRouteState.Blackhole)];
        using var registry = new InMemorySubnetRegistry(Config);
        await using CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, Options(), Ct);

        await network.ReconcileAsync(Ct);

        Assert.Equal(["replace rtb-1 198.19.5.0/24", "replace rtb-2 198.19.5.0/24"], cloud.Writes);
        Assert.All(cloud.Tables.Values, t => Assert.Equal(Route(Own.ToString(), "eni-self"), Assert.Single(t)));
    }

    [Fact]
    public async Task Blackholes_inside_the_network_are_deleted_others_and_other_nodes_routes_untouched()
    {
        var cloud = new FakeCloudProvider();
        List<CloudRoute> table = cloud.Tables["rtb-1"];
        table.Add(Route("198.19.7.0/24", "eni-dead", CloudRouteState.Blackhole));
        table.Add(Route("172.16.0.0/24", "eni-dead", CloudRouteState.Blackhole));
        table.Add(Route("198.19.8.0/24", "eni-peer"));
        table.Add(Route("0.0.0.0/0", "igw-1"));
        using var registry = new InMemorySubnetRegistry(Config);
        await using CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, Options(), Ct);

        await network.ReconcileAsync(Ct);

        Assert.Equal(["create rtb-1 198.19.5.0/24", "delete rtb-1 198.19.7.0/24"], cloud.Writes);
        Assert.Contains(Route("172.16.0.0/24", "eni-dead", CloudRouteState.Blackhole), cloud.Routes());
        Assert.Contains(Route("198.19.8.0/24", "eni-peer"), cloud.Routes());
    }

    [Fact]
    public async Task Blackhole_clean_up_can_be_switched_off()
    {
        var cloud = new FakeCloudProvider();
        cloud.Tables["rtb-1"].Add(Route("198.19.7.0/24", "eni-dead", CloudRouteState.Blackhole));
        using var registry = new InMemorySubnetRegistry(Config);
        CloudRouteOptions options = Options();
        options.CleanUpBlackholes = false;
        await using CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, options, Ct);

        await network.ReconcileAsync(Ct);

        Assert.Equal(["create rtb-1 198.19.5.0/24"], cloud.Writes);
    }

    [Fact]
    public async Task A_full_table_is_a_node_problem_with_count_and_limit_and_nothing_else_changes()
    {
        var cloud = new FakeCloudProvider();
        cloud.Tables["rtb-1"].AddRange([Route("198.19.8.0/24", "eni-a"), Route("198.19.9.0/24", "eni-b"), Route("10.0.0.0/16", null)]);
        cloud.Limits["rtb-1"] = 3;
        using var registry = new InMemorySubnetRegistry(Config);
        await using CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, Options(), Ct);

        await network.ReconcileAsync(Ct);
        await network.ReconcileAsync(Ct); // the limit was learned: no second create attempt

        NodeProblem problem = Assert.Single(network.Status.Problems);
        Assert.Equal(CloudRouteNetwork.RouteTableFullProblem, problem.Code);
        Assert.Contains("3 / 3", problem.Message, StringComparison.Ordinal);
        Assert.Equal(["create rtb-1 198.19.5.0/24"], cloud.Writes);
        Assert.Equal(3, cloud.Routes().Count);
        Assert.Equal(3, network.CloudStatus.Tables.Single().RouteLimit);
    }

    [Fact]
    public async Task A_configured_limit_is_respected_without_trying()
    {
        var cloud = new FakeCloudProvider();
        cloud.Tables["rtb-1"].Add(Route("10.0.0.0/16", null));
        using var registry = new InMemorySubnetRegistry(Config);
        CloudRouteOptions options = Options();
        options.RouteLimit = 1;
        await using CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, options, Ct);

        await network.ReconcileAsync(Ct);

        Assert.Empty(cloud.Writes);
        Assert.Contains("1 / 1", network.Status.Find(CloudRouteNetwork.RouteTableFullProblem)!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejected_credentials_fail_registration_before_any_lease_is_written()
    {
        var cloud = new FakeCloudProvider();
        cloud.Fail("identity", CloudRouteErrorKind.Unauthorized);
        using var registry = new InMemorySubnetRegistry(Config);

        var error = await Assert.ThrowsAsync<NetworkRegistrationException>(async () => await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, Options(), Ct));

        Assert.False(error.IsTransient);
        Assert.Contains("Fake.Unauthorized", error.Message, StringComparison.Ordinal);
        Assert.Empty(await registry.GetLeasesAsync(Ct));
    }

    [Fact]
    public async Task Throttled_calls_are_retried_with_back_off_and_counted()
    {
        var cloud = new FakeCloudProvider();
        using var registry = new InMemorySubnetRegistry(Config);
        await using CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, Options(), Ct);
        cloud.Fail("create", CloudRouteErrorKind.Throttled, times: 5);

        await network.ReconcileAsync(Ct);

        Assert.Equal(6, cloud.Calls.Count(c => c.StartsWith("create", StringComparison.Ordinal)));
        Assert.Equal(5, network.CloudStatus.Throttles);
        Assert.Equal(5, network.CloudStatus.Calls("create", "Throttled"));
        Assert.Equal(1, network.CloudStatus.Calls("create", "ok"));
        Assert.Single(cloud.Routes());
    }

    [Fact]
    public async Task Throttling_beyond_the_retry_budget_fails_the_reconcile_with_a_node_problem()
    {
        var cloud = new FakeCloudProvider();
        using var registry = new InMemorySubnetRegistry(Config);
        CloudRouteOptions options = Options();
        options.MaxRetries = 2;
        await using CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, options, Ct);
        cloud.Fail("list", CloudRouteErrorKind.Throttled, times: 3);

        var error = await Assert.ThrowsAsync<CloudRouteException>(() => network.ReconcileAsync(Ct));

        Assert.Equal(CloudRouteErrorKind.Throttled, error.Error.Kind);
        Assert.NotNull(network.Status.Find(CloudRouteNetwork.ReconcileFailingProblem));
        await network.ReconcileAsync(Ct);
        Assert.True(network.Status.IsHealthy);
    }

    [Fact]
    public async Task The_nodes_route_for_a_subnet_it_no_longer_holds_is_deleted()
    {
        var cloud = new FakeCloudProvider();
        cloud.Tables["rtb-1"].Add(Route("198.19.3.0/24", "eni-self"));
        cloud.Tables["rtb-1"].Add(Route("172.16.3.0/24", "eni-self")); // outside the Network: not ours to judge
        using var registry = new InMemorySubnetRegistry(Config);
        await using CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, Options(), Ct);

        await network.ReconcileAsync(Ct);

        Assert.Equal(["create rtb-1 198.19.5.0/24", "delete rtb-1 198.19.3.0/24"], cloud.Writes);
        Assert.Contains(Route("172.16.3.0/24", "eni-self"), cloud.Routes());
    }

    [Fact]
    public async Task Peer_status_is_read_from_the_tables()
    {
        var cloud = new FakeCloudProvider();
        using var registry = new InMemorySubnetRegistry(Config);
        Lease routed = await registry.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes { PublicIP = IPAddress.Parse("198.18.1.2"), BackendType = string.Empty }) { PreviousSubnet = IPNetwork.Parse("198.19.8.0/24") }, Ct);
        Lease missing = await registry.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes { PublicIP = IPAddress.Parse("198.18.1.3"), BackendType = string.Empty }) { PreviousSubnet = IPNetwork.Parse("198.19.9.0/24") }, Ct);
        cloud.Tables["rtb-1"].Add(Route("198.19.8.0/24", "eni-peer"));
        await using CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, Options(), Ct);
        var changes = new List<PeerStatusChangedEventArgs>();
        network.PeerStatusChanged += (_, e) => { lock (changes) { changes.Add(e); } };

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = network.RunAsync(stop.Token);
        await network.Ready.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        PeerStatus a = network.Peers.Single(p => p.Key == routed.Key);
        PeerStatus b = network.Peers.Single(p => p.Key == missing.Key);
        Assert.Equal(PeerMode.CloudRoute, a.Mode);
        Assert.Contains("rtb-1 -> eni-peer", a.Reason, StringComparison.Ordinal);
        Assert.Equal(PeerMode.Unreachable, b.Mode);
        Assert.Contains("rtb-1: no route", b.Reason, StringComparison.Ordinal);
        Assert.Equal(2, network.Peers.Count);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.NotEmpty(changes);
    }

    [Fact]
    public async Task An_IPv6_network_is_a_clear_error()
    {
        var config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","EnableIPv6":true,"IPv6Network":"2001:db8:19::/48","Backend":{"Type":"fake-cloud"}}""");
        var cloud = new FakeCloudProvider();
        using var registry = new InMemorySubnetRegistry(config);

        var error = await Assert.ThrowsAsync<NetworkRegistrationException>(async () => await CloudRouteNetwork.RegisterAsync(Registration(registry, config: config), cloud, Options(), Ct));

        Assert.Contains("IPv4 only", error.Message, StringComparison.Ordinal);
        Assert.Empty(cloud.Calls);
    }

    [Fact]
    public async Task Routes_are_kept_at_shutdown_unless_asked()
    {
        var cloud = new FakeCloudProvider();
        using var registry = new InMemorySubnetRegistry(Config);
        await using (CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, Options(), Ct))
        {
            await network.ReconcileAsync(Ct);
        }

        Assert.Single(cloud.Routes());
        CloudRouteOptions options = Options();
        options.RemoveRoutesOnShutdown = true;
        await using (CloudRouteNetwork network = await CloudRouteNetwork.RegisterAsync(Registration(registry), cloud, options, Ct))
        {
            await network.ReconcileAsync(Ct);
        }

        Assert.Empty(cloud.Routes());
    }

    [Fact]
    public void Options_name_the_bad_member()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new CloudRouteOptions { ReconcileJitter = 0.9 }.Validate());
        Assert.Equal("ReconcileJitter", error.ParamName);
    }
}
