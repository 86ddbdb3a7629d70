namespace Overlay.Netlink;

/// <summary>Control message types shared by all netlink families (<c>NLMSG_*</c>).</summary>
public static class NetlinkMessageType
{
    /// <summary>NLMSG_NOOP.</summary>
    public const ushort Noop = 1;

    /// <summary>NLMSG_ERROR: an error or (error 0) an acknowledgement.</summary>
    public const ushort Error = 2;

    /// <summary>NLMSG_DONE: end of a multipart reply.</summary>
    public const ushort Done = 3;

    /// <summary>NLMSG_OVERRUN.</summary>
    public const ushort Overrun = 4;
}
