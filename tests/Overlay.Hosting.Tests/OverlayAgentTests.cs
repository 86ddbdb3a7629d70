using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Overlay.Backends;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.Hosting.Tests;

/// <summary>The agent's start-up order, lease loss and re-acquisition, against a fake registry
/// (wrapping the in-memory one on a fake clock) and a fake backend. No sleeps: the tests wait on
/// the agent's own signals, with a hang guard.</summary>
public sealed class OverlayAgentTests : IDisposable
{
    private const string ConfigJson = """{"Network":"10.5.0.0/16","SubnetLen":24,"Backend":{"Type":"fake"}}""";

    private readonly TempDirectory _dir = new();
    private readonly StepLog _steps = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ListLogger _logs = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly InMemorySubnetRegistry _inner;
    private readonly FakeRegistry _registry;
    private readonly FakeBackend _backend;

    public OverlayAgentTests()
    {
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));
        _inner = new InMemorySubnetRegistry(NetworkConfig.Parse(ConfigJson), new SubnetRegistryOptions { Random = new Random(7) }, _time);
        _registry = new FakeRegistry(_inner, _steps);
        _backend = new FakeBackend(_steps, SubnetFile);
    }

    private string SubnetFile => Path.Combine(_dir.Path, "run", "flannel", "subnet.env");

    private OverlayAgent CreateAgent(Action<OverlayAgentOptions>? configure = null, IMasqueradeHook? masquerade = null)
    {
        var options = new OverlayAgentOptions { SubnetFilePath = SubnetFile };
        configure?.Invoke(options);
        return new OverlayAgent(_registry, new BackendRegistry([_backend]), options, masquerade, _loggerFactory, _time)
        {
            InterfaceDiscovery = (config, _) =>
            {
                _steps.Add("interface");
                return ValueTask.FromResult(Wait.Interface);
            },
        };
    }

    [Fact]
    public async Task Start_up_follows_flannels_order_and_asks_for_the_previous_subnet_first()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SubnetFile)!);
        await File.WriteAllTextAsync(SubnetFile, "FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.77.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n", TestContext.Current.CancellationToken);
        var masquerade = new RecordingMasquerade(_steps, SubnetFile);
        await using OverlayAgent agent = CreateAgent(o => o.IPMasq = true, masquerade);
        await agent.StartAsync(TestContext.Current.CancellationToken).Guard();

        Assert.True(agent.IsReady);
        NetworkRegistration registration = Assert.Single(_backend.Registrations);
        Assert.Equal(IPNetwork.Parse("10.5.77.0/24"), registration.PreviousSubnet);
        Assert.Equal(IPNetwork.Parse("10.5.77.0/24"), agent.Lease!.Subnet);
        await Assert.Single(_backend.Networks).Started.Task.Guard();
        Assert.Equal(["config", "interface", "register", "acquire", "masquerade"], _steps.Steps.Take(5));
        Assert.Contains("run", _steps.Steps);
        Assert.Contains("watch", _steps.Steps); // the lease keeper

        // The masquerade hook saw the previous run's networks (read before the rewrite).
        MasqueradeContext context = Assert.Single(masquerade.Calls);
        Assert.Equal([IPNetwork.Parse("10.5.77.0/24")], context.Previous.Subnets);
        Assert.Equal(agent.Lease, context.Lease);

        // The subnet file was written before the peer loop started, with flannel's exact variables.
        const string expected = "FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.77.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n";
        FakeNetwork network = Assert.Single(_backend.Networks);
        Assert.Equal(expected, network.SubnetFileAtRun);
        Assert.Equal(expected, await File.ReadAllTextAsync(SubnetFile, TestContext.Current.CancellationToken));
        Assert.Contains(_logs.Entries, e => e.EventId.Id == HostingEventIds.Ready);
    }

    [Fact]
    public async Task Subnet_file_is_written_after_the_masquerade_hook()
    {
        var masquerade = new RecordingMasquerade(_steps, SubnetFile);
        await using OverlayAgent agent = CreateAgent(o => o.IPMasq = true, masquerade);
        await agent.StartAsync(TestContext.Current.CancellationToken).Guard();

        Assert.False(masquerade.SubnetFileExistedAtCall);
        Assert.True(File.Exists(SubnetFile));
    }

    [Fact]
    public async Task Network_configuration_is_retried_until_it_can_be_read()
    {
        _registry.FailConfigReads = 2;
        await using OverlayAgent agent = CreateAgent();
        Task start = agent.StartAsync(TestContext.Current.CancellationToken);
        DateTime guard = DateTime.UtcNow.AddSeconds(30);
        while (!agent.Ready.IsCompleted && !agent.Completion.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < guard, "hang guard");
            _time.Advance(TimeSpan.FromSeconds(1)); // the retry waits on the fake clock
            await Task.Yield();
        }

        await start.Guard();
        Assert.Equal(3, _registry.ConfigReads);
        Assert.Equal(2, _logs.Entries.Count(e => e.EventId.Id == HostingEventIds.NetworkConfigRetry));
        Assert.Single(_backend.Registrations);
    }

    [Fact]
    public async Task Configuration_without_any_family_stops_the_agent_before_registration()
    {
        _registry.ConfigOverride = NetworkConfig.Parse("""{"EnableIPv4":false,"Backend":{"Type":"fake"}}""");
        await using OverlayAgent agent = CreateAgent();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => agent.StartAsync(TestContext.Current.CancellationToken).Guard());

        Assert.Contains("neither IPv4 nor IPv6", error.Message, StringComparison.Ordinal);
        Assert.Empty(_backend.Registrations);
        Assert.True(agent.Completion.IsFaulted);
        Assert.False(File.Exists(SubnetFile));
    }

    [Fact]
    public async Task Unknown_backend_type_fails_and_lists_the_registered_types()
    {
        _registry.ConfigOverride = NetworkConfig.Parse("""{"Network":"10.5.0.0/16","Backend":{"Type":"vxlan"}}""");
        await using OverlayAgent agent = CreateAgent();

        var error = await Assert.ThrowsAsync<BackendConfigException>(() => agent.StartAsync(TestContext.Current.CancellationToken).Guard());

        Assert.Contains("registered: fake", error.Message, StringComparison.Ordinal);
        Assert.Empty(_backend.Registrations);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == HostingEventIds.AgentFailed);
    }

    [Fact]
    public async Task IP_masquerade_without_a_hook_uses_the_built_in_traffic_rules_and_the_subnet_file_says_what_they_did()
    {
        foreach (bool installed in new[] { true, false })
        {
            var requests = new List<(TrafficRulesMode Mode, TrafficRulesRequest Request)>();
            await using OverlayAgent agent = CreateAgent(o => o.IPMasq = true);
            agent.TrafficRulesFactory = (mode, options) => new FakeTrafficRules(mode, requests, installed);
            await agent.StartAsync(TestContext.Current.CancellationToken).Guard();

            (TrafficRulesMode mode, TrafficRulesRequest request) = Assert.Single(requests);
            Assert.Equal(TrafficRulesMode.IPTables, mode); // EnableNFTables absent: flannel's default mode
            Assert.True(request.Masquerade);
            Assert.False(request.Forward);
            Assert.Equal(agent.Lease, request.Lease);
            Assert.Contains($"FLANNEL_IPMASQ={(installed ? "true" : "false")}\n", await File.ReadAllTextAsync(SubnetFile, TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
    }

    private sealed class FakeTrafficRules(TrafficRulesMode mode, List<(TrafficRulesMode, TrafficRulesRequest)> requests, bool installed) : ITrafficRules
    {
        public TrafficRulesMode Mode => mode;

        public ValueTask<TrafficRulesResult> ApplyAsync(TrafficRulesRequest request, CancellationToken cancellationToken = default)
        {
            requests.Add((mode, request));
            return ValueTask.FromResult(new TrafficRulesResult(installed, false, request.Forward, false, []));
        }

        public ValueTask RemoveAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Lost_lease_is_reacquired_with_the_same_subnet_and_the_network_registered_again()
    {
        await using OverlayAgent agent = CreateAgent();
        var readyAgain = new TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously);
        int readyCount = 0;
        agent.NetworkReady += (_, e) =>
        {
            if (Interlocked.Increment(ref readyCount) == 2)
            {
                readyAgain.TrySetResult(e.Lease);
            }
        };
        await agent.StartAsync(TestContext.Current.CancellationToken).Guard();
        Lease first = agent.Lease!;
        string content = await File.ReadAllTextAsync(SubnetFile, TestContext.Current.CancellationToken);
        File.Delete(SubnetFile); // to see it written again

        await _inner.ReleaseLeaseAsync(first, TestContext.Current.CancellationToken); // the lease disappears from the registry

        Lease second = await readyAgain.Task.Guard();
        Assert.Equal(first.Subnet, second.Subnet);
        Assert.Equal(2, _backend.Registrations.Count);
        Assert.Equal(first.Subnet, _backend.Registrations[1].PreviousSubnet);
        Assert.True(_backend.Networks[0].Disposed);
        Assert.False(_backend.Networks[1].Disposed);
        Assert.Equal(content, await File.ReadAllTextAsync(SubnetFile, TestContext.Current.CancellationToken));
        Assert.True(agent.IsReady);
        Assert.False(agent.Completion.IsCompleted); // a loss never ends the agent
        Assert.Contains(_logs.Entries, e => e.EventId.Id == HostingEventIds.LeaseLost && e.Level == LogLevel.Warning);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == HostingEventIds.LeaseReacquired && e.Message.Contains("same subnet: True", StringComparison.Ordinal));
        Assert.Single(await _inner.GetLeasesAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Lost_lease_whose_subnet_was_taken_gets_another_subnet_and_the_subnet_file_follows()
    {
        await using OverlayAgent agent = CreateAgent();
        var readyAgain = new TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously);
        int readyCount = 0;
        agent.NetworkReady += (_, e) =>
        {
            if (Interlocked.Increment(ref readyCount) == 2)
            {
                readyAgain.TrySetResult(e.Lease);
            }
        };
        var states = new List<LeaseState>();
        agent.LeaseStateChanged += (_, e) =>
        {
            lock (states)
            {
                states.Add(e.State);
            }
        };
        await agent.StartAsync(TestContext.Current.CancellationToken).Guard();
        Lease first = agent.Lease!;

        // Hold the agent's re-acquisition at the gate while another node takes the subnet.
        _registry.CloseGate();
        await _inner.ReleaseLeaseAsync(first, TestContext.Current.CancellationToken);
        await _registry.AcquisitionWaiting.Task.Guard();
        Assert.False(agent.IsReady); // not ready while the lease is lost
        Lease thief = await _inner.AcquireLeaseAsync(
            new LeaseRequest(new LeaseAttributes { PublicIP = IPAddress.Parse("198.18.1.99"), BackendType = "fake" }) { PreviousSubnet = first.Subnet },
            TestContext.Current.CancellationToken);
        Assert.Equal(first.Subnet, thief.Subnet);
        _registry.OpenGate();

        Lease second = await readyAgain.Task.Guard();
        Assert.NotEqual(first.Subnet, second.Subnet);
        Assert.Equal(agent.Lease, second);
        string expected = $"FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET={second.Subnet!.Value.BaseAddress.ToString()[..^1]}1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n";
        Assert.Equal(expected, await File.ReadAllTextAsync(SubnetFile, TestContext.Current.CancellationToken));
        Assert.True(agent.IsReady);
        lock (states)
        {
            Assert.Equal([LeaseState.Lost, LeaseState.Reacquired], states);
        }

        Assert.Contains(_logs.Entries, e => e.EventId.Id == HostingEventIds.LeaseReacquired && e.Message.Contains("same subnet: False", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lease_is_renewed_before_it_expires_on_the_agents_clock()
    {
        await using OverlayAgent agent = CreateAgent(o => o.SubnetLeaseRenewMargin = TimeSpan.FromMinutes(60));
        await agent.StartAsync(TestContext.Current.CancellationToken).Guard();
        Assert.Equal(0, _registry.Renewals);

        _time.Advance(TimeSpan.FromHours(23)); // 24 h lease, renewed 60 min (+ up to 1 min jitter) before expiry

        await _registry.Renewed.Task.Guard();
        Assert.Equal(1, _registry.Renewals);
        Assert.True(agent.IsReady);
        Assert.Single(_backend.Registrations); // a renewal is not a re-registration
    }

    [Fact]
    public async Task Stopping_keeps_the_lease_and_disposes_the_network()
    {
        OverlayAgent agent = CreateAgent();
        await agent.StartAsync(TestContext.Current.CancellationToken).Guard();
        Lease lease = agent.Lease!;

        await agent.DisposeAsync();

        Assert.True(agent.Completion.IsCanceled);
        Assert.False(agent.IsReady);
        Assert.True(Assert.Single(_backend.Networks).Disposed);
        Assert.Equal(lease.Key, Assert.Single(await _inner.GetLeasesAsync(TestContext.Current.CancellationToken)).Key); // not released (flannel)
        Assert.Contains(_logs.Entries, e => e.EventId.Id == HostingEventIds.AgentStopped);
    }

    [Fact]
    public async Task RunAsync_ends_with_cancellation_when_stopped()
    {
        await using OverlayAgent agent = CreateAgent();
        using var cts = new CancellationTokenSource();
        Task run = agent.RunAsync(cts.Token);
        await agent.Ready.Guard();

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Guard());
        await Assert.ThrowsAsync<InvalidOperationException>(() => agent.RunAsync(TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<InvalidOperationException>(() => agent.StartAsync(TestContext.Current.CancellationToken).Guard());
    }

    [Fact]
    public async Task Readiness_of_a_third_party_network_is_awaited_and_the_reason_says_what_the_agent_waits_for()
    {
        _backend.ReadyWhenRunning = false;
        await using OverlayAgent agent = CreateAgent(o => o.HealthzPort = 0);
        Task start = agent.StartAsync(TestContext.Current.CancellationToken);
        var network = await WaitForNetworkAsync(0);
        await network.Started.Task.Guard();

        Assert.False(start.IsCompleted);
        Assert.False(agent.IsReady);
        Assert.Contains("waiting for the fake network to program its peers", agent.NotReadyReason, StringComparison.Ordinal);

        network.ReadySource.TrySetResult();
        await start.Guard();
        Assert.True(agent.IsReady);
        Assert.Null(agent.NotReadyReason);
    }

    [Fact]
    public async Task A_network_that_fails_before_it_is_ready_fails_the_start()
    {
        _backend.ReadyWhenRunning = false;
        await using OverlayAgent agent = CreateAgent();
        Task start = agent.StartAsync(TestContext.Current.CancellationToken);
        var network = await WaitForNetworkAsync(0);
        await network.Started.Task.Guard();

        network.ReadySource.TrySetException(new NetworkRegistrationException("fake", "the data path died", isTransient: false));

        var error = await Assert.ThrowsAsync<NetworkRegistrationException>(() => start.Guard());
        Assert.Contains("the data path died", error.Message, StringComparison.Ordinal);
        Assert.False(agent.IsReady);
    }

    [Fact]
    public async Task Agent_level_peer_events_survive_a_lease_loss_and_a_throwing_subscriber_is_only_logged()
    {
        await using OverlayAgent agent = CreateAgent();
        var events = new List<(object? Sender, PeerStatusChangedEventArgs Args)>();
        agent.PeerStatusChanged += (_, _) => throw new InvalidOperationException("subscriber bug");
        agent.PeerStatusChanged += (sender, e) =>
        {
            lock (events)
            {
                events.Add((sender, e));
            }
        };
        var readyAgain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int readyCount = 0;
        agent.NetworkReady += (_, _) =>
        {
            if (Interlocked.Increment(ref readyCount) == 2)
            {
                readyAgain.TrySetResult();
            }
        };
        await agent.StartAsync(TestContext.Current.CancellationToken).Guard();

        FakeNetwork first = _backend.Networks[0];
        first.SetPeer("10.5.1.0-24", PeerMode.Direct, "fake peer of the first network");
        Assert.Equal("10.5.1.0-24", Assert.Single(agent.Peers).Key);

        await _inner.ReleaseLeaseAsync(agent.Lease!, TestContext.Current.CancellationToken); // forces a loss and a re-registration
        await readyAgain.Task.Guard();
        FakeNetwork second = _backend.Networks[1];
        Assert.NotSame(first, second);
        first.SetPeer("10.5.9.0-24", PeerMode.Direct, "late event of the disposed network"); // not forwarded
        second.SetPeer("10.5.2.0-24", PeerMode.Vxlan, "fake peer of the second network");

        lock (events)
        {
            Assert.All(events, e => Assert.Same(agent, e.Sender));
            Assert.Equal(
                [("10.5.1.0-24", true), ("10.5.1.0-24", false), ("10.5.2.0-24", true)],
                events.Select(e => ((e.Args.Current ?? e.Args.Previous)!.Key, e.Args.Current is not null)));
        }

        Assert.Equal("10.5.2.0-24", Assert.Single(agent.Peers).Key);
        Assert.Equal(3, _logs.Entries.Count(e => e.EventId.Id == BackendsEventIds.SubscriberFailed));
        Assert.True(agent.IsReady);
        Assert.False(agent.Completion.IsCompleted);
    }

    [Fact]
    public async Task Node_status_merges_the_networks_problems_and_follows_the_current_network()
    {
        await using OverlayAgent agent = CreateAgent();
        var seen = new List<NodeStatus>();
        agent.StatusChanged += (_, e) =>
        {
            lock (seen)
            {
                seen.Add(e.Current);
            }
        };
        await agent.StartAsync(TestContext.Current.CancellationToken).Guard();
        Assert.True(agent.Status.IsHealthy);

        _backend.Networks[0].Problems.Report("RouteTableFull", "the route table holds 50 of 50 routes (fake)");

        Assert.Equal("RouteTableFull", Assert.Single(agent.Status.Problems).Code);
        _backend.Networks[0].Problems.Clear("RouteTableFull");
        Assert.True(agent.Status.IsHealthy);
        lock (seen)
        {
            Assert.Equal([1, 0], seen.Select(s => s.Problems.Length));
        }
    }

    [Fact]
    public async Task Missing_network_configuration_is_said_on_every_retry_in_the_log_status_and_readiness_reason()
    {
        _registry.MissingConfigReads = 3;
        await using OverlayAgent agent = CreateAgent();
        var reasons = new List<string?>();
        Task start = agent.StartAsync(TestContext.Current.CancellationToken);
        DateTime guard = DateTime.UtcNow.AddSeconds(30);
        while (!agent.Ready.IsCompleted && !agent.Completion.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < guard, "hang guard");
            if (agent.Status.Find(AgentProblems.NetworkConfigMissing) is not null)
            {
                reasons.Add(agent.NotReadyReason);
            }

            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        await start.Guard();
        Assert.Equal(3, _logs.Entries.Count(e => e.EventId.Id == HostingEventIds.NetworkConfigMissing && e.Level == LogLevel.Warning
            && e.Message.Contains("there is no key /fake/config", StringComparison.Ordinal)));
        Assert.Contains(reasons, r => r is not null && r.Contains("reading the network configuration", StringComparison.Ordinal)
            && r.Contains("NetworkConfigMissing: there is no key /fake/config", StringComparison.Ordinal));
        Assert.True(agent.Status.IsHealthy); // cleared once read
        Assert.True(agent.IsReady);
    }

    [Fact]
    public async Task Transient_registration_errors_are_retried_with_the_problem_shown()
    {
        _backend.Failures.Enqueue(NetworkRegistrationException.Transient("fake", "the device is busy (fake)"));
        _backend.Failures.Enqueue(new SubnetRegistryException("etcd unreachable (fake)", isTransient: true));
        await using OverlayAgent agent = CreateAgent();
        bool sawProblem = false;
        agent.StatusChanged += (_, e) => sawProblem |= e.Current.Find(AgentProblems.RegistrationFailing) is not null;
        Task start = agent.StartAsync(TestContext.Current.CancellationToken);
        DateTime guard = DateTime.UtcNow.AddSeconds(30);
        // Fake time moves only until the third attempt has begun: moving it further (while a loaded machine has not
        // yet run the ready continuation) would let lease renewal and expiry take part.
        while (_backend.Registrations.Count < 3 && !agent.Completion.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < guard, "hang guard");
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        await start.Guard();
        Assert.Equal(3, _backend.Registrations.Count);
        Assert.Equal(2, _logs.Entries.Count(e => e.EventId.Id == HostingEventIds.ReRegistrationFailed));
        Assert.True(sawProblem);
        Assert.True(agent.Status.IsHealthy);
    }

    [Fact]
    public async Task A_permanent_registration_error_stops_the_agent_with_the_reason()
    {
        _backend.Failures.Enqueue(NetworkRegistrationException.Permanent("fake", "the kernel has no fake module; use another backend"));
        await using OverlayAgent agent = CreateAgent();

        var error = await Assert.ThrowsAsync<NetworkRegistrationException>(() => agent.StartAsync(TestContext.Current.CancellationToken).Guard());

        Assert.False(error.IsTransient);
        Assert.Contains("no fake module", error.Message, StringComparison.Ordinal);
        Assert.Single(_backend.Registrations);
        Assert.True(agent.Completion.IsFaulted);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == HostingEventIds.RegistrationFailedPermanently);
    }

    [Fact]
    public async Task The_agents_logger_factory_reaches_netlink_through_the_registration()
    {
        await using OverlayAgent agent = CreateAgent();
        await agent.StartAsync(TestContext.Current.CancellationToken).Guard();

        NetworkRegistration registration = Assert.Single(_backend.Registrations);
        Assert.Same(_loggerFactory, registration.NetlinkOptions.LoggerFactory);
        Assert.Same(_loggerFactory, registration.EffectiveNetlinkOptions.LoggerFactory);
        Assert.Same(_loggerFactory, (registration with { NetlinkOptions = new() }).EffectiveNetlinkOptions.LoggerFactory);
    }

    private async Task<FakeNetwork> WaitForNetworkAsync(int index)
    {
        DateTime guard = DateTime.UtcNow.AddSeconds(30);
        while (_backend.Networks.Count <= index)
        {
            Assert.True(DateTime.UtcNow < guard, "hang guard");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        return _backend.Networks[index];
    }

    public void Dispose()
    {
        _inner.Dispose();
        _loggerFactory.Dispose();
        _dir.Dispose();
    }
}
