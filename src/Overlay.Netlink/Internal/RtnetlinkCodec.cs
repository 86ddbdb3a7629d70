using System.Net;
using System.Net.Sockets;

namespace Overlay.Netlink.Internal;

/// <summary>Builds and decodes rtnetlink messages (links, addresses, routes, neighbours, FDB).</summary>
internal static class RtnetlinkCodec
{
    public const int IfInfoLength = 16;
    public const int IfAddrLength = 8;
    public const int RtMsgLength = 12;
    public const int NdMsgLength = 12;
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

    // ---- links ----------------------------------------------------------------------------

    public static void WriteIfInfo(ref NetlinkMessageWriter writer, int index, uint flags = 0, uint change = 0)
    {
        Span<byte> header = writer.WriteZeroes(IfInfoLength);
        HostOrder.WriteInt32(header[4..], index);
        HostOrder.WriteUInt32(header[8..], flags);
        HostOrder.WriteUInt32(header[12..], change);
    }

    public static void WriteLinkAdd(ref NetlinkMessageWriter writer, LinkSpec spec, uint sequence)
    {
        writer.BeginMessage(RtmType.NewLink, RequestAck | NetlinkMessageFlags.Create | NetlinkMessageFlags.Exclusive, sequence);
        WriteIfInfo(ref writer, 0);
        writer.WriteString(IflaType.IfName, spec.Name);
        if (spec.Mtu is int mtu)
        {
            writer.WriteUInt32(IflaType.Mtu, (uint)mtu);
        }

        if (spec.MacAddress is MacAddress mac)
        {
            writer.WriteMacAddress(IflaType.Address, mac);
        }

        if (spec.MasterIndex is int master)
        {
            writer.WriteUInt32(IflaType.Master, (uint)master);
        }

        if (spec.TxQueueLength is int txq)
        {
            writer.WriteUInt32(IflaType.TxQueueLength, (uint)txq);
        }

        NestedAttribute info = writer.BeginNested(IflaType.LinkInfo);
        writer.WriteUnterminatedString(IflaInfoType.Kind, spec.Kind);
        if (spec.HasInfoData)
        {
            NestedAttribute data = writer.BeginNested(IflaInfoType.Data);
            spec.WriteInfoData(ref writer);
            writer.EndNested(data);
        }

        writer.EndNested(info);
        writer.EndMessage();
    }

    public static void WriteLinkModify(ref NetlinkMessageWriter writer, int index, LinkModification change, uint sequence, int namespaceFd = -1)
    {
        writer.BeginMessage(RtmType.NewLink, RequestAck, sequence);
        uint flags = change.Up == true ? (uint)InterfaceFlags.Up : 0;
        uint mask = change.Up.HasValue ? (uint)InterfaceFlags.Up : 0;
        WriteIfInfo(ref writer, index, flags, mask);
        if (change.Mtu is int mtu)
        {
            writer.WriteUInt32(IflaType.Mtu, (uint)mtu);
        }

        if (change.MacAddress is MacAddress mac)
        {
            writer.WriteMacAddress(IflaType.Address, mac);
        }

        if (change.Name is not null)
        {
            writer.WriteString(IflaType.IfName, change.Name);
        }

        if (change.MasterIndex is int master)
        {
            writer.WriteUInt32(IflaType.Master, (uint)master);
        }

        if (namespaceFd >= 0)
        {
            writer.WriteUInt32(IflaType.NetNsFd, (uint)namespaceFd);
        }

        writer.EndMessage();
    }

    public static void WriteLinkDelete(ref NetlinkMessageWriter writer, int index, uint sequence)
    {
        writer.BeginMessage(RtmType.DelLink, RequestAck, sequence);
        WriteIfInfo(ref writer, index);
        writer.EndMessage();
    }

    public static void WriteLinkGet(ref NetlinkMessageWriter writer, int index, string? name, uint sequence)
    {
        writer.BeginMessage(RtmType.GetLink, RequestAck, sequence);
        WriteIfInfo(ref writer, index);
        writer.WriteUInt32(IflaType.ExtMask, ExtMaskSkipStats);
        if (name is not null)
        {
            writer.WriteString(IflaType.IfName, name);
        }

        writer.EndMessage();
    }

    public static void WriteDump(ref NetlinkMessageWriter writer, ushort type, byte family, int headerLength, uint sequence)
    {
        writer.BeginMessage(type, NetlinkMessageFlags.Request | NetlinkMessageFlags.Dump, sequence);
        Span<byte> header = writer.WriteZeroes(headerLength);
        if (headerLength > 0)
        {
            header[0] = family;
        }

        if (type == RtmType.GetLink)
        {
            writer.WriteUInt32(IflaType.ExtMask, ExtMaskSkipStats);
        }

        writer.EndMessage();
    }

    public static Link DecodeLink(NetlinkMessage message)
    {
        ReadOnlySpan<byte> header = message.GetFixedHeader(IfInfoLength);
        int index = HostOrder.ReadInt32(header[4..]);
        ushort deviceType = HostOrder.ReadUInt16(header[2..]);
        var flags = (InterfaceFlags)HostOrder.ReadUInt32(header[8..]);
        string name = string.Empty;
        int mtu = 0;
        MacAddress? mac = null;
        int? parent = null;
        int? master = null;
        byte operState = 0;
        int txq = 0;
        string? kind = null;
        LinkSpec? spec = null;
        NetlinkAttributeReader attributes = message.GetAttributes(IfInfoLength);
        ReadOnlySpan<byte> infoData = default;
        bool hasInfoData = false;
        while (attributes.TryRead(out NetlinkAttribute attribute))
        {
            switch (attribute.Type)
            {
                case IflaType.IfName:
                    name = attribute.GetString();
                    break;
                case IflaType.Mtu:
                    mtu = (int)attribute.GetUInt32();
                    break;
                case IflaType.Address when attribute.Value.Length == MacAddress.Length:
                    mac = attribute.GetMacAddress();
                    break;
                case IflaType.Link:
                    parent = (int)attribute.GetUInt32();
                    break;
                case IflaType.Master:
                    master = (int)attribute.GetUInt32();
                    break;
                case IflaType.OperState:
                    operState = attribute.GetUInt8();
                    break;
                case IflaType.TxQueueLength:
                    txq = (int)attribute.GetUInt32();
                    break;
                case IflaType.LinkInfo:
                    NetlinkAttributeReader info = attribute.GetNested();
                    while (info.TryRead(out NetlinkAttribute child))
                    {
                        if (child.Type == IflaInfoType.Kind)
                        {
                            kind = child.GetString();
                        }
                        else if (child.Type == IflaInfoType.Data)
                        {
                            infoData = child.Value;
                            hasInfoData = true;
                        }
                    }

                    break;
                default:
                    break; // unknown attributes are skipped
            }
        }

        if (kind is not null)
        {
            spec = DecodeSpec(kind, name, mtu, mac, master, txq, hasInfoData ? infoData : default);
        }

        return new Link
        {
            Index = index,
            Name = name,
            Kind = kind,
            Flags = flags,
            Mtu = mtu,
            MacAddress = mac,
            ParentIndex = parent,
            MasterIndex = master,
            OperState = operState,
            TxQueueLength = txq,
            DeviceType = deviceType,
            Spec = spec,
        };
    }

    private static LinkSpec DecodeSpec(string kind, string name, int mtu, MacAddress? mac, int? master, int txq, ReadOnlySpan<byte> data)
    {
        switch (kind)
        {
            case VxlanLinkSpec.KindName:
                return DecodeVxlan(name, data) with { Mtu = mtu, MacAddress = mac, MasterIndex = master, TxQueueLength = txq };
            case IPIPLinkSpec.KindName:
                return DecodeIpip(name, data) with { Mtu = mtu, MacAddress = mac, MasterIndex = master, TxQueueLength = txq };
            case VethLinkSpec.KindName:
                return new VethLinkSpec { Name = name, PeerName = string.Empty, Mtu = mtu, MacAddress = mac, MasterIndex = master, TxQueueLength = txq };
            case BridgeLinkSpec.KindName:
                return new BridgeLinkSpec { Name = name, Mtu = mtu, MacAddress = mac, MasterIndex = master, TxQueueLength = txq };
            case TunLinkSpec.KindName:
                return DecodeTun(name, data) with { Mtu = mtu, MacAddress = mac, MasterIndex = master, TxQueueLength = txq };
            default:
                return new GenericLinkSpec { Name = name, KindName = kind, Mtu = mtu, MacAddress = mac, MasterIndex = master, TxQueueLength = txq };
        }
    }

    private static VxlanLinkSpec DecodeVxlan(string name, ReadOnlySpan<byte> data)
    {
        var spec = new VxlanLinkSpec { Name = name, Vni = 0 };
        var reader = new NetlinkAttributeReader(data);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            spec = a.Type switch
            {
                IflaVxlanType.Id => spec with { Vni = a.GetUInt32() },
                IflaVxlanType.Link => spec with { UnderlayIndex = (int)a.GetUInt32() },
                IflaVxlanType.Local or IflaVxlanType.Local6 => spec with { Local = a.GetIPAddress() },
                IflaVxlanType.Group or IflaVxlanType.Group6 => spec with { Group = a.GetIPAddress() },
                IflaVxlanType.Ttl => spec with { Ttl = a.GetUInt8() },
                IflaVxlanType.Tos => spec with { Tos = a.GetUInt8() },
                IflaVxlanType.Learning => spec with { Learning = a.GetUInt8() != 0 },
                IflaVxlanType.Proxy => spec with { Proxy = a.GetUInt8() != 0 },
                IflaVxlanType.Rsc => spec with { Rsc = a.GetUInt8() != 0 },
                IflaVxlanType.L2Miss => spec with { L2Miss = a.GetUInt8() != 0 },
                IflaVxlanType.L3Miss => spec with { L3Miss = a.GetUInt8() != 0 },
                IflaVxlanType.Port => spec with { Port = a.GetUInt16BigEndian() },
                IflaVxlanType.Gbp => spec with { Gbp = true },
                IflaVxlanType.UdpChecksum => spec with { UdpChecksum = a.GetUInt8() != 0 },
                IflaVxlanType.UdpZeroChecksum6Tx => spec with { UdpZeroChecksum6Tx = a.GetUInt8() != 0 },
                IflaVxlanType.UdpZeroChecksum6Rx => spec with { UdpZeroChecksum6Rx = a.GetUInt8() != 0 },
                IflaVxlanType.Ageing => spec with { Ageing = a.GetUInt32() },
                _ => spec,
            };
        }

        return spec;
    }

    private static IPIPLinkSpec DecodeIpip(string name, ReadOnlySpan<byte> data)
    {
        var spec = new IPIPLinkSpec { Name = name };
        var reader = new NetlinkAttributeReader(data);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            spec = a.Type switch
            {
                IflaIptunType.Link => spec with { UnderlayIndex = (int)a.GetUInt32() },
                IflaIptunType.Local => spec with { Local = a.GetIPAddress() },
                IflaIptunType.Remote => spec with { Remote = a.GetIPAddress() },
                IflaIptunType.Ttl => spec with { Ttl = a.GetUInt8() },
                IflaIptunType.Tos => spec with { Tos = a.GetUInt8() },
                IflaIptunType.PathMtuDiscovery => spec with { PathMtuDiscovery = a.GetUInt8() != 0 },
                _ => spec,
            };
        }

        return spec;
    }

    private static TunLinkSpec DecodeTun(string name, ReadOnlySpan<byte> data)
    {
        var spec = new TunLinkSpec { Name = name };
        var reader = new NetlinkAttributeReader(data);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            spec = a.Type switch
            {
                IflaTunType.Type => spec with { Mode = a.GetUInt8() == 2 ? TunMode.Tap : TunMode.Tun },
                IflaTunType.PacketInfo => spec with { PacketInfo = a.GetUInt8() != 0 },
                IflaTunType.VnetHeader => spec with { VnetHeader = a.GetUInt8() != 0 },
                IflaTunType.MultiQueue => spec with { MultiQueue = a.GetUInt8() != 0 },
                IflaTunType.Owner => spec with { Owner = a.GetUInt32() },
                IflaTunType.Group => spec with { Group = a.GetUInt32() },
                _ => spec,
            };
        }

        return spec;
    }

    // ---- addresses ------------------------------------------------------------------------

    public static void WriteAddress(ref NetlinkMessageWriter writer, ushort type, NetlinkMessageFlags flags, LinkAddress address, uint sequence)
    {
        writer.BeginMessage(type, flags, sequence);
        Span<byte> header = writer.WriteZeroes(IfAddrLength);
        header[0] = FamilyOf(address.Address);
        header[1] = address.PrefixLength;
        header[2] = (byte)((uint)address.Flags & 0xFF);
        header[3] = (byte)(address.Scope ?? RouteScope.Universe);
        HostOrder.WriteInt32(header[4..], address.InterfaceIndex);
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
        ReadOnlySpan<byte> header = message.GetFixedHeader(IfAddrLength);
        byte prefix = header[1];
        var flags = (AddressFlags)header[2];
        var scope = (RouteScope)header[3];
        int index = (int)HostOrder.ReadUInt32(header[4..]);
        IPAddress? local = null;
        IPAddress? address = null;
        IPAddress? broadcast = null;
        string? label = null;
        NetlinkAttributeReader attributes = message.GetAttributes(IfAddrLength);
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

    // ---- routes ---------------------------------------------------------------------------

    public static void WriteRoute(ref NetlinkMessageWriter writer, ushort type, NetlinkMessageFlags flags, Route route, uint sequence)
    {
        bool delete = type == RtmType.DelRoute;
        writer.BeginMessage(type, flags, sequence);
        Span<byte> header = writer.WriteZeroes(RtMsgLength);
        RouteType routeType = route.Type ?? (delete ? RouteType.Unspecified : RouteType.Unicast);
        header[0] = FamilyOf(route.Family);
        header[1] = route.Destination is IPNetwork dst ? (byte)dst.PrefixLength : (byte)0;
        header[4] = route.Table < 256 ? (byte)route.Table : (byte)0;
        header[5] = route.Protocol ?? (delete ? RouteProtocol.Unspecified : RouteProtocol.Boot);
        header[6] = (byte)(route.Scope ?? DefaultScope(route, routeType, delete));
        header[7] = (byte)routeType;
        HostOrder.WriteUInt32(header[8..], (uint)route.Flags);
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
        Span<byte> header = writer.WriteZeroes(RtMsgLength);
        header[0] = FamilyOf(destination);
        header[1] = (byte)(NetlinkMessageWriter.AddressLength(destination) * 8);
        HostOrder.WriteUInt32(header[8..], (uint)RouteFlags.LookupTable);
        writer.WriteIPAddress(RtaType.Destination, destination);
        writer.EndMessage();
    }

    /// <summary>True for AF_INET/AF_INET6 routes (dumps of family 0 also return e.g. multicast or MPLS tables).</summary>
    public static bool IsIPRoute(NetlinkMessage message) =>
        message.GetFixedHeader(RtMsgLength)[0] is LinuxAddressFamily.Inet or LinuxAddressFamily.Inet6;

    public static Route DecodeRoute(NetlinkMessage message)
    {
        ReadOnlySpan<byte> header = message.GetFixedHeader(RtMsgLength);
        byte family = header[0];
        byte dstLength = header[1];
        uint table = header[4];
        IPAddress? destination = null;
        IPAddress? gateway = null;
        IPAddress? preferredSource = null;
        int? oif = null;
        uint? priority = null;
        uint? mtu = null;
        NetlinkAttributeReader attributes = message.GetAttributes(RtMsgLength);
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
            Protocol = header[5],
            Scope = (RouteScope)header[6],
            Type = (RouteType)header[7],
            Flags = (RouteFlags)HostOrder.ReadUInt32(header[8..]),
            Priority = priority,
            Mtu = mtu,
            PreferredSource = preferredSource,
        };
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

    // ---- neighbours and FDB -----------------------------------------------------------------

    public static void WriteNeighbor(ref NetlinkMessageWriter writer, ushort type, NetlinkMessageFlags flags, Neighbor neighbor, uint sequence)
    {
        writer.BeginMessage(type, flags, sequence);
        Span<byte> header = writer.WriteZeroes(NdMsgLength);
        header[0] = FamilyOf(neighbor.Address);
        HostOrder.WriteInt32(header[4..], neighbor.InterfaceIndex);
        HostOrder.WriteUInt16(header[8..], (ushort)neighbor.State);
        header[10] = (byte)neighbor.Flags;
        header[11] = neighbor.Type;
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
        Span<byte> header = writer.WriteZeroes(NdMsgLength);
        header[0] = LinuxAddressFamily.Bridge;
        HostOrder.WriteInt32(header[4..], entry.InterfaceIndex);
        HostOrder.WriteUInt16(header[8..], (ushort)entry.State);
        header[10] = (byte)entry.Flags;
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
        message.GetFixedHeader(NdMsgLength)[0] == LinuxAddressFamily.Bridge;

    public static Neighbor? DecodeNeighbor(NetlinkMessage message)
    {
        ReadOnlySpan<byte> header = message.GetFixedHeader(NdMsgLength);
        IPAddress? address = null;
        MacAddress? mac = null;
        byte? protocol = null;
        NetlinkAttributeReader attributes = message.GetAttributes(NdMsgLength);
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
            InterfaceIndex = HostOrder.ReadInt32(header[4..]),
            Address = address,
            LinkLayerAddress = mac,
            State = (NeighborState)HostOrder.ReadUInt16(header[8..]),
            Flags = (NeighborFlags)header[10],
            Type = header[11],
            Protocol = protocol,
        };
    }

    public static FdbEntry? DecodeFdb(NetlinkMessage message)
    {
        ReadOnlySpan<byte> header = message.GetFixedHeader(NdMsgLength);
        IPAddress? destination = null;
        MacAddress? mac = null;
        uint? vni = null;
        ushort? port = null;
        int? master = null;
        NetlinkAttributeReader attributes = message.GetAttributes(NdMsgLength);
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
            InterfaceIndex = HostOrder.ReadInt32(header[4..]),
            MacAddress = macAddress,
            Destination = destination,
            State = (NeighborState)HostOrder.ReadUInt16(header[8..]),
            Flags = (NeighborFlags)header[10],
            Vni = vni,
            Port = port,
            MasterIndex = master,
        };
    }
}
