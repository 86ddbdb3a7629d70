using System.Net;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Overlay.Subnets.Internal;

/// <summary>
/// The <see cref="ILeaseStore"/> of <see cref="InMemorySubnetRegistry"/>: a dictionary under a lock,
/// expiry through a <see cref="TimeProvider"/> timer, and one unbounded channel per watcher.
/// </summary>
internal sealed class InMemoryLeaseStore : ILeaseStore, IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Lease> _leases = new(StringComparer.Ordinal);
    private readonly Dictionary<IPNetwork, int> _subnets = []; // every stored subnet, either family
    private readonly Dictionary<(System.Net.Sockets.AddressFamily Family, int Length), int> _lengths = []; // leases per prefix length
    private readonly List<Channel<LeaseEventBatch>> _watchers = [];
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _expiryTimer;
    private readonly PriorityQueue<string, DateTimeOffset> _expiries = new(); // lazy: entries may be stale
    private DateTimeOffset? _scheduled;
    private NetworkConfig _config;
    private long _revision;
    private bool _disposed;

    public InMemoryLeaseStore(NetworkConfig config, TimeProvider time, ILogger logger)
    {
        _config = config;
        _time = time;
        _logger = logger;
        _expiryTimer = time.CreateTimer(static state => ((InMemoryLeaseStore)state!).ExpireDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void SetNetworkConfig(NetworkConfig config)
    {
        lock (_lock)
        {
            _config = config;
        }
    }

    public ValueTask<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult(_config);
        }
    }

    public ValueTask<LeaseListing> ListLeasesAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ExpireDue();
        lock (_lock)
        {
            return ValueTask.FromResult(new LeaseListing([.. _leases.Values], [], _revision));
        }
    }

    public ValueTask<Lease?> CreateLeaseAsync(Lease lease, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ExpireDue();
        lock (_lock)
        {
            string key = lease.Key;
            if (_leases.ContainsKey(key))
            {
                return ValueTask.FromResult<Lease?>(null);
            }

            // A dual-stack key names both subnets, so a different key can still share one of them with a
            // lease created since the caller's listing (two concurrent acquisitions): refuse, the caller
            // lists again.
            if (SharesSubnet(lease))
            {
                return ValueTask.FromResult<Lease?>(null);
            }

            Lease stored = lease with { Expiration = _time.GetUtcNow() + ttl, IsReservation = false };
            Store(key, stored);
            return ValueTask.FromResult<Lease?>(stored);
        }
    }

    public ValueTask<Lease?> UpdateLeaseAsync(Lease lease, TimeSpan? ttl, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ExpireDue();
        lock (_lock)
        {
            string key = lease.Key;
            if (!_leases.TryGetValue(key, out Lease? current) || !SameIdentity(current.Attributes, lease.Attributes))
            {
                return ValueTask.FromResult<Lease?>(null);
            }

            bool reservation = ttl is null || current.IsReservation;
            Lease stored = lease with
            {
                Expiration = reservation ? null : _time.GetUtcNow() + ttl!.Value,
                IsReservation = reservation,
            };
            Store(key, stored);
            return ValueTask.FromResult<Lease?>(stored);
        }
    }

    public ValueTask<bool> DeleteLeaseAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult(Remove(lease.Key));
        }
    }

    /// <summary>Adds a reservation (a lease that never expires) if its subnets overlap no lease.</summary>
    public Lease Reserve(Lease lease)
    {
        ExpireDue();
        lock (_lock)
        {
            foreach (Lease existing in _leases.Values)
            {
                if ((lease.Subnet is { } s4 && existing.Overlaps(s4)) || (lease.IPv6Subnet is { } s6 && existing.Overlaps(s6)))
                {
                    throw new InvalidOperationException($"Cannot reserve {lease.Key}: it overlaps the lease {existing.Key}.");
                }
            }

            Lease stored = lease with { Expiration = null, IsReservation = true };
            Store(lease.Key, stored);
            return stored;
        }
    }

    public async IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ExpireDue();
        var channel = Channel.CreateUnbounded<LeaseEventBatch>(new UnboundedChannelOptions { SingleReader = true });
        LeaseEventBatch snapshot;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            snapshot = LeaseEventBatch.Snapshot(_leases.Values.ToArray());
            _watchers.Add(channel);
        }

        try
        {
            yield return snapshot;
            await foreach (LeaseEventBatch batch in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return batch;
            }
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(channel);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (Channel<LeaseEventBatch> watcher in _watchers)
            {
                watcher.Writer.TryComplete(new ObjectDisposedException(nameof(InMemorySubnetRegistry)));
            }

            _watchers.Clear();
        }

        _expiryTimer.Dispose();
    }

    private static bool SameIdentity(LeaseAttributes stored, LeaseAttributes update) =>
        stored.PublicIP is not null || update.PublicIP is not null
            ? Equals(stored.PublicIP, update.PublicIP)
            : Equals(stored.PublicIPv6, update.PublicIPv6);

    // Callers hold _lock. True when a subnet of the lease overlaps a subnet of a stored lease. Blocks of
    // one length overlap only when equal, so that is a dictionary look-up; leases of other lengths
    // (reservations, an old configuration) are rare and scanned.
    private bool SharesSubnet(Lease lease)
    {
        foreach (IPNetwork? subnet in (ReadOnlySpan<IPNetwork?>)[lease.Subnet, lease.IPv6Subnet])
        {
            if (subnet is not { } s)
            {
                continue;
            }

            if (_subnets.ContainsKey(s))
            {
                return true;
            }

            bool otherLengths = _lengths.Any(l => l.Key.Family == s.BaseAddress.AddressFamily && l.Key.Length != s.PrefixLength && l.Value > 0);
            if (otherLengths && _leases.Values.Any(existing => existing.Overlaps(s)))
            {
                return true;
            }
        }

        return false;
    }

    // Callers hold _lock.
    private void Count(Lease lease, int delta)
    {
        foreach (IPNetwork? subnet in (ReadOnlySpan<IPNetwork?>)[lease.Subnet, lease.IPv6Subnet])
        {
            if (subnet is { } s)
            {
                _subnets[s] = _subnets.GetValueOrDefault(s) + delta;
                if (_subnets[s] <= 0)
                {
                    _subnets.Remove(s);
                }

                var length = (s.BaseAddress.AddressFamily, s.PrefixLength);
                _lengths[length] = _lengths.GetValueOrDefault(length) + delta;
            }
        }
    }

    // Callers hold _lock.
    private void Store(string key, Lease lease)
    {
        if (!_leases.ContainsKey(key))
        {
            Count(lease, +1);
        }

        _leases[key] = lease;
        if (lease.Expiration is { } expiration)
        {
            _expiries.Enqueue(key, expiration);
        }

        Publish(new LeaseEvent(LeaseEventKind.Added, lease));
        ScheduleExpiry();
    }

    // Callers hold _lock.
    private bool Remove(string key)
    {
        if (!_leases.Remove(key, out Lease? removed))
        {
            return false;
        }

        Count(removed, -1);
        Publish(new LeaseEvent(LeaseEventKind.Removed, removed));
        ScheduleExpiry();
        return true;
    }

    // Callers hold _lock.
    private void Publish(LeaseEvent leaseEvent)
    {
        _revision++;
        var batch = new LeaseEventBatch([leaseEvent], IsSnapshot: false);
        foreach (Channel<LeaseEventBatch> watcher in _watchers)
        {
            watcher.Writer.TryWrite(batch);
        }
    }

    // Callers hold _lock.
    private void ScheduleExpiry()
    {
        if (_disposed)
        {
            return;
        }

        // Drop stale queue heads (leases removed or renewed since they were queued).
        while (_expiries.TryPeek(out string? key, out DateTimeOffset at)
            && (!_leases.TryGetValue(key, out Lease? lease) || lease.Expiration != at))
        {
            _expiries.Dequeue();
        }

        DateTimeOffset? next = _expiries.TryPeek(out _, out DateTimeOffset first) ? first : null;
        if (next == _scheduled)
        {
            return;
        }

        _scheduled = next;
        TimeSpan due = next is { } n ? n - _time.GetUtcNow() : Timeout.InfiniteTimeSpan;
        if (next is not null && due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }

        _expiryTimer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void ExpireDue()
    {
        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            while (_expiries.TryPeek(out string? key, out DateTimeOffset at) && at <= now)
            {
                _expiries.Dequeue();
                if (_leases.TryGetValue(key, out Lease? lease) && lease.Expiration == at)
                {
                    Log.LeaseExpired(_logger, key);
                    Remove(key);
                }
            }

            _scheduled = null; // the timer has fired or is moot: schedule afresh
            ScheduleExpiry();
        }
    }
}
