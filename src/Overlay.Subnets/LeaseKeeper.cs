using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Overlay.Subnets;

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
                            || (e.Kind == LeaseEventKind.Added && !Equals(e.Lease.Attributes.PublicIP, own.Attributes.PublicIP));
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
