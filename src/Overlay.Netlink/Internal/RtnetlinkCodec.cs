using System.Net;
using System.Net.Sockets;

namespace Overlay.Netlink.Internal;

/// <summary>
/// Builds and decodes rtnetlink messages. This file holds what every family shares (request flags,
/// address families, dump requests, prefix masking); each family lives in its own partial file:
/// <c>RtnetlinkCodec.Links.cs</c>, <c>.Addresses.cs</c>, <c>.Routes.cs</c> and <c>.Neighbors.cs</c>
/// (neighbours and bridge FDB). The fixed family headers are the structs <see cref="IfInfoMsg"/>,
/// <see cref="IfAddrMsg"/>, <see cref="RtMsg"/> and <see cref="NdMsg"/>.
/// </summary>
internal static partial class RtnetlinkCodec
{
    public const int IfInfoLength = IfInfoMsg.Length;
    public const int IfAddrLength = IfAddrMsg.Length;
    public const int RtMsgLength = RtMsg.Length;
    public const int NdMsgLength = NdMsg.Length;
    public const uint ExtMaskSkipStats = 1 | 8; // RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS

    private const NetlinkMessageFlags RequestAck = NetlinkMessageFlags.Request | NetlinkMessageFlags.Acknowledge;

    public static NetlinkMessageFlags FlagsFor(NetlinkBulkOperation operation) => operation switch
    {
        NetlinkBulkOperation.Add => RequestAck | NetlinkMessageFlags.Create | NetlinkMessageFlags.Exclusive,
        NetlinkBulkOperation.Replace => RequestAck | NetlinkMessageFlags.Create | NetlinkMessageFlags.Replace,
        NetlinkBulkOperation.Append => RequestAck | NetlinkMessageFlags.Create | NetlinkMessageFlags.Append,
        _ => RequestAck,
    };

    public static byte FamilyOf(AddressFamily family) =>
        family == AddressFamily.InterNetworkV6 ? LinuxAddressFamily.Inet6 : family == AddressFamily.InterNetwork ? LinuxAddressFamily.Inet : LinuxAddressFamily.Unspecified;

    public static byte FamilyOf(IPAddress address) => FamilyOf(address.AddressFamily);

    public static void WriteDump(ref NetlinkMessageWriter writer, ushort type, byte family, int headerLength, uint sequence)
    {
        writer.BeginMessage(type, NetlinkMessageFlags.Request | NetlinkMessageFlags.Dump, sequence);
        Span<byte> header = writer.WriteZeroes(headerLength);
        if (headerLength > 0)
        {
            header[0] = family; // every rtnetlink family header starts with its address family byte
        }

        if (type == RtmType.GetLink)
        {
            writer.WriteUInt32(IflaType.ExtMask, ExtMaskSkipStats);
        }

        writer.EndMessage();
    }

    internal static IPAddress Mask(IPAddress address, int prefixLength)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int length);
        bytes = bytes[..length];
        for (int i = 0; i < length; i++)
        {
            int bits = Math.Clamp(prefixLength - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }

        return new IPAddress(bytes);
    }
}
