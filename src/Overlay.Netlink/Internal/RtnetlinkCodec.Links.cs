namespace Overlay.Netlink.Internal;

/// <summary>Links (RTM_NEWLINK/DELLINK/GETLINK, <c>struct ifinfomsg</c>), including the kind-specific IFLA_INFO_DATA decoders.</summary>
internal static partial class RtnetlinkCodec
{
    public static void WriteIfInfo(ref NetlinkMessageWriter writer, int index, uint flags = 0, uint change = 0)
    {
        writer.WriteStruct(new IfInfoMsg { Index = index, Flags = flags, Change = change });
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

    public static Link DecodeLink(NetlinkMessage message)
    {
        IfInfoMsg header = IfInfoMsg.Read(message);
        int index = header.Index;
        ushort deviceType = header.DeviceType;
        var flags = (InterfaceFlags)header.Flags;
        string name = string.Empty;
        int mtu = 0;
        MacAddress? mac = null;
        int? parent = null;
        int? master = null;
        byte operState = 0;
        int txq = 0;
        string? kind = null;
        LinkSpec? spec = null;
        NetlinkAttributeReader attributes = message.GetAttributes(IfInfoMsg.Length);
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
}
