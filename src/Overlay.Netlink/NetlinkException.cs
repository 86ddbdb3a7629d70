namespace Overlay.Netlink;

/// <summary>The kernel refused a netlink request (an <c>NLMSG_ERROR</c> with a non-zero error).</summary>
public class NetlinkException : IOException
{
    /// <summary>Creates an exception.</summary>
    public NetlinkException()
        : this("Netlink request failed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public NetlinkException(string message)
        : base(message)
    {
        Operation = string.Empty;
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public NetlinkException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = string.Empty;
    }

    /// <summary>Creates an exception for a failed operation.</summary>
    /// <param name="operation">What was attempted, e.g. <c>link add vx0 (vxlan)</c>.</param>
    /// <param name="errno">The positive errno.</param>
    /// <param name="extendedAckMessage">The kernel's extended-ack text, if any.</param>
    /// <param name="extendedAckOffset">The extended-ack offset of the offending attribute, if any.</param>
    public NetlinkException(string operation, int errno, string? extendedAckMessage = null, int? extendedAckOffset = null)
        : base(FormatMessage(operation, errno, extendedAckMessage), errno)
    {
        Operation = operation;
        Errno = errno;
        ExtendedAckMessage = extendedAckMessage;
        ExtendedAckOffset = extendedAckOffset;
    }

    /// <summary>What was attempted.</summary>
    public string Operation { get; }

    /// <summary>The positive errno from the kernel (0 when not from the kernel).</summary>
    public int Errno { get; }

    /// <summary>The kernel's extended-ack message (<c>NLMSGERR_ATTR_MSG</c>), if any.</summary>
    public string? ExtendedAckMessage { get; }

    /// <summary>The extended-ack offset (<c>NLMSGERR_ATTR_OFFS</c>), if any.</summary>
    public int? ExtendedAckOffset { get; }

    /// <summary>True for errors that may go away on retry (EINTR, EAGAIN, EBUSY, ENOBUFS).</summary>
    public bool IsTransient => Errno is LinuxErrno.EINTR or LinuxErrno.EAGAIN or LinuxErrno.EBUSY or LinuxErrno.ENOBUFS;

    /// <summary>True when the object to create exists already (EEXIST).</summary>
    public bool IsAlreadyExists => Errno == LinuxErrno.EEXIST;

    /// <summary>True when the object, or the device it belongs to, does not exist (see <see cref="IsNotFoundErrno"/>).</summary>
    public bool IsNotFound => IsNotFoundErrno(Errno);

    /// <summary>True when the caller lacks the privilege (EPERM, EACCES): typically CAP_NET_ADMIN is missing.</summary>
    public bool IsPermissionDenied => Errno is LinuxErrno.EPERM or LinuxErrno.EACCES;

    /// <summary>True when the kernel lacks the feature (EOPNOTSUPP, EPROTONOSUPPORT, EAFNOSUPPORT, ENOSYS),
    /// e.g. a link kind whose module is not built.</summary>
    public bool IsNotSupported => Errno is LinuxErrno.EOPNOTSUPP or LinuxErrno.EPROTONOSUPPORT or LinuxErrno.EAFNOSUPPORT or LinuxErrno.ENOSYS;

    /// <summary>
    /// True for the errnos the kernel answers when an object to read, change or delete is absent:
    /// ENOENT and ESRCH (no such entry or route), ENODEV (no such device), EADDRNOTAVAIL (no such address).
    /// Deleting something in this state has nothing left to do.
    /// </summary>
    /// <param name="errno">A positive errno.</param>
    /// <returns>Whether it means "not there".</returns>
    public static bool IsNotFoundErrno(int errno) =>
        errno is LinuxErrno.ENOENT or LinuxErrno.ESRCH or LinuxErrno.ENODEV or LinuxErrno.EADDRNOTAVAIL;

    /// <summary>The symbolic name of <paramref name="errno"/> (EEXIST, ENODEV, …) or its number.</summary>
    /// <param name="errno">A positive errno.</param>
    /// <returns>The name.</returns>
    public static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        16 => "EBUSY",
        17 => "EEXIST",
        19 => "ENODEV",
        22 => "EINVAL",
        34 => "ERANGE",
        38 => "ENOSYS",
        61 => "ENODATA",
        90 => "EMSGSIZE",
        93 => "EPROTONOSUPPORT",
        95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT",
        101 => "ENETUNREACH",
        105 => "ENOBUFS",
        113 => "EHOSTUNREACH",
        _ => "errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string FormatMessage(string operation, int errno, string? ext) =>
        ext is null
            ? $"{operation}: {ErrnoName(errno)} ({errno})"
            : $"{operation}: {ErrnoName(errno)} ({errno}): {ext}";
}
