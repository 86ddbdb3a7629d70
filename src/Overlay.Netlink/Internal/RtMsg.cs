using System.Runtime.InteropServices;

namespace Overlay.Netlink.Internal;

/// <summary>
/// <c>struct rtmsg</c> (linux/rtnetlink.h), the fixed header of RTM_*ROUTE messages, in host byte order.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RtMsg
{
    /// <summary>sizeof(struct rtmsg).</summary>
    public const int Length = 12;

    /// <summary>rtm_family.</summary>
    public byte Family;

    /// <summary>rtm_dst_len: destination prefix length.</summary>
    public byte DestinationLength;

    /// <summary>rtm_src_len: source prefix length.</summary>
    public byte SourceLength;

    /// <summary>rtm_tos.</summary>
    public byte Tos;

    /// <summary>rtm_table: the table id when below 256 (larger ids travel in RTA_TABLE).</summary>
    public byte Table;

    /// <summary>rtm_protocol (RTPROT_*).</summary>
    public byte Protocol;

    /// <summary>rtm_scope (RT_SCOPE_*).</summary>
    public byte Scope;

    /// <summary>rtm_type (RTN_*).</summary>
    public byte Type;

    /// <summary>rtm_flags (RTNH_F_*, RTM_F_*).</summary>
    public uint Flags;

    public static RtMsg Read(NetlinkMessage message) => MemoryMarshal.Read<RtMsg>(message.GetFixedHeader(Length));
}
