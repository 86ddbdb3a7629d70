using Microsoft.Extensions.Logging;

namespace Overlay.Subnets.Etcd.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = EtcdEventIds.InsecureEndpoint, Level = LogLevel.Warning,
        Message = "etcd endpoint {Endpoint} is plain HTTP without TLS. This is insecure; use https:// endpoints with a client certificate")]
    public static partial void InsecureEndpoint(ILogger logger, string endpoint);

    [LoggerMessage(EventId = EtcdEventIds.EndpointFailed, Level = LogLevel.Warning,
        Message = "etcd at {Endpoint} did not answer '{Operation}' ({Status}); trying the next endpoint")]
    public static partial void EndpointFailed(ILogger logger, string endpoint, string operation, string status);

    [LoggerMessage(EventId = EtcdEventIds.EtcdUnreachable, Level = LogLevel.Warning,
        Message = "Waiting for etcd: no endpoint ({Endpoints}) answered '{Operation}'; the operation fails now and is retried with back-off")]
    public static partial void EtcdUnreachable(ILogger logger, string endpoints, string operation);

    [LoggerMessage(EventId = EtcdEventIds.WatchInterrupted, Level = LogLevel.Warning,
        Message = "The etcd lease watch on {Endpoint} was interrupted; resuming from revision {Revision} in {Delay}")]
    public static partial void WatchInterrupted(ILogger logger, string endpoint, long revision, TimeSpan delay, Exception? exception);

    [LoggerMessage(EventId = EtcdEventIds.WatchCompacted, Level = LogLevel.Warning,
        Message = "etcd compacted its history up to revision {CompactRevision} before the lease watch read revision {Revision}; listing all leases again")]
    public static partial void WatchCompacted(ILogger logger, long compactRevision, long revision);

    [LoggerMessage(EventId = EtcdEventIds.WatchResumed, Level = LogLevel.Information,
        Message = "The etcd lease watch is running again on {Endpoint} from revision {Revision}")]
    public static partial void WatchResumed(ILogger logger, string endpoint, long revision);

    [LoggerMessage(EventId = EtcdEventIds.Authenticated, Level = LogLevel.Debug,
        Message = "Authenticated to etcd at {Endpoint} as user {Username}")]
    public static partial void Authenticated(ILogger logger, string endpoint, string username);

    [LoggerMessage(EventId = EtcdEventIds.LeaseRevokeFailed, Level = LogLevel.Debug,
        Message = "Revoking etcd lease {LeaseId:x} failed; it expires by itself")]
    public static partial void LeaseRevokeFailed(ILogger logger, long leaseId, Exception exception);

    [LoggerMessage(EventId = EtcdEventIds.MalformedRecordSkipped, Level = LogLevel.Warning,
        Message = "Skipping etcd record {Key}: {Reason}")]
    public static partial void MalformedRecordSkipped(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = EtcdEventIds.ConfigNotFound, Level = LogLevel.Warning,
        Message = "Waiting for the network configuration: etcd has no key {Key} yet")]
    public static partial void ConfigNotFound(ILogger logger, string key);
}
