using System.Net;
using System.Net.Sockets;

namespace Overlay.Netlink.Internal;

/// <summary>Routes (RTM_NEWROUTE/DELROUTE/GETROUTE, <c>struct rtmsg</c>).</summary>
internal static partial class RtnetlinkCodec
{
    public static void WriteRoute(ref NetlinkMessageWriter writer, ushort type, NetlinkMessageFlags flags, Route route, uint sequence)
    {
        bool delete = type == RtmType.DelRoute;
        writer.BeginMessage(type, flags, sequence);
        RouteType routeType = route.Type ?? (delete ? RouteType.Unspecified : RouteType.Unicast);
        writer.WriteStruct(new RtMsg
        {
            Family = FamilyOf(route.Family),
            DestinationLength = route.Destination is IPNetwork dst ? (byte)dst.PrefixLength : (byte)0,
            Table = route.Table < 256 ? (byte)route.Table : (byte)0,
            Protocol = route.Protocol ?? (delete ? RouteProtocol.Unspecified : RouteProtocol.Boot),
            Scope = (byte)(route.Scope ?? DefaultScope(route, routeType, delete)),
            Type = (byte)routeType,
            Flags = (uint)route.Flags,
        });
        if (route.Destination is IPNetwork destination && destination.PrefixLength > 0)
        {
            writer.WriteIPAddress(RtaType.Destination, destination.BaseAddress);
        }

        if (route.Gateway is not null)
        {
            writer.WriteIPAddress(RtaType.Gateway, route.Gateway);
        }

        if (route.Priority is uint priority)
        {
            writer.WriteUInt32(RtaType.Priority, priority);
        }

        if (route.PreferredSource is not null)
        {
            writer.WriteIPAddress(RtaType.PreferredSource, route.PreferredSource);
        }

        if (route.OutputInterface is int oif)
        {
            writer.WriteUInt32(RtaType.OutputInterface, (uint)oif);
        }

        if (route.Table >= 256)
        {
            writer.WriteUInt32(RtaType.Table, route.Table);
        }

        if (route.Mtu is uint mtu)
        {
            NestedAttribute metrics = writer.BeginNested(RtaType.Metrics);
            writer.WriteUInt32(RtaxType.Mtu, mtu);
            writer.EndNested(metrics);
        }

        writer.EndMessage();
    }

    private static RouteScope DefaultScope(Route route, RouteType type, bool delete)
    {
        if (delete)
        {
            return RouteScope.Nowhere;
        }

        return type switch
        {
            RouteType.Local => RouteScope.Host,
            RouteType.Unicast when route.Gateway is null && route.OutputInterface is not null => RouteScope.Link,
            _ => RouteScope.Universe,
        };
    }

    public static void WriteRouteGet(ref NetlinkMessageWriter writer, IPAddress destination, uint sequence)
    {
        writer.BeginMessage(RtmType.GetRoute, RequestAck, sequence);
        writer.WriteStruct(new RtMsg
        {
            Family = FamilyOf(destination),
            DestinationLength = (byte)(NetlinkMessageWriter.AddressLength(destination) * 8),
            Flags = (uint)RouteFlags.LookupTable,
        });
        writer.WriteIPAddress(RtaType.Destination, destination);
        writer.EndMessage();
    }

    /// <summary>True for AF_INET/AF_INET6 routes (dumps of family 0 also return e.g. multicast or MPLS tables).</summary>
    public static bool IsIPRoute(NetlinkMessage message) =>
        RtMsg.Read(message).Family is LinuxAddressFamily.Inet or LinuxAddressFamily.Inet6;

    public static Route DecodeRoute(NetlinkMessage message)
    {
        RtMsg header = RtMsg.Read(message);
        byte family = header.Family;
        byte dstLength = header.DestinationLength;
        uint table = header.Table;
        IPAddress? destination = null;
        IPAddress? gateway = null;
        IPAddress? preferredSource = null;
        int? oif = null;
        uint? priority = null;
        uint? mtu = null;
        NetlinkAttributeReader attributes = message.GetAttributes(RtMsg.Length);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            switch (a.Type)
            {
                case RtaType.Destination:
                    destination = a.GetIPAddress();
                    break;
                case RtaType.Gateway:
                    gateway = a.GetIPAddress();
                    break;
                case RtaType.PreferredSource:
                    preferredSource = a.GetIPAddress();
                    break;
                case RtaType.OutputInterface:
                    oif = (int)a.GetUInt32();
                    break;
                case RtaType.Priority:
                    priority = a.GetUInt32();
                    break;
                case RtaType.Table:
                    table = a.GetUInt32();
                    break;
                case RtaType.Metrics:
                    NetlinkAttributeReader metrics = a.GetNested();
                    while (metrics.TryRead(out NetlinkAttribute metric))
                    {
                        if (metric.Type == RtaxType.Mtu)
                        {
                            mtu = metric.GetUInt32();
                        }
                    }

                    break;
                default:
                    break;
            }
        }

        AddressFamily addressFamily = family == LinuxAddressFamily.Inet6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        int maxPrefix = addressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (dstLength > maxPrefix || (destination is not null && destination.AddressFamily != addressFamily))
        {
            throw new NetlinkProtocolException($"Route with prefix length {dstLength} does not fit family {family}.");
        }

        destination ??= addressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        return new Route
        {
            Family = addressFamily,
            Destination = new IPNetwork(Mask(destination, dstLength), dstLength),
            Gateway = gateway,
            OutputInterface = oif,
            Table = table,
            Protocol = header.Protocol,
            Scope = (RouteScope)header.Scope,
            Type = (RouteType)header.Type,
            Flags = (RouteFlags)header.Flags,
            Priority = priority,
            Mtu = mtu,
            PreferredSource = preferredSource,
        };
    }
}
