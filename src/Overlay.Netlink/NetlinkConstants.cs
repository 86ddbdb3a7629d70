namespace Overlay.Netlink;

/// <summary>Flags of <c>nlmsg_flags</c> (<c>NLM_F_*</c>). The kernel reuses bit values per request kind (GET, NEW, ACK), so some members alias.</summary>
#pragma warning disable CA1069 // aliases are the kernel's own
[Flags]
public enum NetlinkMessageFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>NLM_F_REQUEST: a request.</summary>
    Request = 0x01,

    /// <summary>NLM_F_MULTI: part of a multipart reply ending with NLMSG_DONE.</summary>
    Multi = 0x02,

    /// <summary>NLM_F_ACK: reply with an acknowledgement.</summary>
    Acknowledge = 0x04,

    /// <summary>NLM_F_ECHO: echo this request.</summary>
    Echo = 0x08,

    /// <summary>NLM_F_DUMP_INTR: the dump was inconsistent because the data changed during it.</summary>
    DumpInterrupted = 0x10,

    /// <summary>NLM_F_DUMP_FILTERED: the dump was filtered as requested.</summary>
    DumpFiltered = 0x20,

    /// <summary>NLM_F_ROOT (GET requests): return the whole table.</summary>
    Root = 0x100,

    /// <summary>NLM_F_MATCH (GET requests): return all matching entries.</summary>
    Match = 0x200,

    /// <summary>NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH.</summary>
    Dump = Root | Match,

    /// <summary>NLM_F_REPLACE (NEW requests): replace an existing object.</summary>
    Replace = 0x100,

    /// <summary>NLM_F_EXCL (NEW requests): fail if the object exists.</summary>
    Exclusive = 0x200,

    /// <summary>NLM_F_CREATE (NEW requests): create if it does not exist.</summary>
    Create = 0x400,

    /// <summary>NLM_F_APPEND (NEW requests): add to the end of the list.</summary>
    Append = 0x800,

    /// <summary>NLM_F_CAPPED (acknowledgements): the echoed request was cut to its header.</summary>
    Capped = 0x100,

    /// <summary>NLM_F_ACK_TLVS (acknowledgements): extended-ack attributes follow.</summary>
    AcknowledgeTlvs = 0x200,
}
#pragma warning restore CA1069

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

/// <summary>Netlink protocol numbers (the third argument of <c>socket(AF_NETLINK, …)</c>).</summary>
public static class NetlinkProtocol
{
    /// <summary>NETLINK_ROUTE (rtnetlink).</summary>
    public const int Route = 0;

    /// <summary>NETLINK_XFRM.</summary>
    public const int Xfrm = 6;
}

/// <summary>Linux address families used in netlink family headers.</summary>
public static class LinuxAddressFamily
{
    /// <summary>AF_UNSPEC.</summary>
    public const byte Unspecified = 0;

    /// <summary>AF_INET.</summary>
    public const byte Inet = 2;

    /// <summary>AF_BRIDGE.</summary>
    public const byte Bridge = 7;

    /// <summary>AF_INET6.</summary>
    public const byte Inet6 = 10;

    /// <summary>AF_NETLINK.</summary>
    public const int Netlink = 16;
}

/// <summary>Linux errno values the library interprets.</summary>
public static class LinuxErrno
{
    /// <summary>EPERM.</summary>
    public const int EPERM = 1;

    /// <summary>ENOENT.</summary>
    public const int ENOENT = 2;

    /// <summary>ESRCH.</summary>
    public const int ESRCH = 3;

    /// <summary>EINTR.</summary>
    public const int EINTR = 4;

    /// <summary>EAGAIN.</summary>
    public const int EAGAIN = 11;

    /// <summary>EACCES.</summary>
    public const int EACCES = 13;

    /// <summary>EBUSY.</summary>
    public const int EBUSY = 16;

    /// <summary>EEXIST.</summary>
    public const int EEXIST = 17;

    /// <summary>ENODEV.</summary>
    public const int ENODEV = 19;

    /// <summary>EINVAL.</summary>
    public const int EINVAL = 22;

    /// <summary>ENOSYS.</summary>
    public const int ENOSYS = 38;

    /// <summary>EPROTONOSUPPORT.</summary>
    public const int EPROTONOSUPPORT = 93;

    /// <summary>EOPNOTSUPP.</summary>
    public const int EOPNOTSUPP = 95;

    /// <summary>EAFNOSUPPORT.</summary>
    public const int EAFNOSUPPORT = 97;

    /// <summary>EADDRNOTAVAIL.</summary>
    public const int EADDRNOTAVAIL = 99;

    /// <summary>ENOBUFS.</summary>
    public const int ENOBUFS = 105;

    /// <summary>ENETUNREACH.</summary>
    public const int ENETUNREACH = 101;
}
