using System.Runtime.InteropServices;

namespace Overlay.Netlink.Internal;

/// <summary>
/// <c>struct ifaddrmsg</c> (linux/if_addr.h), the fixed header of RTM_*ADDR messages, in host byte order.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfAddrMsg
{
    /// <summary>sizeof(struct ifaddrmsg).</summary>
    public const int Length = 8;

    /// <summary>ifa_family.</summary>
    public byte Family;

    /// <summary>ifa_prefixlen.</summary>
    public byte PrefixLength;

    /// <summary>ifa_flags: the low 8 bits of IFA_F_* (the rest travel in IFA_FLAGS).</summary>
    public byte Flags;

    /// <summary>ifa_scope (RT_SCOPE_*).</summary>
    public byte Scope;

    /// <summary>ifa_index.</summary>
    public uint Index;

    public static IfAddrMsg Read(NetlinkMessage message) => MemoryMarshal.Read<IfAddrMsg>(message.GetFixedHeader(Length));
}
