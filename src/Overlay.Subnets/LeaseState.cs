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
