namespace Overlay.Subnets.Kubernetes;

/// <summary>
/// Event ids of the log messages written by Overlay.Subnets.Kubernetes (range 7000–7999). They are
/// stable: an id is never reused for a different message, so log filters can rely on them.
/// </summary>
public static class KubernetesEventIds
{
    /// <summary>The node has no pod CIDR yet; the registry waits (repeated while it waits).</summary>
    public const int WaitingForPodCidr = 7000;

    /// <summary>The node's flannel annotations were written.</summary>
    public const int AnnotationsPatched = 7001;

    /// <summary>A request to the API server failed and is retried.</summary>
    public const int RequestRetried = 7002;

    /// <summary>The NetworkUnavailable condition could not be cleared; the node keeps running.</summary>
    public const int ConditionPatchFailed = 7003;

    /// <summary>A node could not be turned into a lease and is skipped.</summary>
    public const int NodeSkipped = 7004;

    /// <summary>The node watch ended abnormally (dropped, or 410 Gone); the nodes are listed again.</summary>
    public const int Relisting = 7005;

    /// <summary>Listing the nodes failed; retried with back-off.</summary>
    public const int ListFailed = 7006;

    /// <summary>The node cache was listed (count and duration).</summary>
    public const int CacheSynced = 7007;

    /// <summary>The node cache did not sync in time and the registry continues without it
    /// (<c>CONT_WHEN_CACHE_NOT_READY=true</c>).</summary>
    public const int CacheNotReady = 7008;

    /// <summary>The own lease was built from the node's pod CIDRs.</summary>
    public const int LeaseAcquired = 7009;

    /// <summary>The NetworkUnavailable condition was set to False.</summary>
    public const int ConditionPatched = 7010;
}
