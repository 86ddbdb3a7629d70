using System.Runtime.InteropServices;

namespace Overlay.Netlink.Internal;

/// <summary>
/// <c>struct ifinfomsg</c> (linux/rtnetlink.h), the fixed header of RTM_*LINK messages, in host byte order.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfInfoMsg
{
    /// <summary>sizeof(struct ifinfomsg).</summary>
    public const int Length = 16;

    /// <summary>ifi_family (AF_UNSPEC for links).</summary>
    public byte Family;

    /// <summary>__ifi_pad.</summary>
    public byte Padding;

    /// <summary>ifi_type: the device type (ARPHRD_*).</summary>
    public ushort DeviceType;

    /// <summary>ifi_index.</summary>
    public int Index;

    /// <summary>ifi_flags (IFF_*).</summary>
    public uint Flags;

    /// <summary>ifi_change: the IFF_* bits <see cref="Flags"/> changes.</summary>
    public uint Change;

    public static IfInfoMsg Read(NetlinkMessage message) => MemoryMarshal.Read<IfInfoMsg>(message.GetFixedHeader(Length));
}
