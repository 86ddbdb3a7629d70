using Microsoft.Extensions.Logging;

namespace Overlay.Subnets;

internal static partial class Log
{
    [LoggerMessage(EventId = SubnetsEventIds.BackendDefaulted, Level = LogLevel.Warning,
        Message = "The network configuration has no Backend member: using the '{BackendType}' backend, as flanneld does. Set \"Backend\": {{\"Type\": \"vxlan\"}} for the kernel's fast path")]
    public static partial void BackendDefaulted(ILogger logger, string backendType);

    [LoggerMessage(EventId = SubnetsEventIds.LeaseAcquired, Level = LogLevel.Information,
        Message = "Acquired lease {Key} for {PublicIp} (expires {Expiration})")]
    public static partial void LeaseAcquired(ILogger logger, string key, System.Net.IPAddress? publicIp, DateTimeOffset? expiration);

    [LoggerMessage(EventId = SubnetsEventIds.LeaseRenewed, Level = LogLevel.Debug,
        Message = "Renewed lease {Key} (expires {Expiration})")]
    public static partial void LeaseRenewed(ILogger logger, string key, DateTimeOffset? expiration);

    [LoggerMessage(EventId = SubnetsEventIds.LeaseRenewed, Level = LogLevel.Information,
        Message = "Lease {Key} renewed; it now expires {Expiration}")]
    public static partial void KeeperRenewed(ILogger logger, string key, DateTimeOffset? expiration);

    [LoggerMessage(EventId = SubnetsEventIds.LeaseRenewalFailed, Level = LogLevel.Warning,
        Message = "Renewing lease {Key} failed; retrying in {Delay}")]
    public static partial void LeaseRenewalFailed(ILogger logger, string key, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = SubnetsEventIds.LeaseLost, Level = LogLevel.Warning,
        Message = "Lease {Key} is gone from the registry (deleted, expired or taken); acquiring a lease again, the same subnet first")]
    public static partial void LeaseLost(ILogger logger, string key);

    [LoggerMessage(EventId = SubnetsEventIds.LeaseReacquired, Level = LogLevel.Warning,
        Message = "Lease {OldKey} was lost and {NewKey} acquired")]
    public static partial void LeaseReacquired(ILogger logger, string oldKey, string newKey);

    [LoggerMessage(EventId = SubnetsEventIds.LeaseReacquisitionFailed, Level = LogLevel.Error,
        Message = "Acquiring a lease again after losing {Key} failed; retrying in {Delay}")]
    public static partial void LeaseReacquisitionFailed(ILogger logger, string key, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = SubnetsEventIds.IncompatibleLeaseDeleted, Level = LogLevel.Warning,
        Message = "Lease {Key} carries this node's public address but does not fit the network configuration; deleting it")]
    public static partial void IncompatibleLeaseDeleted(ILogger logger, string key);

    [LoggerMessage(EventId = SubnetsEventIds.PreviousSubnetIgnored, Level = LogLevel.Information,
        Message = "Not reusing the previous subnet {Key}: {Reason}")]
    public static partial void PreviousSubnetIgnored(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = SubnetsEventIds.AllocationRaceLost, Level = LogLevel.Information,
        Message = "Another node took the chosen subnet first (attempt {Attempt}); choosing again")]
    public static partial void AllocationRaceLost(ILogger logger, int attempt);

    [LoggerMessage(EventId = SubnetsEventIds.MalformedLeaseSkipped, Level = LogLevel.Warning,
        Message = "Skipping malformed lease record {Key}: {Reason}")]
    public static partial void MalformedLeaseSkipped(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = SubnetsEventIds.PeerAdded, Level = LogLevel.Information,
        Message = "Peer {Key} added or changed (public address {PublicIp})")]
    public static partial void PeerAdded(ILogger logger, string key, System.Net.IPAddress? publicIp);

    [LoggerMessage(EventId = SubnetsEventIds.PeerRemoved, Level = LogLevel.Information,
        Message = "Peer {Key} removed")]
    public static partial void PeerRemoved(ILogger logger, string key);

    [LoggerMessage(EventId = SubnetsEventIds.WatchFailed, Level = LogLevel.Warning,
        Message = "The lease watch failed; watching again in {Delay}")]
    public static partial void WatchFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = SubnetsEventIds.LeaseExpired, Level = LogLevel.Information,
        Message = "Lease {Key} expired")]
    public static partial void LeaseExpired(ILogger logger, string key);
}
