using System.Net;

namespace Overlay.Netlink.Internal;

/// <summary>Neighbours and bridge FDB entries (RTM_NEWNEIGH/DELNEIGH/GETNEIGH, <c>struct ndmsg</c>; FDB entries are family AF_BRIDGE).</summary>
internal static partial class RtnetlinkCodec
{
    public static void WriteNeighbor(ref NetlinkMessageWriter writer, ushort type, NetlinkMessageFlags flags, Neighbor neighbor, uint sequence)
    {
        writer.BeginMessage(type, flags, sequence);
        writer.WriteStruct(new NdMsg
        {
            Family = FamilyOf(neighbor.Address),
            Index = neighbor.InterfaceIndex,
            State = (ushort)neighbor.State,
            Flags = (byte)neighbor.Flags,
            Type = neighbor.Type,
        });
        writer.WriteIPAddress(NdaType.Destination, neighbor.Address);
        if (neighbor.LinkLayerAddress is MacAddress mac)
        {
            writer.WriteMacAddress(NdaType.LinkLayerAddress, mac);
        }

        if (neighbor.Protocol is byte protocol)
        {
            writer.WriteUInt8(NdaType.Protocol, protocol);
        }

        writer.EndMessage();
    }

    public static void WriteFdb(ref NetlinkMessageWriter writer, ushort type, NetlinkMessageFlags flags, FdbEntry entry, uint sequence)
    {
        writer.BeginMessage(type, flags, sequence);
        writer.WriteStruct(new NdMsg
        {
            Family = LinuxAddressFamily.Bridge,
            Index = entry.InterfaceIndex,
            State = (ushort)entry.State,
            Flags = (byte)entry.Flags,
        });
        writer.WriteMacAddress(NdaType.LinkLayerAddress, entry.MacAddress);
        if (entry.Destination is not null)
        {
            writer.WriteIPAddress(NdaType.Destination, entry.Destination);
        }

        if (entry.Vni is uint vni)
        {
            writer.WriteUInt32(NdaType.Vni, vni);
        }

        if (entry.Port is ushort port)
        {
            writer.WriteUInt16BigEndian(NdaType.Port, port);
        }

        writer.EndMessage();
    }

    public static bool IsBridgeFamily(NetlinkMessage message) =>
        NdMsg.Read(message).Family == LinuxAddressFamily.Bridge;

    public static Neighbor? DecodeNeighbor(NetlinkMessage message)
    {
        NdMsg header = NdMsg.Read(message);
        IPAddress? address = null;
        MacAddress? mac = null;
        byte? protocol = null;
        NetlinkAttributeReader attributes = message.GetAttributes(NdMsg.Length);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            switch (a.Type)
            {
                case NdaType.Destination:
                    address = a.GetIPAddress();
                    break;
                case NdaType.LinkLayerAddress when a.Value.Length == MacAddress.Length:
                    mac = a.GetMacAddress();
                    break;
                case NdaType.Protocol:
                    protocol = a.GetUInt8();
                    break;
                default:
                    break;
            }
        }

        if (address is null)
        {
            return null;
        }

        return new Neighbor
        {
            InterfaceIndex = header.Index,
            Address = address,
            LinkLayerAddress = mac,
            State = (NeighborState)header.State,
            Flags = (NeighborFlags)header.Flags,
            Type = header.Type,
            Protocol = protocol,
        };
    }

    public static FdbEntry? DecodeFdb(NetlinkMessage message)
    {
        NdMsg header = NdMsg.Read(message);
        IPAddress? destination = null;
        MacAddress? mac = null;
        uint? vni = null;
        ushort? port = null;
        int? master = null;
        NetlinkAttributeReader attributes = message.GetAttributes(NdMsg.Length);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            switch (a.Type)
            {
                case NdaType.Destination:
                    destination = a.GetIPAddress();
                    break;
                case NdaType.LinkLayerAddress when a.Value.Length == MacAddress.Length:
                    mac = a.GetMacAddress();
                    break;
                case NdaType.Vni:
                    vni = a.GetUInt32();
                    break;
                case NdaType.Port:
                    port = a.GetUInt16BigEndian();
                    break;
                case NdaType.Master:
                    master = (int)a.GetUInt32();
                    break;
                default:
                    break;
            }
        }

        if (mac is not MacAddress macAddress)
        {
            return null;
        }

        return new FdbEntry
        {
            InterfaceIndex = header.Index,
            MacAddress = macAddress,
            Destination = destination,
            State = (NeighborState)header.State,
            Flags = (NeighborFlags)header.Flags,
            Vni = vni,
            Port = port,
            MasterIndex = master,
        };
    }
}
