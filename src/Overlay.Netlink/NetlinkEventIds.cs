namespace Overlay.Netlink;

/// <summary>Logging event ids of Overlay.Netlink (range 1000–1999). Ids are never reused.</summary>
public static class NetlinkEventIds
{
    /// <summary>A netlink request failed (Debug: the caller gets the exception).</summary>
    public const int RequestFailed = 1000;

    /// <summary>A dump was interrupted by a concurrent change and is retried.</summary>
    public const int DumpInterruptedRetrying = 1001;

    /// <summary>A reply with an unexpected sequence number or port id was dropped.</summary>
    public const int UnexpectedReplyDropped = 1002;

    /// <summary>The notification socket overflowed (ENOBUFS): events were lost, the caller must resync.</summary>
    public const int NotificationsLost = 1003;

    /// <summary>A bulk operation completed (counts of successes and failures).</summary>
    public const int BulkCompleted = 1004;

    /// <summary>Reserved: a named network namespace was created (not logged yet; namespaces take no logger).</summary>
    public const int NamespaceCreated = 1005;

    /// <summary>Reserved: a named network namespace was deleted (not logged yet).</summary>
    public const int NamespaceDeleted = 1006;

    /// <summary>A netlink socket was opened.</summary>
    public const int SocketOpened = 1007;
}
