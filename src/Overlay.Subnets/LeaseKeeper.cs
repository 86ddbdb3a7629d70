using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Overlay.Subnets;

/// <summary>What happened to the lease a <see cref="LeaseKeeper"/> keeps.</summary>
public enum LeaseState
{
    /// <summary>The lease is held (the initial state).</summary>
    Held,

    /// <summary>The lease was renewed.</summary>
    Renewed,

    /// <summary>A renewal failed; it is retried with back-off.</summary>
    RenewalFailed,

    /// <summary>The lease disappeared from the registry (deleted, expired, or taken).</summary>
    Lost,

    /// <summary>A lease was acquired again after a loss (the same subnet when still free).</summary>
    Reacquired,

    /// <summary>Acquiring a lease again failed; it is retried with back-off.</summary>
    ReacquisitionFailed,
}

/// <summary>Data of <see cref="LeaseKeeper.StateChanged"/>.</summary>
public sealed class LeaseStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public LeaseStateChangedEventArgs(LeaseState state, Lease lease, Lease? previousLease, Exception? error)
    {
        State = state;
        Lease = lease;
        PreviousLease = previousLease;
        Error = error;
    }

    /// <summary>The new state.</summary>
    public LeaseState State { get; }

    /// <summary>The lease now held (for <see cref="LeaseState.Lost"/> and the failure states: the
    /// last lease held).</summary>
    public Lease Lease { get; }

    /// <summary>For <see cref="LeaseState.Reacquired"/>: the lease that was lost.</summary>
    public Lease? PreviousLease { get; }

    /// <summary>For the failure states: the error.</summary>
    public Exception? Error { get; }
}

/// <summary>Settings of <see cref="LeaseKeeper"/>.</summary>
public sealed class LeaseKeeperOptions
{
    /// <summary>Renew this long before the lease expires (flannel's <c>--subnet-lease-renew-margin</c>,
    /// default 60 minutes).</summary>
    public TimeSpan RenewMargin { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>At most this much is subtracted at random from each renewal time, so that nodes
    /// started together do not renew together (capped at half the margin).</summary>
    public TimeSpan MaxJitter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>First delay before retrying a failed renewal or re-acquisition; doubles each time.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between retries (flannel retries a renewal every minute).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Randomness for the jitter; <see cref="Random.Shared"/> when <see langword="null"/>.</summary>
    public Random? Random { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RenewMargin, TimeSpan.Zero, nameof(RenewMargin));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxJitter, TimeSpan.Zero, nameof(MaxJitter));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetryInitialDelay, TimeSpan.Zero, nameof(RetryInitialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryMaxDelay, RetryInitialDelay, nameof(RetryMaxDelay));
    }
}

/// <summary>
/// Keeps a node's lease: renews it <see cref="LeaseKeeperOptions.RenewMargin"/> (minus jitter)
/// before it expires, retries failed renewals with back-off, watches the registry for the lease's
/// disappearance, and on loss acquires a lease again — the same subnet first — reporting each
/// change through <see cref="StateChanged"/>. Unlike flanneld it never gives up and exits.
/// </summary>
public sealed class LeaseKeeper
{
    private readonly ISubnetRegistry _registry;
    private readonly LeaseRequest _request;
    private readonly LeaseKeeperOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile Lease _lease;
    private volatile TaskCompletionSource _lost = NewSignal();
    private bool _renewedInLastRound;

    /// <summary>Creates a keeper for <paramref name="lease"/>, acquired with <paramref name="request"/>.</summary>
    public LeaseKeeper(ISubnetRegistry registry, Lease lease, LeaseRequest request, LeaseKeeperOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(request);
        _options = options ?? new LeaseKeeperOptions();
        _options.Validate();
        _registry = registry;
        _lease = lease;
        _request = request;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<LeaseKeeper>();
    }

    /// <summary>Raised on every change of state, on the keeper's loop; handlers should return quickly.</summary>
    public event EventHandler<LeaseStateChangedEventArgs>? StateChanged;

    /// <summary>The lease held now.</summary>
    public Lease Lease => _lease;

    /// <summary>
    /// Keeps the lease until <paramref name="cancellationToken"/> is cancelled, then throws
    /// <see cref="OperationCanceledException"/>. The lease is not released on cancellation (as
    /// flanneld: a restart within the lease's lifetime gets the same subnet back).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task watch = WatchOwnLeaseAsync(stop.Token);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                bool lost = await WaitForRenewalTimeAsync(cancellationToken).ConfigureAwait(false);
                _renewedInLastRound = false;
                if (!lost)
                {
                    lost = await RenewAsync(cancellationToken).ConfigureAwait(false);
                    _renewedInLastRound = !lost;
                }

                if (lost)
                {
                    await ReacquireAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await watch.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Waits until the renewal is due. Returns true when the lease was lost meanwhile.</summary>
    private Task<bool> WaitForRenewalTimeAsync(CancellationToken cancellationToken)
    {
        Lease lease = _lease;
        if (lease.Expiration is not { } expiration)
        {
            return DelayUnlessLostAsync(Timeout.InfiniteTimeSpan, cancellationToken); // a reservation: only loss matters
        }

        TimeSpan jitterCap = TimeSpan.FromTicks(Math.Min(_options.MaxJitter.Ticks, _options.RenewMargin.Ticks / 2));
        TimeSpan jitter = TimeSpan.FromTicks((long)((_options.Random ?? Random.Shared).NextDouble() * jitterCap.Ticks));
        TimeSpan due = expiration - _options.RenewMargin - jitter - _time.GetUtcNow();
        if (due <= TimeSpan.Zero && _renewedInLastRound)
        {
            // A lease that is due again right after its renewal (TTL not longer than the margin):
            // pace the renewals instead of spinning.
            due = _options.RetryInitialDelay;
        }

        return DelayUnlessLostAsync(due > TimeSpan.Zero ? due : TimeSpan.Zero, cancellationToken);
    }

    /// <summary>Renews, retrying with back-off. Returns true when the lease turned out to be lost.</summary>
    private async Task<bool> RenewAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay = _options.RetryInitialDelay;
        while (true)
        {
            Lease lease = _lease;
            try
            {
                Lease renewed = await _registry.RenewLeaseAsync(lease, cancellationToken).ConfigureAwait(false);
                _lease = renewed;
                Log.KeeperRenewed(_logger, renewed.Key, renewed.Expiration);
                Raise(LeaseState.Renewed, renewed, null, null);
                return false;
            }
            catch (LeaseLostException)
            {
                return true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.LeaseRenewalFailed(_logger, lease.Key, delay, ex);
                Raise(LeaseState.RenewalFailed, lease, null, ex);
            }

            if (await DelayUnlessLostAsync(delay, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            delay = NextDelay(delay);
        }
    }

    private async Task ReacquireAsync(CancellationToken cancellationToken)
    {
        Lease lost = _lease;
        Log.LeaseLost(_logger, lost.Key);
        Raise(LeaseState.Lost, lost, null, null);
        TimeSpan delay = _options.RetryInitialDelay;
        LeaseRequest request = _request with { PreviousSubnet = lost.Subnet, PreviousIPv6Subnet = lost.IPv6Subnet };
        while (true)
        {
            try
            {
                Lease acquired = await _registry.AcquireLeaseAsync(request, cancellationToken).ConfigureAwait(false);
                _lost = NewSignal();
                _lease = acquired;
                Log.LeaseReacquired(_logger, lost.Key, acquired.Key);
                Raise(LeaseState.Reacquired, acquired, lost, null);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.LeaseReacquisitionFailed(_logger, lost.Key, delay, ex);
                Raise(LeaseState.ReacquisitionFailed, lost, null, ex);
            }

            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = NextDelay(delay);
        }
    }

    /// <summary>Waits for <paramref name="delay"/>; returns true instead when the lease is lost first.</summary>
    private async Task<bool> DelayUnlessLostAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        Task lost = _lost.Task;
        if (lost.IsCompleted)
        {
            return true;
        }

        using var cancelDelay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task timer = Task.Delay(delay, _time, cancelDelay.Token);
        Task first = await Task.WhenAny(timer, lost).ConfigureAwait(false);
        if (first == lost)
        {
            await cancelDelay.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return true;
        }

        await timer.ConfigureAwait(false); // throws when cancelled
        return false;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TimeSpan NextDelay(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));

    /// <summary>Signals a loss when the own lease is removed, missing from a snapshot, or taken over
    /// by another node.</summary>
    private async Task WatchOwnLeaseAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await foreach (LeaseEventBatch batch in _registry.WatchLeasesAsync(cancellationToken).ConfigureAwait(false))
                {
                    delay = TimeSpan.FromMilliseconds(100);
                    Lease own = _lease;
                    string key = own.Key;
                    bool lost = batch.IsSnapshot && !batch.Events.Any(e => e.Lease.Key == key);
                    foreach (LeaseEvent e in batch.Events)
                    {
                        if (e.Lease.Key != key)
                        {
                            continue;
                        }

                        lost |= e.Kind == LeaseEventKind.Removed
                            || (e.Kind == LeaseEventKind.Added && !e.Lease.Attributes.PublicIP.Equals(own.Attributes.PublicIP));
                    }

                    if (lost)
                    {
                        _lost.TrySetResult();
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Log.WatchFailed(_logger, delay, ex);
            }

            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = NextDelay(delay);
        }
    }

    private void Raise(LeaseState state, Lease lease, Lease? previous, Exception? error) =>
        StateChanged?.Invoke(this, new LeaseStateChangedEventArgs(state, lease, previous, error));
}
