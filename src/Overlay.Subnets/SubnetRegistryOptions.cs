namespace Overlay.Subnets;

/// <summary>Settings of <see cref="LeaseStoreSubnetRegistry"/> and <see cref="InMemorySubnetRegistry"/>.</summary>
public sealed class SubnetRegistryOptions
{
    /// <summary>flannel's lease lifetime: 24 hours.</summary>
    public static readonly TimeSpan DefaultLeaseTtl = TimeSpan.FromHours(24);

    /// <summary>How long a new or renewed lease lives (flannel: 24 h, not configurable there).</summary>
    public TimeSpan LeaseTtl { get; set; } = DefaultLeaseTtl;

    /// <summary>How many times acquisition is attempted when another node wins the race for the
    /// chosen subnet (flannel intends 10 but never retries).</summary>
    public int MaxAcquireAttempts { get; set; } = 10;

    /// <summary>The source of randomness for choosing among free subnets; <see cref="Random.Shared"/>
    /// when <see langword="null"/>. Tests pass a seeded instance.</summary>
    public Random? Random { get; set; }

    internal void Validate()
    {
        if (LeaseTtl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(LeaseTtl), LeaseTtl, "LeaseTtl must be positive.");
        }

        if (MaxAcquireAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAcquireAttempts), MaxAcquireAttempts, "MaxAcquireAttempts must be at least 1.");
        }
    }
}
