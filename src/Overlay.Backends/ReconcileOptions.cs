using Overlay.Netlink;

namespace Overlay.Backends;

/// <summary>Reconciliation settings shared by every backend that programs kernel state.</summary>
public sealed class ReconcileOptions
{
    /// <summary>The route protocol number (<c>rtm_protocol</c>) that marks every route Overlay
    /// installs: 111, listed as <c>111 overlay</c> in <c>/etc/iproute2/rt_protos.d/overlay.conf</c>.</summary>
    public const byte DefaultRouteProtocol = 111;

    /// <summary>The owner mark of our routes; routes carrying it that no lease wants are removed.</summary>
    public byte RouteProtocol { get; set; } = DefaultRouteProtocol;

    /// <summary>Interval of the full reconcile that backs up the notification-driven repair;
    /// <see langword="null"/> turns it off.</summary>
    public TimeSpan? FullReconcileInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Notifications are collected for this long before a repair runs (one repair for a burst).</summary>
    public TimeSpan RepairDebounce { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>First delay before retrying a peer whose programming failed; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest delay between retries of a failing peer.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the exception names it.</exception>
    public void Validate()
    {
        if (RouteProtocol is <= 4)
        {
            throw new ArgumentOutOfRangeException(nameof(RouteProtocol), RouteProtocol, "Route protocols 0-4 are reserved by the kernel (unspec, redirect, kernel, boot, static).");
        }

        if (FullReconcileInterval is { } interval && interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(FullReconcileInterval), interval, "The interval must be positive, or null to turn the full reconcile off.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(RepairDebounce, TimeSpan.Zero, nameof(RepairDebounce));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialRetryDelay, TimeSpan.Zero, nameof(InitialRetryDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryDelay, InitialRetryDelay, nameof(MaxRetryDelay));
    }
}
