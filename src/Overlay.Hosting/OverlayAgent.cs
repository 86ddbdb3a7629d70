using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Backends;
using Overlay.Hosting.Internal;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Hosting;

/// <summary>
/// A complete overlay agent for one node: flanneld's start-up order —
/// previous subnets from the subnet file, health server, network configuration (retried), family
/// check, external interface, backend registration (the lease), masquerade hook, subnet file,
/// blackhole routes, the backend's peer loop and the lease keeper — and its shutdown (the
/// lease is kept and kernel state left in place). Unlike flanneld, a lost lease is acquired again
/// (the same subnet first), the network registered again and the subnet file rewritten; the agent
/// never ends because of a loss.
/// </summary>
/// <remarks>
/// Use it with a host through <c>services.AddOverlay(…)</c>, or on its own:
/// <code>
/// await using var agent = new OverlayAgent(registry, backends, options, loggerFactory: loggerFactory);
/// await agent.StartAsync(cancellationToken);   // returns once ready
/// </code>
/// </remarks>
public sealed class OverlayAgent : IAsyncDisposable, IDisposable
{
    private readonly ISubnetRegistry _registry;
    private readonly BackendRegistry _backends;
    private readonly OverlayAgentOptions _options;
    private readonly IMasqueradeHook? _masquerade;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _disposeCts = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _isReady;
    private volatile IOverlayNetwork? _network;
    private readonly NodeStatusTracker _problems;
    private readonly Lock _statusLock = new();
    private NetlinkClientOptions _netlinkOptions;
    private NetworkNamespace? _namespace;
    private NodeStatus _status = NodeStatus.Healthy;
    private volatile string _phase = "not started";
    private volatile NetworkConfig? _config;
    private volatile ExternalInterface? _external;
    private HealthServer? _health;
    private int _started;
    private int _disposed;

    /// <summary>Creates an agent (nothing happens until <see cref="RunAsync"/> or <see cref="StartAsync"/>).</summary>
    /// <param name="registry">Where the configuration is read and the lease acquired.</param>
    /// <param name="backends">The backends the configuration's <c>Backend.Type</c> is looked up in.</param>
    /// <param name="options">Settings; validated now.</param>
    /// <param name="masquerade">The masquerade implementation, needed when <see cref="OverlayAgentOptions.IPMasq"/> is on.</param>
    /// <param name="loggerFactory">Logging; none by default.</param>
    /// <param name="timeProvider">The clock (tests pass a fake one).</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public OverlayAgent(ISubnetRegistry registry, BackendRegistry backends, OverlayAgentOptions? options = null, IMasqueradeHook? masquerade = null,
        ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(backends);
        _options = options ?? new OverlayAgentOptions();
        _options.ThrowIfInvalid();
        _registry = registry;
        _backends = backends;
        _masquerade = masquerade;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<OverlayAgent>();
        _time = timeProvider ?? TimeProvider.System;
        _problems = new NodeStatusTracker(_time, _logger);
        _problems.Changed += (_, _) => PublishStatus();
        _netlinkOptions = _options.NetlinkOptions.LoggerFactory is null && loggerFactory is not null
            ? _options.NetlinkOptions with { LoggerFactory = _loggerFactory }
            : _options.NetlinkOptions;
    }

    /// <summary>
    /// Raised when a peer's status changes in the current network — and across re-registrations:
    /// when a lost lease makes the agent register a new network, the old network's peers are reported
    /// removed (current <see langword="null"/>) and the new network's peers added as it programs them,
    /// so a subscriber never needs to subscribe again. A subscriber that throws is logged and ignored.
    /// </summary>
    public event EventHandler<PeerStatusChangedEventArgs>? PeerStatusChanged;

    /// <summary>Raised when <see cref="Status"/> changes. A subscriber that throws is logged and ignored.</summary>
    public event EventHandler<NodeStatusChangedEventArgs>? StatusChanged;

    /// <summary>The peers of the current network (empty while none is registered).</summary>
    public IReadOnlyList<PeerStatus> Peers => _network?.Peers ?? [];

    /// <summary>
    /// The node's problems: the agent's own (<see cref="AgentProblems"/>: a missing network
    /// configuration, a registration that keeps failing, a lost lease, an unwritable subnet file) and
    /// the current network's (<see cref="IOverlayNetwork.Status"/>).
    /// </summary>
    public NodeStatus Status
    {
        get
        {
            lock (_statusLock)
            {
                return _status;
            }
        }
    }

    /// <summary>Why the agent is not ready (what it is doing, and its problems), or null when it is ready.
    /// <c>/readyz</c> answers it on the line after flannel's text.</summary>
    public string? NotReadyReason
    {
        get
        {
            if (_isReady)
            {
                return null;
            }

            NodeStatus status = Status;
            return status.IsHealthy ? _phase : $"{_phase}; {status.Summary}";
        }
    }

    /// <summary>Raised on every change of the lease's state (renewed, lost, re-acquired, …), from the lease keeper's loop.</summary>
    public event EventHandler<LeaseStateChangedEventArgs>? LeaseStateChanged;

    /// <summary>Raised each time a (re-)registered network becomes ready.</summary>
    public event EventHandler<OverlayNetworkReadyEventArgs>? NetworkReady;

    /// <summary>The settings.</summary>
    public OverlayAgentOptions Options => _options;

    /// <summary>True while the lease is held, the subnet file is written and the network has
    /// programmed its first peer snapshot (<c>/readyz</c> answers 200). False again while a lost
    /// lease is being re-acquired.</summary>
    public bool IsReady => _isReady;

    /// <summary>Completes the first time the agent is ready; faults when it fails before.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Completes when <see cref="RunAsync"/> has ended: cancelled on a stop, faulted on a failure.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The network configuration, once read.</summary>
    public NetworkConfig? Config => _config;

    /// <summary>The external interface, once chosen.</summary>
    public ExternalInterface? ExternalInterface => _external;

    /// <summary>The registered network, while one is.</summary>
    public IOverlayNetwork? Network => _network;

    /// <summary>The node's lease, while a network is registered.</summary>
    public Lease? Lease => _network?.Lease;

    /// <summary>Where the health server listens, when it runs.</summary>
    public IPEndPoint? HealthEndpoint => _health?.Endpoint;

    /// <summary>Replaces interface discovery (unit tests run without netlink).</summary>
    internal Func<NetworkConfig, CancellationToken, ValueTask<ExternalInterface>>? InterfaceDiscovery { get; set; }

    /// <summary>
    /// Starts the agent in the background (it runs until <see cref="DisposeAsync"/>) and returns
    /// once it is ready.
    /// </summary>
    /// <exception cref="Exception">Whatever made the start-up fail (the agent has then stopped).</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        Task run = RunAsync(_disposeCts.Token);
        await Task.WhenAny(_ready.Task, run).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (run.IsCompleted || !_ready.Task.IsCompletedSuccessfully)
        {
            await run.ConfigureAwait(false); // the start-up error (or "already running")
        }
    }

    /// <summary>
    /// Runs the agent until <paramref name="cancellationToken"/> is cancelled (then throws
    /// <see cref="OperationCanceledException"/>) or it fails at start-up or in the peer loop (then
    /// throws that error). A lost lease does not end it. Can be called once.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The agent is already running; an agent runs once.");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposeCts.Token);
        CancellationToken token = linked.Token;
        try
        {
            await RunCoreAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            _ready.TrySetCanceled(token);
            _completion.TrySetCanceled(token);
            throw;
        }
        catch (Exception ex)
        {
            Log.AgentFailed(_logger, ex);
            _ready.TrySetException(ex);
            _completion.TrySetException(ex);
            throw;
        }
        finally
        {
            _isReady = false;
            if (_health is { } health)
            {
                await health.DisposeAsync().ConfigureAwait(false);
            }

            _namespace?.Dispose();

            Log.AgentStopped(_logger);
        }
    }

    private async Task RunCoreAsync(CancellationToken cancellationToken)
    {
        string path = _options.SubnetFilePath;
        if (_options.NetworkNamespace is { } ns)
        {
            _namespace = NetworkNamespaceOption.Open(ns);
            _netlinkOptions = _netlinkOptions with { NetworkNamespace = _namespace };
        }

        Log.AgentStarting(_logger, path, _options.NetworkNamespace ?? "(the process's own)");
        // 1. The previous run's subnets, read before anything rewrites the file.
        (IPNetwork? previous4, IPNetwork? previous6) = SubnetEnvFile.ReadPreviousSubnets(path);
        SubnetEnvNetworks previousNetworks = SubnetEnvFile.ReadPreviousNetworks(path);
        Log.PreviousSubnetsRead(_logger, previous4, previous6);

        // 2. The health server, before anything slow (liveness works during start-up).
        if (_options.HealthzPort > 0)
        {
            _health = HealthServer.Start(new IPEndPoint(_options.ParsedHealthzIP, _options.HealthzPort), _namespace, () => _isReady, _logger, () => NotReadyReason);
            Log.HealthServerListening(_logger, _health.Endpoint);
        }

        // 3. The network configuration, retried until it can be read.
        _phase = "reading the network configuration";
        NetworkConfig config = await GetNetworkConfigAsync(cancellationToken).ConfigureAwait(false);
        _config = config;
        Log.NetworkConfigRead(_logger, config.Network, config.EnableIPv4, config.IPv6Network, config.EnableIPv6, config.BackendType);

        // 4. The address families.
        if (!config.EnableIPv4 && !config.EnableIPv6)
        {
            throw new InvalidOperationException("The network configuration enables neither IPv4 nor IPv6 (EnableIPv4 and EnableIPv6 are both false).");
        }

        // 5. The external interface.
        _phase = "choosing the external interface";
        ExternalInterface external = await DiscoverInterfaceAsync(config, cancellationToken).ConfigureAwait(false);
        _external = external;
        Log.ExternalInterfaceChosen(_logger, external);

        // 6. The backend, and its registration (which acquires the lease).
        IOverlayBackend backend = _backends.Get(config.BackendType);
        IOverlayNetwork network = await RegisterWithRetryAsync(backend, config, external, previous4, previous6, cancellationToken).ConfigureAwait(false);
        bool builtInMasquerade = _options.IPMasq && _masquerade is null;
        ITrafficRules? trafficRules = builtInMasquerade || _options.IPTablesForwardRules
            ? CreateTrafficRules(config)
            : null;
        try
        {
            Lease? replaced = null;
            while (true)
            {
                Lease lost = network.Lease;
                Lease reacquired = await RunRegisteredAsync(network, config, external, previousNetworks, replaced, trafficRules, cancellationToken).ConfigureAwait(false);

                // The lease was lost and acquired again: register the network again for it.
                bool same = reacquired.IsSameSubnet(lost);
                Log.LeaseReacquired(_logger, lost, reacquired, same);
                previousNetworks = new SubnetEnvNetworks(
                    config.Network is { } n4 ? [n4] : [], lost.Subnet is { } s4 ? [s4] : [],
                    config.IPv6Network is { } n6 ? [n6] : [], lost.IPv6Subnet is { } s6 ? [s6] : []);
                replaced = lost;
                network = await RegisterWithRetryAsync(backend, config, external, reacquired.Subnet, reacquired.IPv6Subnet, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (trafficRules is not null)
            {
                await trafficRules.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Steps 7–11 for one registered network; returns the re-acquired lease when the
    /// lease was lost, throws when cancelled or when the peer loop fails.</summary>
    private async Task<Lease> RunRegisteredAsync(IOverlayNetwork network, NetworkConfig config, ExternalInterface external,
        SubnetEnvNetworks previousNetworks, Lease? replaced, ITrafficRules? trafficRules, CancellationToken cancellationToken)
    {
        _network = network;
        IReadOnlyList<PeerStatus> lastPeers = [];
        network.PeerStatusChanged += OnNetworkPeerStatusChanged;
        network.StatusChanged += OnNetworkStatusChanged;
        PublishStatus();
        using var cycle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task blackhole = Task.CompletedTask;
        Task run = Task.CompletedTask;
        Task keeping = Task.CompletedTask;
        try
        {
            Lease lease = network.Lease;

            // 7. Traffic rules: masquerade (built in, or a registered hook) and forward accepts.
            bool masquerading = false;
            if (_options.IPMasq && _masquerade is not null)
            {
                await _masquerade.SetUpAsync(new MasqueradeContext(config, lease, external, previousNetworks, _netlinkOptions), cancellationToken).ConfigureAwait(false);
                masquerading = true;
                Log.MasqueradeConfigured(_logger, lease.Key);
            }

            if (trafficRules is not null)
            {
                TrafficRulesResult rules = await trafficRules.ApplyAsync(
                    new TrafficRulesRequest(config, lease, previousNetworks)
                    {
                        Masquerade = _options.IPMasq && _masquerade is null,
                        Forward = _options.IPTablesForwardRules,
                    },
                    cancellationToken).ConfigureAwait(false);
                if (rules.Masquerade)
                {
                    masquerading = true;
                    Log.MasqueradeConfigured(_logger, lease.Key);
                }
            }

            // 8. Blackhole routes for the own subnet(s).
            if (_options.IPBlackholeRoute)
            {
                blackhole = BlackholeLoopAsync(config, lease, replaced, cycle.Token);
            }

            // 9. The subnet file, with the network's MTU.
            bool written = await WriteSubnetFileAsync(config, network, masquerading, cancellationToken).ConfigureAwait(false);

            // 10. The backend's peer loop.
            _phase = $"waiting for the {config.BackendType} network to program its peers";
            run = Task.Run(() => network.RunAsync(cycle.Token), CancellationToken.None);

            // 11. The lease keeper: renewal, loss detection, re-acquisition.
            var keeper = new LeaseKeeper(_registry, lease, new LeaseRequest(lease.Attributes) { PreviousSubnet = lease.Subnet, PreviousIPv6Subnet = lease.IPv6Subnet },
                new LeaseKeeperOptions { RenewMargin = _options.SubnetLeaseRenewMargin, RetryInitialDelay = _options.RetryInitialDelay, RetryMaxDelay = _options.RetryMaxDelay },
                _time, _loggerFactory);
            var reacquired = new TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously);
            keeper.StateChanged += (_, e) =>
            {
                switch (e.State)
                {
                    case LeaseState.Lost:
                        _isReady = false;
                        _phase = $"the lease {e.Lease.Key} was lost; acquiring it again";
                        Log.LeaseLost(_logger, e.Lease.Key);
                        break;
                    case LeaseState.Reacquired:
                        reacquired.TrySetResult(e.Lease);
                        break;
                    case LeaseState.Renewed:
                        Log.LeaseRenewed(_logger, e.Lease.Key);
                        break;
                }

                OverlayEvents.Raise(LeaseStateChanged, this, e, _logger, nameof(LeaseStateChanged));
            };
            keeping = keeper.RunAsync(cycle.Token);

            // Ready once the first peer snapshot is programmed (and the subnet file was written).
            Task programmed = network.Ready;
            Task first = await Task.WhenAny(programmed, run, keeping, reacquired.Task).ConfigureAwait(false);
            if (first == programmed && programmed.IsFaulted)
            {
                await programmed.ConfigureAwait(false); // the network failed before it was ready
            }

            if (first == programmed && programmed.IsCompletedSuccessfully && written && !reacquired.Task.IsCompleted)
            {
                _isReady = true;
                _phase = "ready";
                Log.Ready(_logger, lease.Key, network.Peers.Count);
                _ready.TrySetResult();
                OverlayEvents.Raise(NetworkReady, this, new OverlayNetworkReadyEventArgs(network), _logger, nameof(NetworkReady));
            }

            first = await Task.WhenAny(run, keeping, reacquired.Task).ConfigureAwait(false);
            if (first == reacquired.Task)
            {
                return await reacquired.Task.ConfigureAwait(false);
            }

            await first.ConfigureAwait(false); // cancellation, or the peer loop's failure
            cancellationToken.ThrowIfCancellationRequested();
            throw new InvalidOperationException($"The {config.BackendType} network's peer loop ended unexpectedly.");
        }
        finally
        {
            _isReady = false;
            await cycle.CancelAsync().ConfigureAwait(false);
            await Quietly(run).ConfigureAwait(false);
            await Quietly(keeping).ConfigureAwait(false);
            await Quietly(blackhole).ConfigureAwait(false);
            lastPeers = network.Peers;
            network.PeerStatusChanged -= OnNetworkPeerStatusChanged;
            network.StatusChanged -= OnNetworkStatusChanged;
            _network = null;
            await network.DisposeAsync().ConfigureAwait(false);

            // The network is gone: its peers leave the agent's view (the next network adds its own).
            foreach (PeerStatus peer in lastPeers)
            {
                OverlayEvents.Raise(PeerStatusChanged, this, new PeerStatusChangedEventArgs(peer, null), _logger, nameof(PeerStatusChanged));
            }

            PublishStatus();
        }
    }

    private void OnNetworkPeerStatusChanged(object? sender, PeerStatusChangedEventArgs e)
    {
        if (ReferenceEquals(sender, _network))
        {
            OverlayEvents.Raise(PeerStatusChanged, this, e, _logger, nameof(PeerStatusChanged));
        }
    }

    private void OnNetworkStatusChanged(object? sender, NodeStatusChangedEventArgs e) => PublishStatus();

    /// <summary>Recomputes <see cref="Status"/> (the agent's problems + the network's) and raises
    /// <see cref="StatusChanged"/> when it changed.</summary>
    private void PublishStatus()
    {
        NodeStatus previous, current;
        lock (_statusLock)
        {
            previous = _status;
            NodeStatus own = _problems.Current;
            NodeStatus? network = _network?.Status;
            current = network is null || network.IsHealthy ? own
                : own.IsHealthy ? network
                : new NodeStatus([.. own.Problems.Concat(network.Problems).OrderBy(p => p.Code, StringComparer.Ordinal)]);
            if (current.Problems.SequenceEqual(previous.Problems))
            {
                return;
            }

            _status = current;
        }

        OverlayEvents.Raise(StatusChanged, this, new NodeStatusChangedEventArgs(previous, current), _logger, nameof(StatusChanged));
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the cycle is over; its error (if any) was already observed or logged
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private async Task<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                NetworkConfig config = await _registry.GetNetworkConfigAsync(cancellationToken).ConfigureAwait(false);
                _problems.Clear(AgentProblems.NetworkConfigMissing);
                _problems.Clear(AgentProblems.NetworkConfigUnreadable);
                return config;
            }
            catch (NetworkConfigNotFoundException ex)
            {
                // Said every time, not once: an operator looking at the log or /readyz sees what is missing.
                Log.NetworkConfigMissing(_logger, ex.Message, _options.ConfigRetryInterval);
                _problems.Report(AgentProblems.NetworkConfigMissing, ex.Message);
            }
            catch (Exception ex) when (ex is SubnetRegistryException or NetworkConfigException)
            {
                Log.NetworkConfigRetry(_logger, _options.ConfigRetryInterval, ex.Message);
                _problems.Clear(AgentProblems.NetworkConfigMissing);
                _problems.Report(AgentProblems.NetworkConfigUnreadable, ex.Message);
            }

            await Task.Delay(_options.ConfigRetryInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private ITrafficRules CreateTrafficRules(NetworkConfig config)
    {
        TrafficRulesOptions o = _options.TrafficRules;
        var options = new TrafficRulesOptions
        {
            RuleSet = o.RuleSet,
            FullyRandom = o.FullyRandom,
            RemoveOnShutdown = o.RemoveOnShutdown,
            CleanUpOtherMode = o.CleanUpOtherMode,
            IptablesResyncInterval = o.IptablesResyncInterval,
            NetlinkOptions = _netlinkOptions,
        };
        return TrafficRulesFactory is { } factory ? factory(TrafficRules.ModeOf(config), options) : TrafficRules.Create(TrafficRules.ModeOf(config), options, _loggerFactory);
    }

    /// <summary>Replaces how the traffic rules are created (tests).</summary>
    internal Func<TrafficRulesMode, TrafficRulesOptions, ITrafficRules>? TrafficRulesFactory { get; set; }

    private async ValueTask<ExternalInterface> DiscoverInterfaceAsync(NetworkConfig config, CancellationToken cancellationToken)
    {
        if (InterfaceDiscovery is { } discover)
        {
            return await discover(config, cancellationToken).ConfigureAwait(false);
        }

        using NetlinkClient netlink = NetlinkClient.Open(_netlinkOptions);
        return await ExternalInterfaceDiscovery.DiscoverAsync(netlink, _options.ExternalInterface, config.EnableIPv4, config.EnableIPv6, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<IOverlayNetwork> RegisterAsync(IOverlayBackend backend, NetworkConfig config, ExternalInterface external,
        IPNetwork? previous4, IPNetwork? previous6, CancellationToken cancellationToken)
    {
        var registration = new NetworkRegistration(config, external, _registry)
        {
            PreviousSubnet = previous4,
            PreviousIPv6Subnet = previous6,
            NetlinkOptions = _netlinkOptions,
            Reconcile = _options.Reconcile,
            LoggerFactory = _loggerFactory,
            TimeProvider = _time,
        };
        IOverlayNetwork network = await backend.RegisterNetworkAsync(registration, cancellationToken).ConfigureAwait(false);
        Log.NetworkRegistered(_logger, backend.Type, network.Lease.Key, network.Mtu);
        return network;
    }

    /// <summary>
    /// Registers the network; a transient failure (<see cref="IsTransient"/>) is reported as the problem
    /// <see cref="AgentProblems.RegistrationFailing"/> and retried with back-off, a permanent one ends
    /// the agent with its reason.
    /// </summary>
    private async ValueTask<IOverlayNetwork> RegisterWithRetryAsync(IOverlayBackend backend, NetworkConfig config, ExternalInterface external,
        IPNetwork? previous4, IPNetwork? previous6, CancellationToken cancellationToken)
    {
        TimeSpan delay = _options.RetryInitialDelay;
        _phase = $"registering the {backend.Type} network";
        while (true)
        {
            try
            {
                IOverlayNetwork network = await RegisterAsync(backend, config, external, previous4, previous6, cancellationToken).ConfigureAwait(false);
                _problems.Clear(AgentProblems.RegistrationFailing);
                return network;
            }
            catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                Log.RegistrationRetry(_logger, backend.Type, delay, ex);
                _problems.Report(AgentProblems.RegistrationFailing, $"registering the {backend.Type} network failed (retrying): {ex.Message}");
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.RegistrationFailedPermanently(_logger, backend.Type, ex);
                throw;
            }

            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
        }
    }

    /// <summary>
    /// Whether a registration error may go away by itself: a <see cref="NetworkRegistrationException"/>,
    /// <see cref="SubnetRegistryException"/> or <see cref="NetlinkException"/> that says it is transient, or a
    /// timeout. Configuration errors and every other exception are permanent: retrying cannot fix them.
    /// </summary>
    /// <param name="exception">The error.</param>
    /// <returns>True when the agent retries it.</returns>
    public static bool IsTransient(Exception exception) => exception switch
    {
        NetworkRegistrationException e => e.IsTransient,
        SubnetRegistryException e => e.IsTransient,
        NetlinkException e => e.IsTransient,
        TimeoutException => true,
        _ => false,
    };

    private async Task<bool> WriteSubnetFileAsync(NetworkConfig config, IOverlayNetwork network, bool masquerading, CancellationToken cancellationToken)
    {
        Lease lease = network.Lease;
        var env = new SubnetEnv
        {
            Network = config.EnableIPv4 ? config.Network : null,
            Subnet = config.EnableIPv4 ? lease.Subnet : null,
            IPv6Network = config.EnableIPv6 ? config.IPv6Network : null,
            IPv6Subnet = config.EnableIPv6 ? lease.IPv6Subnet : null,
            Mtu = network.Mtu,
            IPMasq = masquerading,
        };
        try
        {
            await SubnetEnvFile.WriteAsync(_options.SubnetFilePath, env, cancellationToken).ConfigureAwait(false);
            _problems.Clear(AgentProblems.SubnetFileUnwritable);
            Log.SubnetFileWritten(_logger, _options.SubnetFilePath, env.Subnet, env.IPv6Subnet, env.Mtu, env.IPMasq);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.SubnetFileWriteFailed(_logger, _options.SubnetFilePath, ex);
            _problems.Report(AgentProblems.SubnetFileUnwritable, $"the subnet file {_options.SubnetFilePath} could not be written: {ex.Message}");
            return false;
        }
    }

    private async Task BlackholeLoopAsync(NetworkConfig config, Lease lease, Lease? replaced, CancellationToken cancellationToken)
    {
        using NetlinkClient netlink = NetlinkClient.Open(_netlinkOptions);
        List<IPNetwork> subnets = OwnSubnets(config, lease);
        if (replaced is not null)
        {
            foreach (IPNetwork old in OwnSubnets(config, replaced).Where(s => !subnets.Contains(s)))
            {
                try
                {
                    if (await netlink.RouteDeleteAsync(BlackholeRoute(old), cancellationToken).ConfigureAwait(false))
                    {
                        Log.BlackholeRouteRemoved(_logger, old);
                    }
                }
                catch (NetlinkException ex)
                {
                    Log.BlackholeRouteFailed(_logger, old, ex);
                }
            }
        }

        while (true)
        {
            foreach (IPNetwork subnet in subnets)
            {
                try
                {
                    await EnsureBlackholeAsync(netlink, subnet, cancellationToken).ConfigureAwait(false);
                }
                catch (NetlinkException ex)
                {
                    Log.BlackholeRouteFailed(_logger, subnet, ex);
                }
            }

            await Task.Delay(_options.ResyncInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static List<IPNetwork> OwnSubnets(NetworkConfig config, Lease lease)
    {
        var subnets = new List<IPNetwork>();
        if (config.EnableIPv4 && lease.Subnet is { } s4)
        {
            subnets.Add(s4);
        }

        if (config.EnableIPv6 && lease.IPv6Subnet is { } s6)
        {
            subnets.Add(s6);
        }

        return subnets;
    }

    private Route BlackholeRoute(IPNetwork subnet) => new()
    {
        Destination = subnet,
        Type = RouteType.Blackhole,
        Protocol = _options.BlackholeRouteProtocol,
        Priority = _options.BlackholeRouteMetric,
        Table = RouteTable.Main,
    };

    private async Task EnsureBlackholeAsync(NetlinkClient netlink, IPNetwork subnet, CancellationToken cancellationToken)
    {
        AddressFamily family = subnet.BaseAddress.AddressFamily;
        await foreach (Route route in netlink.RoutesAsync(new RouteFilter { Family = family, Destination = subnet }, cancellationToken).ConfigureAwait(false))
        {
            if (route.Type == RouteType.Blackhole)
            {
                return;
            }
        }

        try
        {
            await netlink.RouteAddAsync(BlackholeRoute(subnet), cancellationToken).ConfigureAwait(false);
            Log.BlackholeRouteAdded(_logger, subnet, _options.BlackholeRouteProtocol, _options.BlackholeRouteMetric);
        }
        catch (NetlinkException ex) when (ex.IsAlreadyExists)
        {
            // Added meanwhile.
        }
    }

    /// <summary>Stops the agent and blocks until it has stopped (for containers that dispose
    /// synchronously); prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Stops the agent (as a cancelled <see cref="RunAsync"/> does) and waits for it. The
    /// lease is kept and kernel state left in place. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposeCts.CancelAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _started) != 0)
        {
            await Quietly(_completion.Task).ConfigureAwait(false);
        }

        _disposeCts.Dispose();
    }
}
