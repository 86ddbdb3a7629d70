using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Logging;
using Overlay.Subnets;

namespace Overlay.Backends.CloudRoutes;

/// <summary>
/// The cloud-route engine every cloud backend (aws-vpc, gce, ali-vpc, tencent-vpc, a third party's)
/// plugs into through an <see cref="ICloudRouteProvider"/>. <see cref="RegisterAsync"/> checks the
/// credentials and finds the instance <b>before</b> the lease is taken (a misconfigured node never holds a
/// lease); <see cref="RunAsync"/> keeps the route "own subnet → this instance" in every table, at start
/// and every (jittered) period, with one list call per table and no write when everything is in place.
/// A route of this subnet with another target is replaced in place; this node's routes for other
/// subnets (a lease it lost) are deleted; blackhole routes inside the Network are deleted (opt-out);
/// no other route is ever created, replaced or deleted. Throttled calls are retried with exponential
/// back-off and jitter. A full table is a node problem (<c>RouteTableFull</c>, with count / limit).
/// Peers' status is read from the tables. IPv4 only.
/// </summary>
public sealed partial class CloudRouteNetwork : IOverlayNetwork
{
    /// <summary>The meter the engine's instruments are published on.</summary>
    public const string MeterName = "Overlay.Backends.CloudRoutes";

    /// <summary>The node problem reported when a table has no room for this node's route.</summary>
    public const string RouteTableFullProblem = "RouteTableFull";

    /// <summary>The node problem reported when the provider rejects the credentials or a permission is missing.</summary>
    public const string CredentialsRejectedProblem = "CredentialsRejected";

    /// <summary>The node problem reported when a reconcile failed for another reason (it is retried).</summary>
    public const string ReconcileFailingProblem = "CloudRoutesFailing";

    private readonly ICloudRouteProvider _provider;
    private readonly CloudRouteOptions _options;
    private readonly NetworkConfig _config;
    private readonly ISubnetRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Random _random;
    private readonly ImmutableArray<string> _tables;
    private readonly NodeStatusTracker _status;
    private readonly Meter _meter;
    private readonly CallContext _context;
    private readonly Counter<long> _reconcileCounter;
    private readonly ConcurrentDictionary<string, (int Limit, DateTimeOffset Until)> _learnedLimits = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _reconcileGate = new(1, 1);
    private ImmutableDictionary<string, IReadOnlyList<CloudRoute>> _listings = ImmutableDictionary<string, IReadOnlyList<CloudRoute>>.Empty;
    private ImmutableDictionary<string, Lease> _peerLeases = ImmutableDictionary<string, Lease>.Empty;
    private ImmutableDictionary<string, PeerStatus> _peers = ImmutableDictionary<string, PeerStatus>.Empty;
    private ImmutableArray<CloudRouteTableStatus> _tableStatus = [];
    private DateTimeOffset? _lastReconcile;
    private string? _lastReconcileError;
    private bool _peersSeen;
    private bool _reconciled;
    private int _disposed;

    private CloudRouteNetwork(NetworkRegistration registration, ICloudRouteProvider provider, CloudRouteOptions options, CloudRouteIdentity identity, IReadOnlyList<string> tables, Lease lease, CallContext context)
    {
        _provider = provider;
        _options = options;
        _config = registration.Config;
        _registry = registration.Registry;
        _time = registration.TimeProvider;
        _loggerFactory = registration.LoggerFactory;
        _logger = context.Logger;
        _random = context.Random;
        _meter = context.Meter;
        _context = context;
        _reconcileCounter = _meter.CreateCounter<long>("overlay.cloud_routes.reconciles", unit: "{reconcile}", description: "Reconciles of the node's cloud routes, by outcome.");
        Identity = identity;
        Lease = lease;
        Mtu = registration.ExternalInterface.Mtu;
        _tables = [.. tables];
        _status = new NodeStatusTracker(_time, _logger);
        _status.Changed += (_, e) => OverlayEvents.Raise(StatusChanged, this, e, _logger, nameof(StatusChanged));
        _tableStatus = [.. _tables.Select(t => new CloudRouteTableStatus(t, 0, _options.RouteLimit, OwnRoutePresent: false))];
        _meter.CreateObservableGauge("overlay.cloud_routes.table_routes", () => TableMeasurements(s => s.RouteCount), unit: "{route}", description: "Routes in each route table at the last reconcile.");
        _meter.CreateObservableGauge("overlay.cloud_routes.table_route_limit", () => TableMeasurements(s => s.RouteLimit ?? 0), unit: "{route}", description: "The route quota of each table (0 when unknown).");
        _meter.CreateObservableGauge("overlay.cloud_routes.last_reconcile", () => new Measurement<double>(_lastReconcile?.ToUnixTimeMilliseconds() / 1000.0 ?? 0, new KeyValuePair<string, object?>("backend", _provider.Type)), unit: "s", description: "When the last reconcile finished (Unix time; 0 before the first).");
    }

    /// <summary>This instance as the provider identified it.</summary>
    public CloudRouteIdentity Identity { get; }

    /// <summary>The route tables this node's route is kept in.</summary>
    public IReadOnlyList<string> RouteTables => _tables;

    /// <inheritdoc />
    public Lease Lease { get; }

    /// <inheritdoc />
    public int Mtu { get; }

    /// <inheritdoc />
    public Task Ready => _ready.Task;

    /// <inheritdoc />
    public IReadOnlyList<PeerStatus> Peers => [.. Volatile.Read(ref _peers).Values.OrderBy(p => p.Key, StringComparer.Ordinal)];

    /// <inheritdoc />
    public NodeStatus Status => _status.Current;

    /// <summary>The provider calls, throttles, tables (count / limit) and the last reconcile.</summary>
    public CloudRouteStatus CloudStatus
    {
        get
        {
            lock (_lock)
            {
                return new CloudRouteStatus(Identity, _tableStatus, _context.Calls.ToImmutableDictionary(StringComparer.Ordinal), _context.Throttles, _lastReconcile, _lastReconcileError);
            }
        }
    }

    /// <inheritdoc />
    public event EventHandler<PeerStatusChangedEventArgs>? PeerStatusChanged;

    /// <inheritdoc />
    public event EventHandler<NodeStatusChangedEventArgs>? StatusChanged;

    /// <summary>
    /// Registers the node's network with a cloud provider: validates, checks credentials and identity,
    /// finds the route tables and prepares the instance — all before the lease is taken — then acquires
    /// the lease (<c>PublicIP</c> = ExtAddr, <c>BackendType</c> empty, as flannel's cloud backends write it).
    /// </summary>
    /// <param name="registration">The registration.</param>
    /// <param name="provider">The provider. The network owns it: a provider that is <see cref="IAsyncDisposable"/> or
    /// <see cref="IDisposable"/> is disposed with the network, or here when registration fails.</param>
    /// <param name="options">The engine's options (validated here).</param>
    /// <param name="cancellationToken">Cancels the registration.</param>
    /// <returns>The network; the caller owns it.</returns>
    /// <exception cref="NetworkRegistrationException">The network is not IPv4-only, or the provider refused (transient when
    /// throttled or unavailable; permanent for rejected credentials, a missing instance or route table).</exception>
    public static async ValueTask<CloudRouteNetwork> RegisterAsync(NetworkRegistration registration, ICloudRouteProvider provider, CloudRouteOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return await RegisterCoreAsync(registration, provider, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await DisposeProviderAsync(provider).ConfigureAwait(false);
            throw;
        }
    }

    private static async ValueTask DisposeProviderAsync(ICloudRouteProvider provider)
    {
        if (provider is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        }
        else if (provider is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    private static async ValueTask<CloudRouteNetwork> RegisterCoreAsync(NetworkRegistration registration, ICloudRouteProvider provider, CloudRouteOptions options, CancellationToken cancellationToken)
    {
        registration.Validate();
        options.Validate();
        string type = provider.Type;
        if (registration.Config.EnableIPv6 || !registration.Config.EnableIPv4 || registration.Config.Network is null)
        {
            throw NetworkRegistrationException.Permanent(type, "cloud routes are IPv4 only: the network configuration must set an IPv4 Network and must not enable IPv6 (EnableIPv6/IPv6Network); use an encapsulating backend for IPv6.");
        }

        if (registration.ExternalInterface.Address is null)
        {
            throw NetworkRegistrationException.Permanent(type, $"the external interface has no IPv4 address ({registration.ExternalInterface}); the instance's route target is found by it.");
        }

        var context = new CallContext(provider, options, registration.TimeProvider, registration.LoggerFactory.CreateLogger<CloudRouteNetwork>());
        bool done = false;
        try
        {
            CloudRouteIdentity identity = await RegistrationStep(context, "identity", ct => provider.GetIdentityAsync(registration.ExternalInterface, ct), cancellationToken).ConfigureAwait(false);
            IReadOnlyList<string> tables = await RegistrationStep(context, "tables", ct => provider.GetRouteTablesAsync(identity, ct), cancellationToken).ConfigureAwait(false);
            if (tables.Count == 0)
            {
                throw NetworkRegistrationException.Permanent(type, $"no route table found for {identity}; configure one.");
            }

            await RegistrationStep(context, "prepare", async ct => { await provider.PrepareInstanceAsync(identity, ct).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);
            Log.CloudIdentity(context.Logger, type, identity, tables);

            // Only now, with credentials, instance and tables known to work, is the lease taken.
            LeaseAttributes attributes = registration.CreateLeaseAttributes(backendType: string.Empty);
            Lease lease = await registration.Registry.AcquireLeaseAsync(registration.CreateLeaseRequest(attributes), cancellationToken).ConfigureAwait(false);
            var network = new CloudRouteNetwork(registration, provider, options, identity, tables, lease, context);
            done = true;
            return network;
        }
        finally
        {
            if (!done)
            {
                context.Meter.Dispose();
            }
        }
    }

    private static async ValueTask<T> RegistrationStep<T>(CallContext context, string operation, Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await context.CallAsync(operation, call, cancellationToken).ConfigureAwait(false);
        }
        catch (CloudRouteException ex)
        {
            string what = ex.Error.Kind == CloudRouteErrorKind.Unauthorized
                ? $"the provider rejected the credentials or a permission is missing ({operation}): {ex.Error.Message}"
                : $"{operation} failed: {ex.Error.Message}";
            throw new NetworkRegistrationException(context.Provider.Type, what, isTransient: ex.Error.IsRetriable, ex);
        }
    }

    /// <inheritdoc />
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Log.CloudNetworkStarted(_logger, _provider.Type, Lease.Key, _tables.Length);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task peers = WatchPeersAsync(stop.Token);
        try
        {
            while (true)
            {
                TimeSpan wait = ReconcileInterval();
                try
                {
                    await ReconcileAsync(stop.Token).ConfigureAwait(false);
                }
                catch (CloudRouteException ex)
                {
                    wait = TimeSpan.FromTicks(Math.Min(wait.Ticks, _options.RetryMaxDelay.Ticks));
                    Log.ReconcileFailed(_logger, _provider.Type, wait, ex.Message);
                }

                await Task.WhenAny(Task.Delay(wait, _time, stop.Token), peers).ConfigureAwait(false);
                if (peers.IsCompleted)
                {
                    await peers.ConfigureAwait(false);
                }

                stop.Token.ThrowIfCancellationRequested();
            }
        }
        catch (Exception ex)
        {
            if (ex is OperationCanceledException)
            {
                _ready.TrySetCanceled(cancellationToken);
            }
            else
            {
                _ready.TrySetException(ex);
            }

            throw;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await peers.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// Reconciles every table once now: one list call per table, then only the writes that are needed.
    /// <see cref="RunAsync"/> calls it at start and every period; call it directly to force one.
    /// </summary>
    /// <param name="cancellationToken">Cancels the reconcile.</param>
    /// <returns>A task.</returns>
    /// <exception cref="CloudRouteException">A call failed (after retries for retriable kinds); the status says so.</exception>
    public async Task ReconcileAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _reconcileGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CloudRouteException? failure = null;
            var statuses = new List<CloudRouteTableStatus>();
            var full = new List<string>();
            foreach (string table in _tables)
            {
                try
                {
                    (CloudRouteTableStatus status, bool isFull) = await ReconcileTableAsync(table, cancellationToken).ConfigureAwait(false);
                    statuses.Add(status);
                    if (isFull)
                    {
                        full.Add(status.ToString());
                    }
                }
                catch (CloudRouteException ex)
                {
                    failure ??= ex;
                    statuses.Add(_tableStatus.FirstOrDefault(s => s.RouteTable == table) ?? new CloudRouteTableStatus(table, 0, LimitOf(table), false));
                }
            }

            lock (_lock)
            {
                _tableStatus = [.. statuses];
                _lastReconcile = _time.GetUtcNow();
                _lastReconcileError = failure?.Message;
            }

            if (full.Count > 0)
            {
                _status.Report(RouteTableFullProblem, $"no room for this node's route {Lease.Subnet} (count / limit): {string.Join("; ", full)}; raise the route quota (and set RouteLimit), add route tables, or use fewer, larger subnets. Nothing else was changed.");
            }
            else
            {
                _status.Clear(RouteTableFullProblem);
            }

            UpdatePeerStatus();
            if (failure is null)
            {
                _status.Clear(CredentialsRejectedProblem);
                _status.Clear(ReconcileFailingProblem);
                _reconcileCounter.Add(1, new KeyValuePair<string, object?>("backend", _provider.Type), new KeyValuePair<string, object?>("outcome", "ok"));
                _reconciled = true;
                CompleteReadyIfDone();
                return;
            }

            _reconcileCounter.Add(1, new KeyValuePair<string, object?>("backend", _provider.Type), new KeyValuePair<string, object?>("outcome", failure.Error.Kind.ToString()));
            if (failure.Error.Kind == CloudRouteErrorKind.Unauthorized)
            {
                _status.Report(CredentialsRejectedProblem, $"the provider rejected the credentials or a permission is missing ({failure.Operation}): {failure.Error.Message}");
            }
            else
            {
                _status.Report(ReconcileFailingProblem, $"reconciling the cloud routes failed ({failure.Operation}): {failure.Error.Message}; retrying");
            }

            throw failure;
        }
        finally
        {
            _reconcileGate.Release();
        }
    }

    private async Task<(CloudRouteTableStatus Status, bool Full)> ReconcileTableAsync(string table, CancellationToken cancellationToken)
    {
        IPNetwork own = Lease.Subnet!.Value;
        IPNetwork network = _config.Network!.Value;
        var routes = (await CallAsync("list", ct => _provider.ListRoutesAsync(table, ct), cancellationToken).ConfigureAwait(false)).ToList();
        bool full = false;

        CloudRoute? existing = routes.FirstOrDefault(r => r.Destination.Equals(own));
        if (existing is null)
        {
            int? limit = LimitOf(table);
            if (limit is { } l && routes.Count >= l)
            {
                full = true;
            }
            else
            {
                try
                {
                    await CallAsync("create", async ct => { await _provider.CreateRouteAsync(table, own, Identity, ct).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);
                    routes.Add(new CloudRoute(own, Identity.Target, CloudRouteState.Active));
                    Log.RouteCreated(_logger, table, own, Identity.Target);
                }
                catch (CloudRouteException ex) when (ex.Error.Kind == CloudRouteErrorKind.QuotaExceeded)
                {
                    int learned = ex.Error.Limit ?? routes.Count;
                    // Forgotten after ten periods, so that a raised quota is found by one create attempt then.
                    _learnedLimits[table] = (learned, _time.GetUtcNow() + (_options.ReconcileInterval * 10));
                    Log.RouteTableFull(_logger, table, routes.Count, learned, ex.Error.Message);
                    full = true;
                }
            }
        }
        else if (!string.Equals(existing.Target, Identity.Target, StringComparison.Ordinal) || existing.State != CloudRouteState.Active)
        {
            // Replace in place: never delete-then-create (no window without a route).
            await CallAsync("replace", async ct => { await _provider.ReplaceRouteAsync(table, existing, Identity, ct).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);
            routes[routes.IndexOf(existing)] = existing with { Target = Identity.Target, State = CloudRouteState.Active };
            Log.RouteReplaced(_logger, table, own, existing.Target, existing.State, Identity.Target);
        }

        foreach (CloudRoute route in routes.ToList())
        {
            if (route.Destination.Equals(own) || !Inside(network, route.Destination))
            {
                continue;
            }

            bool stale = string.Equals(route.Target, Identity.Target, StringComparison.Ordinal);
            bool blackhole = _options.CleanUpBlackholes && route.State == CloudRouteState.Blackhole;
            if (!stale && !blackhole)
            {
                continue;
            }

            try
            {
                await CallAsync("delete", async ct => { await _provider.DeleteRouteAsync(table, route, ct).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);
            }
            catch (CloudRouteException ex) when (ex.Error.Kind == CloudRouteErrorKind.NotFound)
            {
                // Someone else removed it first: the wanted state.
            }

            routes.Remove(route);
            Log.RouteDeleted(_logger, table, route, stale ? "this node's route for a subnet it no longer holds" : "a blackhole inside the Network");
        }

        lock (_lock)
        {
            _listings = _listings.SetItem(table, routes);
        }

        bool present = routes.Any(r => r.Destination.Equals(own) && string.Equals(r.Target, Identity.Target, StringComparison.Ordinal) && r.State == CloudRouteState.Active);
        return (new CloudRouteTableStatus(table, routes.Count, LimitOf(table), present), full);
    }

    private int? LimitOf(string table) =>
        _learnedLimits.TryGetValue(table, out (int Limit, DateTimeOffset Until) learned) && _time.GetUtcNow() < learned.Until ? learned.Limit : _options.RouteLimit;

    private static bool Inside(IPNetwork network, IPNetwork destination) =>
        destination.PrefixLength >= network.PrefixLength && network.Contains(destination.BaseAddress);

    private ValueTask<T> CallAsync<T>(string operation, Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken) =>
        _context.CallAsync(operation, call, cancellationToken);

    private TimeSpan ReconcileInterval()
    {
        double factor = 1 + (_options.ReconcileJitter * ((2 * NextDouble()) - 1));
        return TimeSpan.FromTicks((long)(_options.ReconcileInterval.Ticks * factor));
    }

    private double NextDouble()
    {
        lock (_random)
        {
            return _random.NextDouble();
        }
    }

    private async Task WatchPeersAsync(CancellationToken cancellationToken)
    {
        var watcher = new PeerWatcher(Lease, _loggerFactory, _time);
        await foreach (ImmutableArray<LeaseEvent> _ in watcher.WatchAsync(_registry, cancellationToken).ConfigureAwait(false))
        {
            lock (_lock)
            {
                _peerLeases = watcher.Peers.Where(p => p.Subnet is not null).ToImmutableDictionary(p => p.Key, StringComparer.Ordinal);
                _peersSeen = true;
            }

            UpdatePeerStatus();
            CompleteReadyIfDone();
        }
    }

    private void CompleteReadyIfDone()
    {
        if (_reconciled && Volatile.Read(ref _peersSeen))
        {
            _ready.TrySetResult();
        }
    }

    private void UpdatePeerStatus()
    {
        var changed = new List<PeerStatusChangedEventArgs>();
        lock (_lock)
        {
            if (!_reconciled && _listings.IsEmpty)
            {
                return;
            }

            DateTimeOffset now = _time.GetUtcNow();
            ImmutableDictionary<string, PeerStatus>.Builder next = ImmutableDictionary.CreateBuilder<string, PeerStatus>(StringComparer.Ordinal);
            foreach (Lease lease in _peerLeases.Values)
            {
                (PeerMode mode, string reason) = PeerRoute(lease.Subnet!.Value);
                _peers.TryGetValue(lease.Key, out PeerStatus? previous);
                PeerStatus status = previous is not null && previous.Mode == mode && previous.Reason == reason && previous.Lease == lease
                    ? previous
                    : new PeerStatus(lease.Key, lease, mode, reason, null, previous is not null && previous.Mode == mode && previous.Reason == reason ? previous.LastChange : now);
                next[lease.Key] = status;
                if (previous is null || previous.Mode != mode || previous.Reason != reason)
                {
                    changed.Add(new PeerStatusChangedEventArgs(previous, status));
                }
            }

            foreach (PeerStatus gone in _peers.Values.Where(p => !next.ContainsKey(p.Key)))
            {
                changed.Add(new PeerStatusChangedEventArgs(gone, null));
            }

            Volatile.Write(ref _peers, next.ToImmutable());
        }

        foreach (PeerStatusChangedEventArgs e in changed)
        {
            if (e.Current is { } current)
            {
                Log.PeerRouteStatus(_logger, current.Key, current.Mode, current.Reason);
            }

            OverlayEvents.Raise(PeerStatusChanged, this, e, _logger, nameof(PeerStatusChanged));
        }
    }

    private (PeerMode Mode, string Reason) PeerRoute(IPNetwork subnet)
    {
        var found = new List<string>();
        var missing = new List<string>();
        foreach (string table in _tables)
        {
            if (!_listings.TryGetValue(table, out IReadOnlyList<CloudRoute>? routes))
            {
                missing.Add($"{table}: not read yet");
                continue;
            }

            CloudRoute? route = routes.FirstOrDefault(r => r.Destination.Equals(subnet));
            if (route is null)
            {
                missing.Add($"{table}: no route");
            }
            else if (route.State != CloudRouteState.Active)
            {
                missing.Add($"{table}: {route.State.ToString().ToLowerInvariant()} route to {route.Target ?? "-"}");
            }
            else
            {
                found.Add($"{table} -> {route.Target ?? "-"}");
            }
        }

        return missing.Count == 0
            ? (PeerMode.CloudRoute, "routed: " + string.Join(", ", found))
            : (PeerMode.Unreachable, "not routed: " + string.Join(", ", missing) + (found.Count > 0 ? "; routed: " + string.Join(", ", found) : string.Empty));
    }

    private IEnumerable<Measurement<int>> TableMeasurements(Func<CloudRouteTableStatus, int> value)
    {
        foreach (CloudRouteTableStatus table in _tableStatus)
        {
            yield return new Measurement<int>(value(table), new KeyValuePair<string, object?>("backend", _provider.Type), new KeyValuePair<string, object?>("route_table", table.RouteTable));
        }
    }

    /// <summary>Stops the network; deletes this node's routes only when <see cref="CloudRouteOptions.RemoveRoutesOnShutdown"/> says so; disposes the provider.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (_options.RemoveRoutesOnShutdown)
            {
                IPNetwork own = Lease.Subnet!.Value;
                foreach (string table in _tables)
                {
                    try
                    {
                        IReadOnlyList<CloudRoute> routes = await CallAsync("list", ct => _provider.ListRoutesAsync(table, ct), CancellationToken.None).ConfigureAwait(false);
                        foreach (CloudRoute route in routes.Where(r => r.Destination.Equals(own) && string.Equals(r.Target, Identity.Target, StringComparison.Ordinal)))
                        {
                            await CallAsync("delete", async ct => { await _provider.DeleteRouteAsync(table, route, ct).ConfigureAwait(false); return true; }, CancellationToken.None).ConfigureAwait(false);
                            Log.RouteDeleted(_logger, table, route, "shutdown (RemoveRoutesOnShutdown)");
                        }
                    }
                    catch (CloudRouteException ex)
                    {
                        Log.ReconcileFailed(_logger, _provider.Type, TimeSpan.Zero, ex.Message);
                    }
                }
            }
        }
        finally
        {
            _meter.Dispose();
            _reconcileGate.Dispose();
            await DisposeProviderAsync(_provider).ConfigureAwait(false);
        }
    }
}
