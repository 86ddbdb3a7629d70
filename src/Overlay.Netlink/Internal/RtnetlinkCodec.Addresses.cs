using System.Net;

namespace Overlay.Netlink.Internal;

/// <summary>Addresses (RTM_NEWADDR/DELADDR/GETADDR, <c>struct ifaddrmsg</c>).</summary>
internal static partial class RtnetlinkCodec
{
    public static void WriteAddress(ref NetlinkMessageWriter writer, ushort type, NetlinkMessageFlags flags, LinkAddress address, uint sequence)
    {
        writer.BeginMessage(type, flags, sequence);
        writer.WriteStruct(new IfAddrMsg
        {
            Family = FamilyOf(address.Address),
            PrefixLength = address.PrefixLength,
            Flags = (byte)((uint)address.Flags & 0xFF),
            Scope = (byte)(address.Scope ?? RouteScope.Universe),
            Index = unchecked((uint)address.InterfaceIndex),
        });
        writer.WriteIPAddress(IfaType.Local, address.Address);
        writer.WriteIPAddress(IfaType.Address, address.Peer ?? address.Address);
        if (address.Broadcast is not null)
        {
            writer.WriteIPAddress(IfaType.Broadcast, address.Broadcast);
        }

        if (address.Label is not null)
        {
            writer.WriteString(IfaType.Label, address.Label);
        }

        if ((uint)address.Flags > 0xFF)
        {
            writer.WriteUInt32(IfaType.Flags, (uint)address.Flags);
        }

        writer.EndMessage();
    }

    public static LinkAddress DecodeAddress(NetlinkMessage message)
    {
        IfAddrMsg header = IfAddrMsg.Read(message);
        byte prefix = header.PrefixLength;
        var flags = (AddressFlags)header.Flags;
        var scope = (RouteScope)header.Scope;
        int index = (int)header.Index;
        IPAddress? local = null;
        IPAddress? address = null;
        IPAddress? broadcast = null;
        string? label = null;
        NetlinkAttributeReader attributes = message.GetAttributes(IfAddrMsg.Length);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            switch (a.Type)
            {
                case IfaType.Local:
                    local = a.GetIPAddress();
                    break;
                case IfaType.Address:
                    address = a.GetIPAddress();
                    break;
                case IfaType.Broadcast:
                    broadcast = a.GetIPAddress();
                    break;
                case IfaType.Label:
                    label = a.GetString();
                    break;
                case IfaType.Flags:
                    flags = (AddressFlags)a.GetUInt32();
                    break;
                default:
                    break;
            }
        }

        IPAddress ip = local ?? address ?? throw new NetlinkProtocolException("RTM_NEWADDR without IFA_LOCAL or IFA_ADDRESS.");
        return new LinkAddress
        {
            InterfaceIndex = index,
            Address = ip,
            PrefixLength = prefix,
            Scope = scope,
            Flags = flags,
            Peer = local is not null && address is not null && !local.Equals(address) ? address : null,
            Broadcast = broadcast,
            Label = label,
        };
    }
}
