using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Overlay.Backends;
using Overlay.Subnets;

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
    private readonly LogCollector _logs = new();
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
        Assert.Contains(_logs.Entries, e => e.Id == HostingEventIds.Ready);
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
        Assert.Equal(2, _logs.Entries.Count(e => e.Id == HostingEventIds.NetworkConfigRetry));
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
        Assert.Contains(_logs.Entries, e => e.Id == HostingEventIds.AgentFailed);
    }

    [Fact]
    public async Task IP_masquerade_without_an_implementation_refuses_to_start()
    {
        await using OverlayAgent agent = CreateAgent(o => o.IPMasq = true);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => agent.StartAsync(TestContext.Current.CancellationToken).Guard());

        Assert.Contains("IMasqueradeHook", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _registry.ConfigReads);
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
        Assert.Contains(_logs.Entries, e => e.Id == HostingEventIds.LeaseLost && e.Level == LogLevel.Warning);
        Assert.Contains(_logs.Entries, e => e.Id == HostingEventIds.LeaseReacquired && e.Text.Contains("same subnet: True", StringComparison.Ordinal));
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

        Assert.Contains(_logs.Entries, e => e.Id == HostingEventIds.LeaseReacquired && e.Text.Contains("same subnet: False", StringComparison.Ordinal));
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
        Assert.Contains(_logs.Entries, e => e.Id == HostingEventIds.AgentStopped);
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

    public void Dispose()
    {
        _inner.Dispose();
        _loggerFactory.Dispose();
        _dir.Dispose();
    }
}
