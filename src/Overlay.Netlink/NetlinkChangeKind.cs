namespace Overlay.Netlink;

/// <summary>What happened to the object of a notification.</summary>
public enum NetlinkChangeKind
{
    /// <summary>Created or changed (RTM_NEW*).</summary>
    Added,

    /// <summary>Deleted (RTM_DEL*).</summary>
    Removed,

    /// <summary>The socket overflowed (ENOBUFS) and events were lost: re-list and diff.</summary>
    Lost,
}
