using Microsoft.Extensions.Logging;

namespace Overlay.Backends;

internal static partial class Log
{
    [LoggerMessage(EventId = BackendsEventIds.PeerProgrammingFailed, Level = LogLevel.Warning,
        Message = "Programming peer {Peer} failed; retrying with back-off: {Error}")]
    public static partial void PeerProgrammingFailed(ILogger logger, string peer, string error);

    [LoggerMessage(EventId = BackendsEventIds.PeerStatusChanged, Level = LogLevel.Information,
        Message = "Peer {Peer}: {Mode} ({Reason}){Error}")]
    private static partial void PeerStatusChangedCore(ILogger logger, string peer, PeerMode mode, string reason, string error);

    public static void PeerStatusChanged(ILogger logger, string peer, PeerMode mode, string reason, string? error) =>
        PeerStatusChangedCore(logger, peer, mode, reason, error is null ? string.Empty : "; last error: " + error);

    [LoggerMessage(EventId = BackendsEventIds.StaleObjectRemoved, Level = LogLevel.Information,
        Message = "Removed stale {Kind} {Item}: no lease wants it")]
    public static partial void StaleObjectRemoved(ILogger logger, string kind, object item);

    [LoggerMessage(EventId = BackendsEventIds.ObjectRepaired, Level = LogLevel.Warning,
        Message = "Restored {Count} {Kind} object(s) that were deleted or altered outside Overlay")]
    public static partial void ObjectsRepaired(ILogger logger, int count, string kind);

    [LoggerMessage(EventId = BackendsEventIds.FullReconcile, Level = LogLevel.Debug,
        Message = "Full reconcile: {Installed} installed, {Removed} removed, {Failed} failed")]
    public static partial void FullReconcile(ILogger logger, int installed, int removed, int failed);

    [LoggerMessage(EventId = BackendsEventIds.NotificationsLost, Level = LogLevel.Warning,
        Message = "Netlink notifications were lost (ENOBUFS); running a full reconcile")]
    public static partial void NotificationsLost(ILogger logger);

    [LoggerMessage(EventId = BackendsEventIds.NotificationWatchFailed, Level = LogLevel.Warning,
        Message = "The netlink notification watch failed; watching again in {Delay}")]
    public static partial void NotificationWatchFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = BackendsEventIds.NetworkStarted, Level = LogLevel.Information,
        Message = "Network {Type} started for lease {Lease} with {Peers} peer(s)")]
    public static partial void NetworkStarted(ILogger logger, string type, string lease, int peers);

    [LoggerMessage(EventId = BackendsEventIds.SubscriberFailed, Level = LogLevel.Error,
        Message = "A subscriber of {Event} on {Sender} threw; ignored")]
    public static partial void SubscriberFailed(ILogger logger, string @event, string sender, Exception exception);

    [LoggerMessage(EventId = BackendsEventIds.NodeProblemReported, Level = LogLevel.Warning,
        Message = "Node problem {Code}: {Message}")]
    public static partial void NodeProblemReported(ILogger logger, string code, string message);

    [LoggerMessage(EventId = BackendsEventIds.NodeProblemCleared, Level = LogLevel.Information,
        Message = "Node problem {Code} cleared after {Duration}")]
    public static partial void NodeProblemCleared(ILogger logger, string code, TimeSpan duration);
}
