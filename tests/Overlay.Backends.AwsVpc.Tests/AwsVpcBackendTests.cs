using System.Net;
using Overlay.Backends.CloudRoutes;
using Overlay.Lab.Cloud;
using Overlay.Subnets;

namespace Overlay.Backends.AwsVpc.Tests;

/// <summary>The aws-vpc backend end to end through AWSSDK.EC2 against the EC2 and IMDS doubles on 127.0.0.1.</summary>
public sealed class AwsVpcBackendTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Output(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    [Fact]
    public async Task A_fresh_table_gets_one_route_write_and_one_source_dest_check_change_and_a_restart_writes_nothing()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11);

        await using (CloudRouteNetwork network = await lab.RegisterAsync(11, lab.Options(metadata), previous: "198.19.11.0/24", cancellationToken: Ct))
        {
            await network.ReconcileAsync(Ct);
            Output("fresh start: " + string.Join("; ", lab.Ec2.Calls));
            Assert.Equal(["ModifyNetworkInterfaceAttribute eni-11", "CreateRoute rtb-1 198.19.11.0/24 eni-11"], lab.Ec2.WriteCalls.Select(Describe));
            Assert.Equal("eni-11", network.Identity.Target);
            Assert.Equal(["rtb-1"], network.RouteTables); // discovered by the subnet association
            Assert.Contains(new Ec2Route("198.19.11.0/24", "eni-11"), lab.Ec2.Routes("rtb-1"));
            Assert.False(lab.Ec2.Instance("i-11").SourceDestCheck);
            Assert.Equal(string.Empty, network.Lease.Attributes.BackendType);
            Assert.Equal(IPAddress.Parse("198.18.0.11"), network.Lease.Attributes.PublicIP);
            Assert.All(metadata.Requests.Where(r => r.StartsWith("GET", StringComparison.Ordinal)), r => Assert.EndsWith("[token]", r, StringComparison.Ordinal));
        }

        lab.Ec2.ClearCalls();
        await using (CloudRouteNetwork again = await lab.RegisterAsync(11, lab.Options(metadata), previous: "198.19.11.0/24", cancellationToken: Ct))
        {
            await again.ReconcileAsync(Ct);
            await again.ReconcileAsync(Ct);
        }

        Output("restart: " + string.Join("; ", lab.Ec2.Calls));
        Assert.Empty(lab.Ec2.WriteCalls);
        Assert.Equal(2, lab.Ec2.Calls.Count(c => c.Action == "DescribeRouteTables" && c["RouteTableId.1"] == "rtb-1")); // one per table per reconcile
    }

    [Fact]
    public async Task Source_dest_check_already_off_is_left_alone_and_the_main_table_is_used_without_a_subnet_table()
    {
        await using var lab = new AwsLab();
        lab.Ec2.AddInstance(new Ec2Instance("i-12", "eni-12", "198.18.0.12", "subnet-2", "vpc-1") { SourceDestCheck = false });
        await using var metadata = new InstanceMetadataDouble("i-12", "eu-west-1") { RequireToken = true };

        await using CloudRouteNetwork network = await lab.RegisterAsync(12, lab.Options(metadata), cancellationToken: Ct);
        await network.ReconcileAsync(Ct);

        Assert.Equal(["rtb-main"], network.RouteTables);
        Assert.Equal("CreateRoute", Assert.Single(lab.Ec2.WriteCalls).Action);
    }

    [Fact]
    public async Task A_route_to_another_eni_is_replaced_not_deleted()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11);
        lab.AddNode(99);
        lab.Ec2.PutRoute("rtb-1", new Ec2Route("198.19.11.0/24", "eni-99"));

        await using CloudRouteNetwork network = await lab.RegisterAsync(11, lab.Options(metadata), previous: "198.19.11.0/24", cancellationToken: Ct);
        await network.ReconcileAsync(Ct);

        Assert.Equal(["ModifyNetworkInterfaceAttribute eni-11", "ReplaceRoute rtb-1 198.19.11.0/24 eni-11"], lab.Ec2.WriteCalls.Select(Describe));
        Assert.Contains(new Ec2Route("198.19.11.0/24", "eni-11"), lab.Ec2.Routes("rtb-1"));
    }

    [Fact]
    public async Task Blackholes_inside_the_network_are_removed_and_outside_untouched()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11, sourceDestCheck: false);
        lab.Ec2.PutRoute("rtb-1", new Ec2Route("198.19.40.0/24", "eni-dead", State: "blackhole"));
        lab.Ec2.PutRoute("rtb-1", new Ec2Route("172.31.40.0/24", "eni-dead", State: "blackhole"));

        await using CloudRouteNetwork network = await lab.RegisterAsync(11, lab.Options(metadata), previous: "198.19.11.0/24", cancellationToken: Ct);
        await network.ReconcileAsync(Ct);

        Assert.Equal(["CreateRoute rtb-1 198.19.11.0/24 eni-11", "DeleteRoute rtb-1 198.19.40.0/24"], lab.Ec2.WriteCalls.Select(Describe));
        Assert.Contains(new Ec2Route("172.31.40.0/24", "eni-dead", State: "blackhole"), lab.Ec2.Routes("rtb-1"));
    }

    [Fact]
    public async Task A_full_table_is_reported_with_count_and_limit_and_nothing_else_changes()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11, sourceDestCheck: false);
        lab.AddNode(20);
        lab.Ec2.PutRoute("rtb-1", new Ec2Route("198.19.20.0/24", "eni-20"));
        lab.Ec2.SetRouteLimit("rtb-1", 2);
        IReadOnlyList<Ec2Route> before = lab.Ec2.Routes("rtb-1");

        await using CloudRouteNetwork network = await lab.RegisterAsync(11, lab.Options(metadata), previous: "198.19.11.0/24", cancellationToken: Ct);
        await network.ReconcileAsync(Ct);
        await network.ReconcileAsync(Ct);

        NodeProblem problem = Assert.Single(network.Status.Problems);
        Output(problem.ToString());
        Assert.Equal(CloudRouteNetwork.RouteTableFullProblem, problem.Code);
        Assert.Contains("rtb-1: 2 / 2 routes", problem.Message, StringComparison.Ordinal);
        Assert.Equal(["CreateRoute rtb-1 198.19.11.0/24 eni-11 -> RouteLimitExceeded"], lab.Ec2.WriteCalls.Select(c => Describe(c) + " -> " + c.Outcome));
        Assert.Equal(before, lab.Ec2.Routes("rtb-1"));
    }

    [Fact]
    public async Task Throttled_five_times_succeeds_with_growing_jittered_gaps()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11, sourceDestCheck: false);
        AwsVpcBackendOptions options = lab.Options(metadata, e =>
        {
            e.RetryInitialDelay = TimeSpan.FromMilliseconds(100);
            e.RetryMaxDelay = TimeSpan.FromSeconds(5);
            e.RetryJitter = 0.25; // each wait in [0.75, 1] x the doubled back-off: the next wait is always longer
        });
        await using CloudRouteNetwork network = await lab.RegisterAsync(11, options, previous: "198.19.11.0/24", cancellationToken: Ct);
        lab.Ec2.FailNext("CreateRoute", "RequestLimitExceeded", 5);

        await network.ReconcileAsync(Ct);

        List<Ec2Call> creates = [.. lab.Ec2.Calls.Where(c => c.Action == "CreateRoute")];
        Assert.Equal(["RequestLimitExceeded", "RequestLimitExceeded", "RequestLimitExceeded", "RequestLimitExceeded", "RequestLimitExceeded", "ok"], creates.Select(c => c.Outcome));
        double[] gaps = [.. creates.Zip(creates.Skip(1), (a, b) => (b.Arrival - a.Arrival).TotalMilliseconds)];
        Output("CreateRoute arrivals (ms): " + string.Join(", ", creates.Select(c => c.Arrival.TotalMilliseconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture))));
        Output("gaps (ms): " + string.Join(", ", gaps.Select(g => g.ToString("F1", System.Globalization.CultureInfo.InvariantCulture))));
        for (int i = 1; i < gaps.Length; i++)
        {
            Assert.True(gaps[i] > gaps[i - 1], $"gap {i} ({gaps[i]:F1} ms) is not longer than gap {i - 1} ({gaps[i - 1]:F1} ms)");
        }

        Assert.Equal(5, network.CloudStatus.Throttles);
        Assert.Equal(5, network.CloudStatus.Calls("create", nameof(CloudRouteErrorKind.Throttled)));
        Assert.True(network.Status.IsHealthy);
    }

    [Fact]
    public async Task A_timeout_is_retried()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11, sourceDestCheck: false);
        AwsVpcBackendOptions options = lab.Options(metadata);
        options.RequestTimeout = TimeSpan.FromMilliseconds(500);
        await using CloudRouteNetwork network = await lab.RegisterAsync(11, options, previous: "198.19.11.0/24", cancellationToken: Ct);
        lab.Ec2.FailNext("DescribeRouteTables", "timeout");

        await network.ReconcileAsync(Ct);

        Assert.Equal(["timeout", "ok"], lab.Ec2.Calls.Where(c => c.Action == "DescribeRouteTables" && c["RouteTableId.1"] == "rtb-1").Select(c => c.Outcome));
        Assert.Equal(1, network.CloudStatus.Calls("list", nameof(CloudRouteErrorKind.Unavailable)));
    }

    [Fact]
    public async Task Bad_credentials_fail_before_any_lease_is_written()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11);
        AwsVpcBackendOptions options = lab.Options(metadata);
        options.SecretAccessKey = "wrong";

        var error = await Assert.ThrowsAsync<NetworkRegistrationException>(async () => await lab.RegisterAsync(11, options, cancellationToken: Ct));

        Output(error.Message);
        Assert.False(error.IsTransient);
        Assert.Contains("AuthFailure", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", error.Message, StringComparison.Ordinal);
        Assert.Empty(await lab.Registry.GetLeasesAsync(Ct));
        Assert.Empty(lab.Ec2.WriteCalls);
    }

    [Fact]
    public async Task A_missing_permission_fails_before_any_lease_is_written()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11);
        lab.Ec2.FailNext("ModifyNetworkInterfaceAttribute", "UnauthorizedOperation");

        var error = await Assert.ThrowsAsync<NetworkRegistrationException>(async () => await lab.RegisterAsync(11, lab.Options(metadata), cancellationToken: Ct));

        Assert.Contains("UnauthorizedOperation", error.Message, StringComparison.Ordinal);
        Assert.Empty(await lab.Registry.GetLeasesAsync(Ct));
    }

    [Fact]
    public async Task An_IMDSv1_only_service_needs_the_option()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11, sourceDestCheck: false);
        metadata.RequireToken = false;
        metadata.RefuseTokens = true;

        var error = await Assert.ThrowsAsync<NetworkRegistrationException>(async () => await lab.RegisterAsync(11, lab.Options(metadata), cancellationToken: Ct));
        Assert.Contains("IMDSv2", error.Message, StringComparison.Ordinal);

        AwsVpcBackendOptions options = lab.Options(metadata);
        options.AllowImdsV1 = true;
        await using CloudRouteNetwork network = await lab.RegisterAsync(11, options, cancellationToken: Ct);
        Assert.Equal("eni-11", network.Identity.Target);
        Assert.Contains("GET /latest/meta-data/instance-id", metadata.Requests);
    }

    [Fact]
    public async Task Without_static_keys_the_instance_roles_credentials_come_through_the_metadata_endpoint()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11, sourceDestCheck: false);
        metadata.SetRoleCredentials("overlay-node", lab.Ec2.AccessKeyId, lab.Ec2.SecretAccessKey, "session-token", DateTimeOffset.UtcNow.AddHours(6));
        AwsVpcBackendOptions options = lab.Options(metadata);
        options.AccessKeyId = null;
        options.SecretAccessKey = null;

        await using CloudRouteNetwork network = await lab.RegisterAsync(11, options, previous: "198.19.11.0/24", cancellationToken: Ct);
        await network.ReconcileAsync(Ct);

        Assert.Contains("GET /latest/meta-data/iam/security-credentials/overlay-node [token]", metadata.Requests);
        Assert.Equal("CreateRoute", Assert.Single(lab.Ec2.WriteCalls).Action);
    }

    [Fact]
    public async Task A_RouteTableID_array_programs_every_table()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11, sourceDestCheck: false);
        lab.Ec2.AddRouteTable("rtb-2", "vpc-1");

        await using CloudRouteNetwork network = await lab.RegisterAsync(11, lab.Options(metadata), previous: "198.19.11.0/24", backend: """{"Type":"aws-vpc","RouteTableID":["rtb-1","rtb-2"]}""", cancellationToken: Ct);
        await network.ReconcileAsync(Ct);

        Assert.Equal(["rtb-1", "rtb-2"], network.RouteTables);
        Assert.Equal(["CreateRoute rtb-1 198.19.11.0/24 eni-11", "CreateRoute rtb-2 198.19.11.0/24 eni-11"], lab.Ec2.WriteCalls.Select(Describe));
        Assert.DoesNotContain(lab.Ec2.Calls, c => c.Action == "DescribeRouteTables" && c.Parameters.Keys.Any(k => k.StartsWith("Filter", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Peer_status_shows_each_peers_route_from_the_table()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble a = lab.AddNode(11, sourceDestCheck: false);
        InstanceMetadataDouble b = lab.AddNode(12, sourceDestCheck: false);
        lab.AddNode(13);
        await lab.Registry.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes { PublicIP = IPAddress.Parse("198.18.0.13"), BackendType = string.Empty }) { PreviousSubnet = IPNetwork.Parse("198.19.13.0/24") }, Ct);

        await using CloudRouteNetwork nodeB = await lab.RegisterAsync(12, lab.Options(b), previous: "198.19.12.0/24", cancellationToken: Ct);
        await nodeB.ReconcileAsync(Ct);
        await using CloudRouteNetwork nodeA = await lab.RegisterAsync(11, lab.Options(a), previous: "198.19.11.0/24", cancellationToken: Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = nodeA.RunAsync(stop.Token);
        await nodeA.Ready.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        PeerStatus routed = nodeA.Peers.Single(p => p.Subnet == IPNetwork.Parse("198.19.12.0/24"));
        PeerStatus missing = nodeA.Peers.Single(p => p.Subnet == IPNetwork.Parse("198.19.13.0/24"));
        Output($"{routed.Key}: {routed.Mode} {routed.Reason}; {missing.Key}: {missing.Mode} {missing.Reason}");
        Assert.Equal(PeerMode.CloudRoute, routed.Mode);
        Assert.Equal("routed: rtb-1 -> eni-12", routed.Reason);
        Assert.Equal(PeerMode.Unreachable, missing.Mode);
        Assert.Equal("not routed: rtb-1: no route", missing.Reason);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task A_new_subnet_after_lease_loss_deletes_the_old_route()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11, sourceDestCheck: false);
        Lease first;
        await using (CloudRouteNetwork network = await lab.RegisterAsync(11, lab.Options(metadata), previous: "198.19.11.0/24", cancellationToken: Ct))
        {
            await network.ReconcileAsync(Ct);
            first = network.Lease;
        }

        // The lease is lost and another node takes the subnet.
        await lab.Registry.ReleaseLeaseAsync(first, Ct);
        await lab.Registry.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes { PublicIP = IPAddress.Parse("198.18.0.50"), BackendType = string.Empty }) { PreviousSubnet = first.Subnet }, Ct);
        lab.Ec2.ClearCalls();

        await using CloudRouteNetwork again = await lab.RegisterAsync(11, lab.Options(metadata), previous: "198.19.11.0/24", cancellationToken: Ct);
        await again.ReconcileAsync(Ct);

        Assert.NotEqual(first.Subnet, again.Lease.Subnet);
        Assert.Equal([$"CreateRoute rtb-1 {again.Lease.Subnet} eni-11", "DeleteRoute rtb-1 198.19.11.0/24"], lab.Ec2.WriteCalls.Select(Describe));
        Assert.DoesNotContain(lab.Ec2.Routes("rtb-1"), r => r.DestinationCidrBlock == "198.19.11.0/24");
    }

    [Fact]
    public async Task An_IPv6_network_is_a_clear_error()
    {
        var config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","EnableIPv6":true,"IPv6Network":"2001:db8:19::/48","Backend":{"Type":"aws-vpc"}}""");
        await using var lab = new AwsLab(config);
        InstanceMetadataDouble metadata = lab.AddNode(11);

        var error = await Assert.ThrowsAsync<NetworkRegistrationException>(async () => await new AwsVpcBackend(lab.Options(metadata)).RegisterNetworkAsync(lab.Registration(11, config: config), Ct));

        Assert.Contains("IPv4 only", error.Message, StringComparison.Ordinal);
        Assert.Empty(lab.Ec2.Calls);
    }

    [Fact]
    public async Task The_connect_guard_fails_an_endpoint_outside_the_lab()
    {
        await using var lab = new AwsLab();
        InstanceMetadataDouble metadata = lab.AddNode(11);
        AwsVpcBackendOptions options = lab.Options(metadata);
        // ::1 is loopback (harmless even if the guard were broken) but outside 127.0.0.0/8 and 198.18.0.0/15.
        options.MetadataEndpoint = new Uri($"http://[::1]:{metadata.Endpoint.Port}/");
        options.CloudRoutes.MaxRetries = 0;

        var error = await Assert.ThrowsAsync<NetworkRegistrationException>(async () => await lab.RegisterAsync(11, options, cancellationToken: Ct));

        Output(error.Message);
        Assert.Contains("lab connect guard refused ::1", error.Message, StringComparison.Ordinal);
        Assert.Empty(metadata.Requests);
        Assert.Empty(await lab.Registry.GetLeasesAsync(Ct));

        options = lab.Options(metadata);
        options.Ec2Endpoint = new Uri("http://ec2.eu-west-1.amazonaws.com/");
        options.CloudRoutes.MaxRetries = 0;
        error = await Assert.ThrowsAsync<NetworkRegistrationException>(async () => await lab.RegisterAsync(11, options, cancellationToken: Ct));
        Output(error.Message);
        Assert.Contains("lab connect guard refused ec2.eu-west-1.amazonaws.com", error.Message, StringComparison.Ordinal);
        Assert.False(LabConnectGuard.IsAllowed(IPAddress.Parse("169.254.169.254")));
        Assert.True(LabConnectGuard.IsAllowed(IPAddress.Parse("198.19.1.1")));
    }

    private static string Describe(Ec2Call call) => call.Action switch
    {
        "ModifyNetworkInterfaceAttribute" => $"{call.Action} {call["NetworkInterfaceId"]}",
        "DeleteRoute" => $"{call.Action} {call["RouteTableId"]} {call["DestinationCidrBlock"]}",
        _ => $"{call.Action} {call["RouteTableId"]} {call["DestinationCidrBlock"]} {call["NetworkInterfaceId"]}",
    };
}
