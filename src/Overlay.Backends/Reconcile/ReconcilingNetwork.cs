using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.Reconcile;

/// <summary>
/// The peer loop shared by backends that program kernel state. It watches the registry's leases
/// (through <see cref="PeerWatcher"/>), turns each peer into a <see cref="PeerPlan"/> with
/// <see cref="PlanAsync"/>, and applies plans through a <see cref="PeerReconciler"/>. It also
/// subscribes to netlink notifications: an owned object deleted or altered outside Overlay is
/// restored (typically within milliseconds), a link or address change re-plans every peer, and lost
/// notifications or the periodic timer run a full reconcile. On start it waits for the first lease
/// snapshot and then runs a full reconcile, which adopts what is already right and removes stale
/// objects that no lease wants.
/// </summary>
public abstract class ReconcilingNetwork : IOverlayNetwork
{
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly NetlinkGroups _groups;
    private int _disposed;

    /// <summary>Creates the network.</summary>
    /// <param name="type">The backend type (for logs).</param>
    /// <param name="registration">The registration it was created from.</param>
    /// <param name="lease">The node's lease.</param>
    /// <param name="mtu">The MTU pods should use.</param>
    /// <param name="netlink">The netlink client the network programs through (owned by the network).</param>
    /// <param name="kinds">The kinds of kernel object it owns, in installation order.</param>
    /// <param name="groups">The netlink notification groups to follow for self-healing.</param>
    /// <param name="logger">Logger.</param>
    protected ReconcilingNetwork(string type, NetworkRegistration registration, Lease lease, int mtu, NetlinkClient netlink,
        IReadOnlyList<IKernelObjectKind> kinds, NetlinkGroups groups, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(netlink);
        ArgumentNullException.ThrowIfNull(logger);
        Type = type;
        Registration = registration;
        Lease = lease;
        Mtu = mtu;
        Netlink = netlink;
        Logger = logger;
        _groups = groups;
        Reconciler = new PeerReconciler(kinds, registration.Reconcile, registration.TimeProvider, logger);
        Reconciler.StatusChanged += (_, e) => OverlayEvents.Raise(PeerStatusChanged, this, e, Logger, nameof(PeerStatusChanged));
        Problems = new NodeStatusTracker(registration.TimeProvider, logger);
        Problems.Changed += (_, e) => OverlayEvents.Raise(StatusChanged, this, e, Logger, nameof(StatusChanged));
    }

    /// <inheritdoc />
    public event EventHandler<PeerStatusChangedEventArgs>? PeerStatusChanged;

    /// <inheritdoc />
    public event EventHandler<NodeStatusChangedEventArgs>? StatusChanged;

    /// <inheritdoc />
    public NodeStatus Status => Problems.Current;

    /// <summary>The node-level problems this network reports (<see cref="Status"/>); backends report and clear through it.</summary>
    protected NodeStatusTracker Problems { get; }

    /// <summary>
    /// When true, a change of a route that is not ours (another protocol) re-plans every peer: the
    /// underlay changed, so which peers are on-link may have changed (host-gw, DirectRouting). False by default.
    /// </summary>
    protected virtual bool ReplansOnUnderlayRouteChange => false;

    /// <summary>The backend type.</summary>
    public string Type { get; }

    /// <inheritdoc />
    public Lease Lease { get; }

    /// <inheritdoc />
    public int Mtu { get; }

    /// <inheritdoc />
    /// <remarks>A backend may override this to add data-path counters (<see cref="PeerStatus.Counters"/>).</remarks>
    public virtual IReadOnlyList<PeerStatus> Peers => Reconciler.Status;

    /// <summary>The registration.</summary>
    protected NetworkRegistration Registration { get; }

    /// <summary>The netlink client (owned).</summary>
    protected NetlinkClient Netlink { get; }

    /// <summary>The reconciler.</summary>
    protected PeerReconciler Reconciler { get; }

    /// <summary>Logger.</summary>
    protected ILogger Logger { get; }

    /// <inheritdoc />
    /// <remarks>Faults with the run's error (or is cancelled) when <see cref="RunAsync"/> ends before the first snapshot was programmed.</remarks>
    public Task Ready => _ready.Task;

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Turns a peer's lease into its plan.</summary>
    protected abstract ValueTask<PeerPlan> PlanAsync(Lease peer, CancellationToken cancellationToken);

    /// <summary>
    /// Handles a burst of netlink notifications. The default restores owned objects reported deleted
    /// or changed (for every kind that can decode the notification, see <see cref="RepairTarget"/>),
    /// on a link or address change re-plans every peer and runs a full reconcile, and — when
    /// <see cref="ReplansOnUnderlayRouteChange"/> — re-plans every peer when a route that is not ours changed.
    /// </summary>
    protected virtual async ValueTask OnNotificationsAsync(IReadOnlyList<NetlinkNotification> notifications, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        var byKind = new Dictionary<IKernelObjectKind, List<(object, bool)>>();
        bool topology = false;
        foreach (NetlinkNotification n in notifications)
        {
            if (n is LinkNotification or AddressNotification)
            {
                topology = true;
                continue;
            }

            if (RepairTarget(n) is { } target)
            {
                if (!byKind.TryGetValue(target.Kind, out List<(object, bool)>? list))
                {
                    byKind[target.Kind] = list = [];
                }

                list.Add((target.Item, n.Kind == NetlinkChangeKind.Removed));
            }
        }

        foreach (var (kind, items) in byKind)
        {
            await Reconciler.RepairAsync(kind, items, cancellationToken).ConfigureAwait(false);
        }

        if (topology)
        {
            await ReplanAllAsync(cancellationToken).ConfigureAwait(false);
            await Reconciler.ReconcileAllAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (ReplansOnUnderlayRouteChange
            && notifications.Any(n => n is RouteNotification r && r.Route.Protocol != Registration.Reconcile.RouteProtocol))
        {
            await ReplanAllAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Maps a notification to the kind and object it concerns, or null to ignore it.</summary>
    protected abstract (IKernelObjectKind Kind, object Item)? RepairTarget(NetlinkNotification notification);

    /// <summary>Re-plans every known peer and applies the differences (after topology changes).</summary>
    protected async ValueTask ReplanAllAsync(CancellationToken cancellationToken)
    {
        var plans = new List<PeerPlan>();
        foreach (PeerPlan plan in Reconciler.Desired.Values.ToArray())
        {
            plans.Add(await PlanAsync(plan.Lease, cancellationToken).ConfigureAwait(false));
        }

        await Reconciler.ApplyAsync(plans, [], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>A backend with a data path of its own overrides this to end the run with that data path's failure.</remarks>
    public virtual async Task RunAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task peers = WatchPeersAsync(stop.Token);
        Task notifications = _groups == NetlinkGroups.None ? Task.CompletedTask : WatchNotificationsAsync(stop.Token);
        try
        {
            await LoopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ready.TrySetCanceled(cancellationToken);
            throw;
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
            throw;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(peers, notifications).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        TimeProvider time = Registration.TimeProvider;
        ReconcileOptions options = Registration.Reconcile;
        DateTimeOffset? nextFull = null;
        bool started = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DateTimeOffset now = time.GetUtcNow();
            DateTimeOffset? wake = Min(started ? Reconciler.NextRetryDue : null, nextFull);
            if (!_work.Reader.TryPeek(out _))
            {
                using var waitCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Task<bool> readable = _work.Reader.WaitToReadAsync(waitCts.Token).AsTask();
                Task timer = wake is { } w ? Task.Delay(w > now ? w - now : TimeSpan.Zero, time, waitCts.Token) : Task.Delay(Timeout.InfiniteTimeSpan, time, waitCts.Token);
                await Task.WhenAny(readable, timer).ConfigureAwait(false);
                await waitCts.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (readable.IsCompletedSuccessfully && !readable.Result)
                {
                    throw new ObjectDisposedException(GetType().Name, "The network was disposed while running.");
                }

                if (readable.IsFaulted)
                {
                    await readable.ConfigureAwait(false); // the lease watch failed: end with its error
                }
            }

            var batches = new List<ImmutableArray<LeaseEvent>>();
            var notifications = new List<NetlinkNotification>();
            bool full = false;
            if (_work.Reader.TryPeek(out Work? first) && first is NotificationWork && options.RepairDebounce > TimeSpan.Zero)
            {
                await Task.Delay(options.RepairDebounce, time, cancellationToken).ConfigureAwait(false); // let a burst gather
            }

            while (_work.Reader.TryRead(out Work? item))
            {
                switch (item)
                {
                    case PeerWork p:
                        batches.Add(p.Events);
                        break;
                    case NotificationWork n when n.Notification is NotificationsLost:
                        Log.NotificationsLost(Logger);
                        full = true;
                        break;
                    case NotificationWork n:
                        notifications.Add(n.Notification);
                        break;
                }
            }

            if (!started)
            {
                if (batches.Count == 0)
                {
                    continue; // nothing is programmed before the first snapshot
                }

                var initial = new Dictionary<string, Lease>(StringComparer.Ordinal);
                Collect(batches, initial, null);
                var plans = new List<PeerPlan>();
                foreach (Lease peer in initial.Values)
                {
                    plans.Add(await PlanAsync(peer, cancellationToken).ConfigureAwait(false));
                }

                Reconciler.SetDesired(plans);
                await Reconciler.ReconcileAllAsync(cancellationToken).ConfigureAwait(false);
                started = true;
                nextFull = options.FullReconcileInterval is { } i ? time.GetUtcNow() + i : null;
                Log.NetworkStarted(Logger, Type, Lease.Key, plans.Count);
                _ready.TrySetResult();
                continue;
            }

            if (batches.Count > 0)
            {
                var added = new Dictionary<string, Lease>(StringComparer.Ordinal);
                var removed = new HashSet<string>(StringComparer.Ordinal);
                Collect(batches, added, removed);
                var plans = new List<PeerPlan>();
                foreach (Lease peer in added.Values)
                {
                    plans.Add(await PlanAsync(peer, cancellationToken).ConfigureAwait(false));
                }

                await Reconciler.ApplyAsync(plans, removed, cancellationToken).ConfigureAwait(false);
            }

            if (notifications.Count > 0)
            {
                await OnNotificationsAsync(notifications, cancellationToken).ConfigureAwait(false);
            }

            if (full || (nextFull is { } due && time.GetUtcNow() >= due))
            {
                await Reconciler.ReconcileAllAsync(cancellationToken).ConfigureAwait(false);
                nextFull = options.FullReconcileInterval is { } i ? time.GetUtcNow() + i : null;
            }

            await Reconciler.RetryDueAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Collect(List<ImmutableArray<LeaseEvent>> batches, Dictionary<string, Lease> added, HashSet<string>? removed)
    {
        foreach (ImmutableArray<LeaseEvent> batch in batches)
        {
            foreach (LeaseEvent e in batch)
            {
                string key = e.Lease.Key;
                if (e.Kind == LeaseEventKind.Added)
                {
                    added[key] = e.Lease;
                    removed?.Remove(key);
                }
                else
                {
                    added.Remove(key);
                    removed?.Add(key);
                }
            }
        }
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;

    private async Task WatchPeersAsync(CancellationToken cancellationToken)
    {
        var watcher = new PeerWatcher(Lease, Registration.LoggerFactory, Registration.TimeProvider);
        try
        {
            await foreach (ImmutableArray<LeaseEvent> events in watcher.WatchAsync(Registration.Registry, cancellationToken).ConfigureAwait(false))
            {
                _work.Writer.TryWrite(new PeerWork(events));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _work.Writer.TryComplete(ex); // the loop ends with the watch's error
        }
    }

    private async Task WatchNotificationsAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (NetlinkNotification n in Netlink.WatchAsync(_groups, cancellationToken).ConfigureAwait(false))
                {
                    delay = TimeSpan.FromMilliseconds(100);
                    _work.Writer.TryWrite(new NotificationWork(n));
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NetlinkException or IOException or System.Net.Sockets.SocketException)
            {
                Log.NotificationWatchFailed(Logger, delay, ex);
                _work.Writer.TryWrite(new NotificationWork(new NotificationsLost()));
            }

            try
            {
                await Task.Delay(delay, Registration.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    /// <summary>Releases the netlink client. Kernel state is left in place (flannel's behaviour:
    /// a restart does not disturb traffic). Idempotent.</summary>
    public virtual ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _ready.TrySetCanceled();
            _work.Writer.TryComplete();
            Netlink.Dispose();
        }

        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private abstract record Work;

    private sealed record PeerWork(ImmutableArray<LeaseEvent> Events) : Work;

    private sealed record NotificationWork(NetlinkNotification Notification) : Work;
}
