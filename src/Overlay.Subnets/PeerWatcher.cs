using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Overlay.Subnets;

/// <summary>
/// Turns a registry's lease batches into the peer events a backend programs: the node's own
/// subnet is dropped, snapshots are diffed against the known peers, and a known subnet whose
/// attributes changed is delivered again as <see cref="LeaseEventKind.Added"/> (as flanneld's
/// lease watch, with three of its faults fixed: the own lease is never reported, a resync reports attribute
/// changes, and a malformed record is reported and skipped instead of removing every peer).
/// </summary>
/// <remarks>
/// <see cref="Apply"/> is the pure rule set; <see cref="WatchAsync"/> runs it over
/// <see cref="ISubnetRegistry.WatchLeasesAsync"/>, restarting the watch (which begins with a fresh
/// snapshot) after a transient failure. Events for a lease whose subnets and attributes are
/// unchanged (for example a peer's renewal) are not delivered.
/// </remarks>
public sealed class PeerWatcher
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Lease> _peers = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private Lease? _ownLease;

    /// <summary>Creates a watcher for the node that holds <paramref name="ownLease"/>.</summary>
    public PeerWatcher(Lease? ownLease, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        _ownLease = ownLease;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PeerWatcher>();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The node's own lease; its subnets are never reported as a peer.</summary>
    public Lease? OwnLease
    {
        get
        {
            lock (_lock)
            {
                return _ownLease;
            }
        }
    }

    /// <summary>The peers known now, by subnet key.</summary>
    public IReadOnlyCollection<Lease> Peers
    {
        get
        {
            lock (_lock)
            {
                return [.. _peers.Values];
            }
        }
    }

    /// <summary>
    /// Changes the node's own lease (after a re-acquisition). A known peer that held the new own
    /// subnet is dropped and reported as removed in the returned events.
    /// </summary>
    public ImmutableArray<LeaseEvent> SetOwnLease(Lease? ownLease)
    {
        lock (_lock)
        {
            _ownLease = ownLease;
            if (ownLease is null)
            {
                return [];
            }

            var removed = ImmutableArray.CreateBuilder<LeaseEvent>();
            foreach (Lease peer in _peers.Values.ToArray())
            {
                if (IsOwn(peer))
                {
                    _peers.Remove(peer.Key);
                    removed.Add(new LeaseEvent(LeaseEventKind.Removed, peer));
                }
            }

            return removed.ToImmutable();
        }
    }

    /// <summary>
    /// Applies one registry batch to the known peers and returns the peer events it implies (empty
    /// when nothing changed). Errors in the batch are logged and skipped.
    /// </summary>
    public ImmutableArray<LeaseEvent> Apply(LeaseEventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (LeaseRecordError error in batch.Errors)
        {
            Log.MalformedLeaseSkipped(_logger, error.Key, error.Reason);
        }

        lock (_lock)
        {
            var result = ImmutableArray.CreateBuilder<LeaseEvent>();
            if (batch.IsSnapshot)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (LeaseEvent e in batch.Events)
                {
                    if (e.Kind != LeaseEventKind.Added || IsOwn(e.Lease))
                    {
                        continue;
                    }

                    seen.Add(e.Lease.Key);
                    AddOrChange(e.Lease, result);
                }

                // A malformed record keeps whatever we knew for its subnet.
                foreach (LeaseRecordError error in batch.Errors)
                {
                    if (error.Subnet is not null || error.IPv6Subnet is not null)
                    {
                        seen.Add(SubnetKey.Format(error.Subnet, error.IPv6Subnet));
                    }
                }

                foreach (Lease known in _peers.Values.ToArray())
                {
                    if (!seen.Contains(known.Key))
                    {
                        _peers.Remove(known.Key);
                        result.Add(new LeaseEvent(LeaseEventKind.Removed, known));
                    }
                }
            }
            else
            {
                foreach (LeaseEvent e in batch.Events)
                {
                    if (IsOwn(e.Lease))
                    {
                        continue;
                    }

                    if (e.Kind == LeaseEventKind.Added)
                    {
                        AddOrChange(e.Lease, result);
                    }
                    else if (_peers.Remove(e.Lease.Key, out Lease? known))
                    {
                        result.Add(new LeaseEvent(LeaseEventKind.Removed, known));
                    }
                }
            }

            ImmutableArray<LeaseEvent> events = result.ToImmutable();
            foreach (LeaseEvent e in events)
            {
                if (e.Kind == LeaseEventKind.Added)
                {
                    Log.PeerAdded(_logger, e.Lease.Key, e.Lease.Attributes.PublicIP ?? e.Lease.Attributes.PublicIPv6);
                }
                else
                {
                    Log.PeerRemoved(_logger, e.Lease.Key);
                }
            }

            return events;
        }
    }

    /// <summary>
    /// Watches <paramref name="registry"/> and yields non-empty batches of peer events until
    /// cancelled. The first batch describes every peer present. A transient registry failure
    /// restarts the watch after a back-off (100 ms doubling to 5 s); the new snapshot is diffed, so
    /// nothing is lost or repeated.
    /// </summary>
    public IAsyncEnumerable<ImmutableArray<LeaseEvent>> WatchAsync(ISubnetRegistry registry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return Watch(registry, cancellationToken);

        async IAsyncEnumerable<ImmutableArray<LeaseEvent>> Watch(ISubnetRegistry registry, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            TimeSpan delay = TimeSpan.FromMilliseconds(100);
            bool first = true;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                IAsyncEnumerator<LeaseEventBatch> batches = registry.WatchLeasesAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
                try
                {
                    while (true)
                    {
                        LeaseEventBatch batch;
                        try
                        {
                            if (!await batches.MoveNextAsync().ConfigureAwait(false))
                            {
                                break;
                            }

                            batch = batches.Current;
                        }
                        catch (SubnetRegistryException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
                        {
                            Log.WatchFailed(_logger, delay, ex);
                            break;
                        }

                        delay = TimeSpan.FromMilliseconds(100);
                        ImmutableArray<LeaseEvent> events = Apply(batch);
                        if (events.Length > 0 || first)
                        {
                            first = false;
                            yield return events;
                        }
                    }
                }
                finally
                {
                    await batches.DisposeAsync().ConfigureAwait(false);
                }

                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    // Callers hold _lock.
    private void AddOrChange(Lease lease, ImmutableArray<LeaseEvent>.Builder result)
    {
        string key = lease.Key;
        if (_peers.TryGetValue(key, out Lease? known) && known.Attributes.Equals(lease.Attributes))
        {
            _peers[key] = lease; // e.g. a renewal: newer expiration, nothing to reprogram
            return;
        }

        _peers[key] = lease;
        result.Add(new LeaseEvent(LeaseEventKind.Added, lease));
    }

    // Callers hold _lock.
    private bool IsOwn(Lease lease)
    {
        if (_ownLease is not { } own)
        {
            return false;
        }

        return (own.Subnet is { } s4 && lease.Subnet == s4) || (own.IPv6Subnet is { } s6 && lease.IPv6Subnet == s6);
    }
}
