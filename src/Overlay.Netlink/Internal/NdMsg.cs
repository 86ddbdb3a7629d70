using System.Runtime.InteropServices;

namespace Overlay.Netlink.Internal;

/// <summary>
/// <c>struct ndmsg</c> (linux/neighbour.h), the fixed header of RTM_*NEIGH messages (neighbours and,
/// with family AF_BRIDGE, FDB entries), in host byte order.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NdMsg
{
    /// <summary>sizeof(struct ndmsg).</summary>
    public const int Length = 12;

    /// <summary>ndm_family.</summary>
    public byte Family;

    /// <summary>ndm_pad1.</summary>
    public byte Padding1;

    /// <summary>ndm_pad2.</summary>
    public ushort Padding2;

    /// <summary>ndm_ifindex.</summary>
    public int Index;

    /// <summary>ndm_state (NUD_*).</summary>
    public ushort State;

    /// <summary>ndm_flags (NTF_*).</summary>
    public byte Flags;

    /// <summary>ndm_type.</summary>
    public byte Type;

    public static NdMsg Read(NetlinkMessage message) => MemoryMarshal.Read<NdMsg>(message.GetFixedHeader(Length));
}
