namespace Overlay.Backends;

/// <summary>
/// Event ids of Overlay.Backends (4000–4099). Backend packages use their own ranges: vxlan
/// 4100–4199, host-gw 4200–4299, udp 4300–4399, ipip 4400–4499, ipsec 4500–4599, alloc
/// 4600–4699, cloud backends 4700–4999. Ids are never reused.
/// </summary>
public static class BackendsEventIds
{
    /// <summary>A peer's programming failed; it is retried with back-off.</summary>
    public const int PeerProgrammingFailed = 4000;

    /// <summary>A peer's status changed (mode, reason or error).</summary>
    public const int PeerStatusChanged = 4001;

    /// <summary>A stale object that no lease wants was removed.</summary>
    public const int StaleObjectRemoved = 4002;

    /// <summary>An object deleted or altered behind our back was restored.</summary>
    public const int ObjectRepaired = 4003;

    /// <summary>The full reconcile ran (with counts of what it changed).</summary>
    public const int FullReconcile = 4004;

    /// <summary>Netlink notifications were lost (ENOBUFS); a full reconcile follows.</summary>
    public const int NotificationsLost = 4005;

    /// <summary>The external interface was chosen.</summary>
    public const int ExternalInterfaceChosen = 4006;

    /// <summary>The notification watch failed and is restarted.</summary>
    public const int NotificationWatchFailed = 4007;

    /// <summary>The network's peer loop started.</summary>
    public const int NetworkStarted = 4008;

    /// <summary>A subscriber of a status event threw; the exception was swallowed.</summary>
    public const int SubscriberFailed = 4009;

    /// <summary>A node-level problem was reported (or its message changed).</summary>
    public const int NodeProblemReported = 4010;

    /// <summary>A node-level problem was cleared.</summary>
    public const int NodeProblemCleared = 4011;

    /// <summary>A cloud backend identified the instance and its route tables (before taking the lease).</summary>
    public const int CloudIdentity = 4012;

    /// <summary>A cloud-route network started.</summary>
    public const int CloudNetworkStarted = 4013;

    /// <summary>This node's cloud route was created.</summary>
    public const int CloudRouteCreated = 4014;

    /// <summary>This node's cloud route pointed elsewhere (or was a blackhole) and was replaced in place.</summary>
    public const int CloudRouteReplaced = 4015;

    /// <summary>A cloud route was deleted (this node's stale route, or a blackhole inside the Network).</summary>
    public const int CloudRouteDeleted = 4016;

    /// <summary>A route table has no room for this node's route.</summary>
    public const int CloudRouteTableFull = 4017;

    /// <summary>A provider call was throttled or unavailable and is retried after a back-off.</summary>
    public const int CloudCallRetried = 4018;

    /// <summary>A cloud-route reconcile failed; it is retried.</summary>
    public const int CloudReconcileFailed = 4019;

    /// <summary>A peer's route status (read from the route tables) changed.</summary>
    public const int CloudPeerRouteStatus = 4020;
}
