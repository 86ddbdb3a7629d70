namespace Overlay.Subnets;

/// <summary>
/// Event ids of the log messages written by Overlay.Subnets (range 2000–2999). They are stable:
/// an id is never reused for a different message, so log filters can rely on them.
/// </summary>
public static class SubnetsEventIds
{
    /// <summary>The configuration has no <c>Backend</c> member; <c>udp</c> is used.</summary>
    public const int BackendDefaulted = 2000;

    /// <summary>A lease was acquired (new subnet, or an existing one reused).</summary>
    public const int LeaseAcquired = 2001;

    /// <summary>A lease was renewed.</summary>
    public const int LeaseRenewed = 2002;

    /// <summary>Renewing a lease failed; it will be retried.</summary>
    public const int LeaseRenewalFailed = 2003;

    /// <summary>The node's own lease disappeared from the registry (deleted or expired).</summary>
    public const int LeaseLost = 2004;

    /// <summary>A lost lease was acquired again.</summary>
    public const int LeaseReacquired = 2005;

    /// <summary>Re-acquiring a lost lease failed; it will be retried.</summary>
    public const int LeaseReacquisitionFailed = 2006;

    /// <summary>A stored lease carries this node's public address but does not fit the current
    /// configuration; it is deleted.</summary>
    public const int IncompatibleLeaseDeleted = 2007;

    /// <summary>The subnet recorded in subnet.env from a previous run cannot be reused.</summary>
    public const int PreviousSubnetIgnored = 2008;

    /// <summary>Another node created the chosen subnet first; allocation is retried.</summary>
    public const int AllocationRaceLost = 2009;

    /// <summary>A lease record in the registry is malformed and is skipped.</summary>
    public const int MalformedLeaseSkipped = 2010;

    /// <summary>A peer lease was added or changed.</summary>
    public const int PeerAdded = 2011;

    /// <summary>A peer lease was removed.</summary>
    public const int PeerRemoved = 2012;

    /// <summary>The lease watch failed and is restarted.</summary>
    public const int WatchFailed = 2013;

    /// <summary>A lease expired in the in-memory registry.</summary>
    public const int LeaseExpired = 2014;

    /// <summary>The subnet file was written.</summary>
    public const int SubnetFileWritten = 2015;
}
