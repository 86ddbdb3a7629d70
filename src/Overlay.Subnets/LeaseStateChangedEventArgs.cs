namespace Overlay.Subnets;

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
