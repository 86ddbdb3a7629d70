using Microsoft.Extensions.Logging;

namespace Overlay.Subnets.Kubernetes.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = KubernetesEventIds.WaitingForPodCidr, Level = LogLevel.Warning,
        Message = "Waiting for a pod CIDR: node \"{Node}\" has no spec.podCIDR yet. It is assigned by the node IPAM controller of kube-controller-manager (--allocate-node-cidrs=true with --cluster-cidr), by kubelet --pod-cidr, or by an administrator; checking again every {Interval} (waited {Waited} so far)")]
    public static partial void WaitingForPodCidr(ILogger logger, string node, TimeSpan interval, TimeSpan waited);

    [LoggerMessage(EventId = KubernetesEventIds.AnnotationsPatched, Level = LogLevel.Information,
        Message = "Wrote the annotations {Annotations} of node \"{Node}\"")]
    public static partial void AnnotationsPatched(ILogger logger, string node, string annotations);

    [LoggerMessage(EventId = KubernetesEventIds.RequestRetried, Level = LogLevel.Warning,
        Message = "{Operation} failed; retrying in {Delay}")]
    public static partial void RequestRetried(ILogger logger, string operation, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = KubernetesEventIds.ConditionPatchFailed, Level = LogLevel.Error,
        Message = "Could not set the NetworkUnavailable condition of node \"{Node}\" to False; the node keeps running without it")]
    public static partial void ConditionPatchFailed(ILogger logger, string node, Exception exception);

    [LoggerMessage(EventId = KubernetesEventIds.NodeSkipped, Level = LogLevel.Warning,
        Message = "Error turning node \"{Node}\" to lease: {Reason}")]
    public static partial void NodeSkipped(ILogger logger, string node, string reason);

    [LoggerMessage(EventId = KubernetesEventIds.Relisting, Level = LogLevel.Warning,
        Message = "The node watch ended ({Reason}); listing the nodes again")]
    public static partial void Relisting(ILogger logger, string reason);

    [LoggerMessage(EventId = KubernetesEventIds.ListFailed, Level = LogLevel.Warning,
        Message = "Listing the nodes failed; retrying in {Delay}")]
    public static partial void ListFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = KubernetesEventIds.CacheSynced, Level = LogLevel.Information,
        Message = "Node cache synced: {Count} nodes ({Peers} flannel nodes) at resource version {ResourceVersion} in {Elapsed}")]
    public static partial void CacheSynced(ILogger logger, int count, int peers, string resourceVersion, TimeSpan elapsed);

    [LoggerMessage(EventId = KubernetesEventIds.CacheNotReady, Level = LogLevel.Warning,
        Message = "The node cache did not sync within {Timeout}; continuing without it because CONT_WHEN_CACHE_NOT_READY is true")]
    public static partial void CacheNotReady(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = KubernetesEventIds.LeaseAcquired, Level = LogLevel.Information,
        Message = "Node \"{Node}\" has pod CIDRs {Cidrs}; lease {Key}")]
    public static partial void LeaseAcquired(ILogger logger, string node, string cidrs, string key);

    [LoggerMessage(EventId = KubernetesEventIds.ConditionPatched, Level = LogLevel.Information,
        Message = "Set the NetworkUnavailable condition of node \"{Node}\" to False")]
    public static partial void ConditionPatched(ILogger logger, string node);
}
