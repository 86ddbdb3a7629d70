namespace Overlay.Netlink.Internal;

/// <summary>Linux address families used in netlink family headers.</summary>
internal static class LinuxAddressFamily
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
