namespace Overlay.Subnets.Etcd;

/// <summary>
/// Event ids of the log messages written by Overlay.Subnets.Etcd (range 5000–5999). They are
/// stable: an id is never reused for a different message, so log filters can rely on them.
/// </summary>
public static class EtcdEventIds
{
    /// <summary>An endpoint is plain HTTP: traffic (and any password) is not encrypted.</summary>
    public const int InsecureEndpoint = 5000;

    /// <summary>An endpoint did not answer a request; the next endpoint is tried.</summary>
    public const int EndpointFailed = 5001;

    /// <summary>No endpoint answered a request; the operation fails with a transient error and the
    /// caller retries with back-off.</summary>
    public const int EtcdUnreachable = 5002;

    /// <summary>The lease watch was interrupted; it is resumed from the last revision seen.</summary>
    public const int WatchInterrupted = 5003;

    /// <summary>The revision the watch needed was compacted away; all leases are listed again.</summary>
    public const int WatchCompacted = 5004;

    /// <summary>The lease watch is running again after an interruption.</summary>
    public const int WatchResumed = 5005;

    /// <summary>A token was obtained from etcd for the configured user.</summary>
    public const int Authenticated = 5006;

    /// <summary>Revoking an etcd lease that is no longer needed failed (it expires by itself).</summary>
    public const int LeaseRevokeFailed = 5007;

    /// <summary>A record under the subnets prefix is not a lease and is skipped.</summary>
    public const int MalformedRecordSkipped = 5008;

    /// <summary>The network configuration key does not exist yet.</summary>
    public const int ConfigNotFound = 5009;
}
