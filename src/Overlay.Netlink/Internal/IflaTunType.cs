namespace Overlay.Netlink.Internal;

/// <summary>tun attributes inside IFLA_INFO_DATA as reported by the kernel (<c>IFLA_TUN_*</c>).</summary>
internal static class IflaTunType
{
    /// <summary>IFLA_TUN_OWNER (u32).</summary>
    public const ushort Owner = 1;

    /// <summary>IFLA_TUN_GROUP (u32).</summary>
    public const ushort Group = 2;

    /// <summary>IFLA_TUN_TYPE (u8: 1 tun, 2 tap).</summary>
    public const ushort Type = 3;

    /// <summary>IFLA_TUN_PI (u8).</summary>
    public const ushort PacketInfo = 4;

    /// <summary>IFLA_TUN_VNET_HDR (u8).</summary>
    public const ushort VnetHeader = 5;

    /// <summary>IFLA_TUN_PERSIST (u8).</summary>
    public const ushort Persist = 6;

    /// <summary>IFLA_TUN_MULTI_QUEUE (u8).</summary>
    public const ushort MultiQueue = 7;
}
