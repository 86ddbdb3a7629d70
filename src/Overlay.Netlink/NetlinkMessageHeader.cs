namespace Overlay.Netlink;

/// <summary>The fixed header of a netlink message (<c>struct nlmsghdr</c>).</summary>
/// <param name="Length">nlmsg_len: the message length including this header.</param>
/// <param name="Type">nlmsg_type.</param>
/// <param name="Flags">nlmsg_flags.</param>
/// <param name="Sequence">nlmsg_seq.</param>
/// <param name="PortId">nlmsg_pid.</param>
public readonly record struct NetlinkMessageHeader(int Length, ushort Type, NetlinkMessageFlags Flags, uint Sequence, uint PortId);
