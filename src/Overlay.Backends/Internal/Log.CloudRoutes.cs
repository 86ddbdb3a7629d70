using Microsoft.Extensions.Logging;
using Overlay.Backends.CloudRoutes;

namespace Overlay.Backends;

internal static partial class Log
{
    [LoggerMessage(EventId = BackendsEventIds.CloudIdentity, Level = LogLevel.Information,
        Message = "{Type}: this instance is {Identity}; route tables {Tables}")]
    public static partial void CloudIdentity(ILogger logger, string type, CloudRouteIdentity identity, IReadOnlyList<string> tables);

    [LoggerMessage(EventId = BackendsEventIds.CloudNetworkStarted, Level = LogLevel.Information,
        Message = "{Type}: keeping the route for lease {Lease} in {Tables} route table(s)")]
    public static partial void CloudNetworkStarted(ILogger logger, string type, string lease, int tables);

    [LoggerMessage(EventId = BackendsEventIds.CloudRouteCreated, Level = LogLevel.Information,
        Message = "Route table {Table}: created {Destination} -> {Target}")]
    public static partial void RouteCreated(ILogger logger, string table, System.Net.IPNetwork destination, string target);

    [LoggerMessage(EventId = BackendsEventIds.CloudRouteReplaced, Level = LogLevel.Information,
        Message = "Route table {Table}: {Destination} pointed at {OldTarget} ({OldState}); replaced in place with {Target}")]
    public static partial void RouteReplaced(ILogger logger, string table, System.Net.IPNetwork destination, string? oldTarget, CloudRouteState oldState, string target);

    [LoggerMessage(EventId = BackendsEventIds.CloudRouteDeleted, Level = LogLevel.Information,
        Message = "Route table {Table}: deleted {Route}: {Why}")]
    public static partial void RouteDeleted(ILogger logger, string table, CloudRoute route, string why);

    [LoggerMessage(EventId = BackendsEventIds.CloudRouteTableFull, Level = LogLevel.Error,
        Message = "Route table {Table} is full ({Count} / {Limit} routes): {Error}")]
    public static partial void RouteTableFull(ILogger logger, string table, int count, int limit, string error);

    [LoggerMessage(EventId = BackendsEventIds.CloudCallRetried, Level = LogLevel.Warning,
        Message = "{Type} {Operation}: {Kind}; retry {Attempt} in {Delay}: {Error}")]
    public static partial void CallRetried(ILogger logger, string type, string operation, CloudRouteErrorKind kind, TimeSpan delay, int attempt, string error);

    [LoggerMessage(EventId = BackendsEventIds.CloudReconcileFailed, Level = LogLevel.Warning,
        Message = "{Type}: reconciling the cloud routes failed; next try in {Delay}: {Error}")]
    public static partial void ReconcileFailed(ILogger logger, string type, TimeSpan delay, string error);

    [LoggerMessage(EventId = BackendsEventIds.CloudPeerRouteStatus, Level = LogLevel.Information,
        Message = "Peer {Peer}: {Mode} ({Reason})")]
    public static partial void PeerRouteStatus(ILogger logger, string peer, PeerMode mode, string reason);
}
