namespace Overlay.Subnets;

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
