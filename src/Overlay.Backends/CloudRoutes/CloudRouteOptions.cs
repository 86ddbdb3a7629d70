using System.Diagnostics.Metrics;

namespace Overlay.Backends.CloudRoutes;

/// <summary>How <see cref="CloudRouteNetwork"/> reconciles. Every cloud backend exposes these on its options.</summary>
public sealed class CloudRouteOptions
{
    /// <summary>The default period between reconciles.</summary>
    public static readonly TimeSpan DefaultReconcileInterval = TimeSpan.FromMinutes(1);

    /// <summary>The period between reconciles (each reads every table once); jittered by
    /// <see cref="ReconcileJitter"/> so that nodes sharing the account's rate limit spread out. Default one minute.</summary>
    public TimeSpan ReconcileInterval { get; set; } = DefaultReconcileInterval;

    /// <summary>The fraction by which each period is varied, up or down (0 to 0.5). Default 0.2.</summary>
    public double ReconcileJitter { get; set; } = 0.2;

    /// <summary>The first back-off after a throttled or unavailable call; doubled per retry. Default 500 ms.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest back-off. Default 30 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The fraction of each back-off that is random (0 to 1): the wait is the back-off times
    /// (1 − <c>RetryJitter</c> × a uniform random number). Default 0.5 ("equal jitter").
    /// </summary>
    public double RetryJitter { get; set; } = 0.5;

    /// <summary>How many times one call is retried when throttled or unavailable before the reconcile
    /// fails (and is tried again at the next period). Default 8.</summary>
    public int MaxRetries { get; set; } = 8;

    /// <summary>Delete blackhole routes (targets gone: dead nodes) whose destination lies inside the
    /// flannel Network. Default true; routes outside the Network are never touched.</summary>
    public bool CleanUpBlackholes { get; set; } = true;

    /// <summary>The route quota per table when known (AWS: 50 by default for years, 500 since 2025; raise
    /// it and say so here). Null: unknown until the provider's quota error tells (then learned).</summary>
    public int? RouteLimit { get; set; }

    /// <summary>Delete this node's route when the network is disposed. Default false: a restart keeps
    /// traffic flowing and finds the route in place.</summary>
    public bool RemoveRoutesOnShutdown { get; set; }

    /// <summary>The random source for jitter; <see cref="Random.Shared"/> when null. Tests pass a seeded one.</summary>
    public Random? Random { get; set; }

    /// <summary>Creates the meter (<see cref="CloudRouteNetwork.MeterName"/>); a private meter when null.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (ReconcileInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ReconcileInterval), ReconcileInterval, "ReconcileInterval must be positive.");
        }

        if (ReconcileJitter is < 0 or > 0.5 || double.IsNaN(ReconcileJitter))
        {
            throw new ArgumentOutOfRangeException(nameof(ReconcileJitter), ReconcileJitter, "ReconcileJitter must be between 0 and 0.5.");
        }

        if (RetryInitialDelay <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RetryInitialDelay), RetryInitialDelay, "RetryInitialDelay must be positive.");
        }

        if (RetryMaxDelay < RetryInitialDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(RetryMaxDelay), RetryMaxDelay, "RetryMaxDelay must be at least RetryInitialDelay.");
        }

        if (RetryJitter is < 0 or > 1 || double.IsNaN(RetryJitter))
        {
            throw new ArgumentOutOfRangeException(nameof(RetryJitter), RetryJitter, "RetryJitter must be between 0 and 1.");
        }

        if (MaxRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "MaxRetries must not be negative.");
        }

        if (RouteLimit is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RouteLimit), RouteLimit, "RouteLimit must be positive when set.");
        }
    }
}
