using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Overlay.Backends.Reconcile;

/// <summary>
/// Keeps the kernel in the state that the peers' plans describe. It remembers the desired plan and
/// the last programmed objects of every peer, and on a change applies only the difference (a changed
/// value replaces exactly that object, an object no longer wanted is removed), batching every peer's
/// work into one bulk call per object kind. Failures are isolated per peer, recorded in its status
/// and retried with back-off. <see cref="ReconcileAllAsync"/> compares everything with what the
/// kernel holds — restoring what is missing or altered and removing owned objects that no plan wants
/// (also a predecessor's) — and <see cref="RepairAsync"/> does the same for single objects that
/// notifications report deleted or changed.
/// </summary>
/// <remarks>Not thread-safe by itself: callers serialise calls (the network's loop does).</remarks>
public sealed class PeerReconciler
{
    private readonly IReadOnlyList<IKernelObjectKind> _kinds;
    private readonly ReconcileOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, PeerPlan> _desired = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<DesiredObject>> _programmed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PeerStatus> _status = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset Due, TimeSpan Delay)> _retries = new(StringComparer.Ordinal);
    private readonly Dictionary<(IKernelObjectKind Kind, object Key), string> _owners = [];
    private readonly Lock _statusLock = new();

    /// <summary>Creates a reconciler over <paramref name="kinds"/>, in installation order (removal
    /// runs in reverse: for vxlan neighbour, FDB, route).</summary>
    public PeerReconciler(IReadOnlyList<IKernelObjectKind> kinds, ReconcileOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        _kinds = kinds;
        _options = options ?? new ReconcileOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Raised when a peer's status changes.</summary>
    public event EventHandler<PeerStatusChangedEventArgs>? StatusChanged;

    /// <summary>The status of every peer with a plan (and of removed peers whose clean-up failed).</summary>
    public IReadOnlyList<PeerStatus> Status
    {
        get
        {
            lock (_statusLock)
            {
                return [.. _status.Values.OrderBy(s => s.Key, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The desired plans, by peer key.</summary>
    public IReadOnlyDictionary<string, PeerPlan> Desired => _desired;

    /// <summary>When the earliest pending retry is due, or null when nothing waits for a retry.</summary>
    public DateTimeOffset? NextRetryDue => _retries.Count == 0 ? null : _retries.Values.Min(r => r.Due);

    /// <summary>
    /// Sets the plans of the given peers and forgets the removed ones, then programs the difference
    /// from what was last programmed.
    /// </summary>
    public async ValueTask ApplyAsync(IReadOnlyCollection<PeerPlan> plans, IReadOnlyCollection<string> removedPeers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plans);
        ArgumentNullException.ThrowIfNull(removedPeers);
        var touched = new List<string>();
        foreach (string key in removedPeers)
        {
            if (_desired.Remove(key) || _programmed.ContainsKey(key))
            {
                touched.Add(key);
            }
        }

        foreach (PeerPlan plan in plans)
        {
            _desired[plan.Key] = plan;
            touched.Add(plan.Key);
        }

        await ProgramAsync(touched, forceInstall: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets desired plans without programming anything (before the first full reconcile,
    /// so that objects already right are left untouched).</summary>
    public void SetDesired(IEnumerable<PeerPlan> plans)
    {
        ArgumentNullException.ThrowIfNull(plans);
        foreach (PeerPlan plan in plans)
        {
            _desired[plan.Key] = plan;
            UpdateStatus(plan.Key, plan, error: null);
        }
    }

    /// <summary>Re-programs the peers whose retry is due.</summary>
    public async ValueTask RetryDueAsync(CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = _time.GetUtcNow();
        List<string> due = [.. _retries.Where(r => r.Value.Due <= now).Select(r => r.Key)];
        if (due.Count > 0)
        {
            await ProgramAsync(due, forceInstall: null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Restores objects that notifications report deleted or changed: an object whose key a plan
    /// wants is installed again when it was deleted or no longer matches. Returns how many were restored.
    /// </summary>
    public async ValueTask<int> RepairAsync(IKernelObjectKind kind, IReadOnlyCollection<(object Item, bool Deleted)> observed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(observed);
        var force = new HashSet<(IKernelObjectKind, object)>();
        var peers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (item, deleted) in observed)
        {
            object key = kind.GetKey(item);
            if (!_owners.TryGetValue((kind, key), out string? peer) || !_desired.TryGetValue(peer, out PeerPlan? plan))
            {
                continue;
            }

            DesiredObject? wanted = plan.Objects.Cast<DesiredObject?>().FirstOrDefault(o => o!.Value.Kind == kind && Equals(kind.GetKey(o.Value.Item), key));
            if (wanted is null || (!deleted && kind.Matches(wanted.Value.Item, item)))
            {
                continue;
            }

            force.Add((kind, key));
            peers.Add(peer);
        }

        if (peers.Count == 0)
        {
            return 0;
        }

        int restored = await ProgramAsync([.. peers], force, cancellationToken).ConfigureAwait(false);
        if (restored > 0)
        {
            Log.ObjectsRepaired(_logger, restored, kind.Name);
        }

        return restored;
    }

    /// <summary>
    /// Compares every kind's owned kernel objects with the plans: installs what is missing or
    /// altered, removes what no plan wants. Returns the counts.
    /// </summary>
    public async ValueTask<ReconcileResult> ReconcileAllAsync(CancellationToken cancellationToken = default)
    {
        int installed = 0, removed = 0, failed = 0;
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var verified = new Dictionary<string, List<DesiredObject>>(StringComparer.Ordinal);
        foreach (IKernelObjectKind kind in _kinds)
        {
            IReadOnlyList<object> actual = await kind.ListOwnedAsync(cancellationToken).ConfigureAwait(false);
            var actualByKey = new Dictionary<object, object>();
            foreach (object item in actual)
            {
                actualByKey[kind.GetKey(item)] = item;
            }

            var wantedKeys = new HashSet<object>();
            var toInstall = new List<(string Peer, DesiredObject Object)>();
            foreach (PeerPlan plan in _desired.Values)
            {
                foreach (DesiredObject o in plan.Objects.Where(o => o.Kind == kind))
                {
                    object key = kind.GetKey(o.Item);
                    wantedKeys.Add(key);
                    _owners[(kind, key)] = plan.Key;
                    if (actualByKey.TryGetValue(key, out object? present) && kind.Matches(o.Item, present))
                    {
                        Add(verified, plan.Key, o);
                    }
                    else
                    {
                        toInstall.Add((plan.Key, o));
                    }
                }
            }

            List<object> stale = [.. actual.Where(item => !wantedKeys.Contains(kind.GetKey(item)))];
            if (stale.Count > 0)
            {
                IReadOnlyList<KernelObjectFailure> failures = await kind.RemoveAsync(stale, cancellationToken).ConfigureAwait(false);
                removed += stale.Count - failures.Count;
                failed += failures.Count;
                foreach (object item in stale.Where((_, i) => failures.All(f => f.Index != i)))
                {
                    Log.StaleObjectRemoved(_logger, kind.Name, item);
                }
            }

            if (toInstall.Count > 0)
            {
                IReadOnlyList<KernelObjectFailure> failures = await kind.InstallAsync([.. toInstall.Select(t => t.Object.Item)], cancellationToken).ConfigureAwait(false);
                var failedIndexes = failures.ToDictionary(f => f.Index);
                for (int i = 0; i < toInstall.Count; i++)
                {
                    if (failedIndexes.TryGetValue(i, out KernelObjectFailure? failure))
                    {
                        failed++;
                        Add(errors, toInstall[i].Peer, $"{kind.Name} {toInstall[i].Object.Item}: {failure.Message}");
                    }
                    else
                    {
                        installed++;
                        Add(verified, toInstall[i].Peer, toInstall[i].Object);
                    }
                }
            }
        }

        // What is verified or freshly installed is now the programmed state.
        _programmed.Clear();
        foreach (var (peer, objects) in verified)
        {
            _programmed[peer] = objects;
        }

        foreach (PeerPlan plan in _desired.Values)
        {
            string? error = errors.TryGetValue(plan.Key, out List<string>? list) ? string.Join("; ", list) : null;
            UpdateStatus(plan.Key, plan, error);
            ScheduleRetry(plan.Key, error is not null);
        }

        var result = new ReconcileResult(installed, removed, failed);
        Log.FullReconcile(_logger, result.Installed, result.Removed, result.Failed);
        return result;
    }

    /// <summary>Programs the difference between desired and programmed for <paramref name="peers"/>;
    /// objects in <paramref name="forceInstall"/> are installed even if believed programmed.
    /// Returns the number of objects installed.</summary>
    private async ValueTask<int> ProgramAsync(IReadOnlyList<string> peers, HashSet<(IKernelObjectKind, object)>? forceInstall, CancellationToken cancellationToken)
    {
        var removals = _kinds.ToDictionary(k => k, _ => new List<(string Peer, DesiredObject Object)>());
        var installs = _kinds.ToDictionary(k => k, _ => new List<(string Peer, DesiredObject Object)>());
        var next = new Dictionary<string, List<DesiredObject>>(StringComparer.Ordinal);
        foreach (string peer in peers.Distinct(StringComparer.Ordinal))
        {
            List<DesiredObject> old = _programmed.GetValueOrDefault(peer) ?? [];
            IReadOnlyList<DesiredObject> wanted = _desired.TryGetValue(peer, out PeerPlan? plan) ? plan.Objects : [];
            var kept = new List<DesiredObject>();
            foreach (DesiredObject o in old)
            {
                object key = o.Kind.GetKey(o.Item);
                if (!wanted.Any(w => w.Kind == o.Kind && Equals(w.Kind.GetKey(w.Item), key)))
                {
                    removals[o.Kind].Add((peer, o));
                    kept.Add(o); // until its removal succeeds
                }
            }

            foreach (DesiredObject w in wanted)
            {
                object key = w.Kind.GetKey(w.Item);
                _owners[(w.Kind, key)] = peer;
                DesiredObject? current = old.Cast<DesiredObject?>().FirstOrDefault(o => o!.Value.Kind == w.Kind && Equals(o.Value.Kind.GetKey(o.Value.Item), key));
                bool forced = forceInstall?.Contains((w.Kind, key)) == true;
                if (current is null || !current.Value.Item.Equals(w.Item) || forced)
                {
                    installs[w.Kind].Add((peer, w));
                }
                else
                {
                    kept.Add(w);
                }
            }

            next[peer] = kept;
        }

        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (int k = _kinds.Count - 1; k >= 0; k--)
        {
            IKernelObjectKind kind = _kinds[k];
            List<(string Peer, DesiredObject Object)> batch = removals[kind];
            if (batch.Count == 0)
            {
                continue;
            }

            IReadOnlyList<KernelObjectFailure> failures = await Execute(() => kind.RemoveAsync([.. batch.Select(b => b.Object.Item)], cancellationToken), batch.Count).ConfigureAwait(false);
            var failed = failures.ToDictionary(f => f.Index);
            for (int i = 0; i < batch.Count; i++)
            {
                if (failed.TryGetValue(i, out KernelObjectFailure? failure))
                {
                    Add(errors, batch[i].Peer, $"removing {kind.Name} {batch[i].Object.Item}: {failure.Message}");
                }
                else
                {
                    next[batch[i].Peer].Remove(batch[i].Object);
                    _owners.Remove((kind, kind.GetKey(batch[i].Object.Item)));
                }
            }
        }

        int installedCount = 0;
        foreach (IKernelObjectKind kind in _kinds)
        {
            List<(string Peer, DesiredObject Object)> batch = installs[kind];
            if (batch.Count == 0)
            {
                continue;
            }

            IReadOnlyList<KernelObjectFailure> failures = await Execute(() => kind.InstallAsync([.. batch.Select(b => b.Object.Item)], cancellationToken), batch.Count).ConfigureAwait(false);
            var failed = failures.ToDictionary(f => f.Index);
            for (int i = 0; i < batch.Count; i++)
            {
                if (failed.TryGetValue(i, out KernelObjectFailure? failure))
                {
                    Add(errors, batch[i].Peer, $"{kind.Name} {batch[i].Object.Item}: {failure.Message}");
                }
                else
                {
                    installedCount++;
                    next[batch[i].Peer].Add(batch[i].Object);
                }
            }
        }

        foreach (var (peer, objects) in next)
        {
            string? error = errors.TryGetValue(peer, out List<string>? list) ? string.Join("; ", list) : null;
            if (objects.Count == 0 && !_desired.ContainsKey(peer))
            {
                _programmed.Remove(peer);
            }
            else
            {
                _programmed[peer] = objects;
            }

            _desired.TryGetValue(peer, out PeerPlan? plan);
            if (plan is null && error is null)
            {
                RemoveStatus(peer);
                _retries.Remove(peer);
                continue;
            }

            if (error is not null)
            {
                Log.PeerProgrammingFailed(_logger, peer, error);
            }

            UpdateStatus(peer, plan, error);
            ScheduleRetry(peer, error is not null);
        }

        return installedCount;
    }

    private static async ValueTask<IReadOnlyList<KernelObjectFailure>> Execute(Func<ValueTask<IReadOnlyList<KernelObjectFailure>>> operation, int count)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A failure of the whole batch (socket error…) fails every object in it; each peer retries.
            return [.. Enumerable.Range(0, count).Select(i => new KernelObjectFailure(i, ex.Message))];
        }
    }

    private void ScheduleRetry(string peer, bool failed)
    {
        if (!failed)
        {
            _retries.Remove(peer);
            return;
        }

        TimeSpan delay = _retries.TryGetValue(peer, out var previous)
            ? TimeSpan.FromTicks(Math.Min(previous.Delay.Ticks * 2, _options.MaxRetryDelay.Ticks))
            : _options.InitialRetryDelay;
        _retries[peer] = (_time.GetUtcNow() + delay, delay);
    }

    private void UpdateStatus(string peer, PeerPlan? plan, string? error)
    {
        PeerStatus? previous;
        PeerStatus current;
        lock (_statusLock)
        {
            _status.TryGetValue(peer, out previous);
            if (plan is null)
            {
                if (previous is null)
                {
                    return;
                }

                current = previous with { LastError = error };
            }
            else
            {
                current = new PeerStatus(peer, plan.Lease, plan.Mode, plan.Reason, error, previous?.LastChange ?? _time.GetUtcNow());
            }

            if (previous is not null && previous.Mode == current.Mode && previous.Reason == current.Reason && previous.LastError == current.LastError && previous.Lease.Equals(current.Lease))
            {
                return;
            }

            current = current with { LastChange = _time.GetUtcNow() };
            _status[peer] = current;
        }

        Log.PeerStatusChanged(_logger, peer, current.Mode, current.Reason, current.LastError);
        OverlayEvents.Raise(StatusChanged, this, new PeerStatusChangedEventArgs(previous, current), _logger, nameof(StatusChanged));
    }

    private void RemoveStatus(string peer)
    {
        PeerStatus? previous;
        lock (_statusLock)
        {
            if (!_status.Remove(peer, out previous))
            {
                return;
            }
        }

        OverlayEvents.Raise(StatusChanged, this, new PeerStatusChangedEventArgs(previous, null), _logger, nameof(StatusChanged));
    }

    private static void Add<T>(Dictionary<string, List<T>> map, string key, T value)
    {
        if (!map.TryGetValue(key, out List<T>? list))
        {
            map[key] = list = [];
        }

        list.Add(value);
    }
}
