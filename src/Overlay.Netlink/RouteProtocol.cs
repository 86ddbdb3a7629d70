namespace Overlay.Netlink;

/// <summary>Well-known route protocols (<c>RTPROT_*</c>); any other byte value is a valid owner mark.</summary>
public static class RouteProtocol
{
    /// <summary>RTPROT_UNSPEC.</summary>
    public const byte Unspecified = 0;

    /// <summary>RTPROT_REDIRECT.</summary>
    public const byte Redirect = 1;

    /// <summary>RTPROT_KERNEL.</summary>
    public const byte Kernel = 2;

    /// <summary>RTPROT_BOOT (iproute2's and vishvananda/netlink's default).</summary>
    public const byte Boot = 3;

    /// <summary>RTPROT_STATIC.</summary>
    public const byte Static = 4;
}
