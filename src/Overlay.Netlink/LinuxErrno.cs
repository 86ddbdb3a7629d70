namespace Overlay.Netlink;

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
