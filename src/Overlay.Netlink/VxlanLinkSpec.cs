using System.Net;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary>A VXLAN device (kind <c>vxlan</c>). Nullable members are not sent when null.</summary>
public sealed record VxlanLinkSpec : LinkSpec
{
    /// <summary>The kind name.</summary>
    public const string KindName = "vxlan";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>The VXLAN network identifier (IFLA_VXLAN_ID).</summary>
    public required uint Vni { get; init; }

    /// <summary>The local VTEP address (IFLA_VXLAN_LOCAL or LOCAL6 by family).</summary>
    public IPAddress? Local { get; init; }

    /// <summary>The remote or multicast group (IFLA_VXLAN_GROUP or GROUP6).</summary>
    public IPAddress? Group { get; init; }

    /// <summary>The underlay interface (IFLA_VXLAN_LINK).</summary>
    public int? UnderlayIndex { get; init; }

    /// <summary>The UDP destination port (IFLA_VXLAN_PORT, sent big-endian); null = kernel default (8472).</summary>
    public ushort? Port { get; init; }

    /// <summary>IFLA_VXLAN_TTL (0 = inherit).</summary>
    public byte? Ttl { get; init; }

    /// <summary>IFLA_VXLAN_TOS.</summary>
    public byte? Tos { get; init; }

    /// <summary>IFLA_VXLAN_LEARNING.</summary>
    public bool? Learning { get; init; }

    /// <summary>IFLA_VXLAN_PROXY (ARP proxy).</summary>
    public bool? Proxy { get; init; }

    /// <summary>IFLA_VXLAN_RSC (route short circuit).</summary>
    public bool? Rsc { get; init; }

    /// <summary>IFLA_VXLAN_L2MISS.</summary>
    public bool? L2Miss { get; init; }

    /// <summary>IFLA_VXLAN_L3MISS.</summary>
    public bool? L3Miss { get; init; }

    /// <summary>IFLA_VXLAN_GBP (group policy extension); sent as a flag only when true.</summary>
    public bool Gbp { get; init; }

    /// <summary>IFLA_VXLAN_UDP_CSUM.</summary>
    public bool? UdpChecksum { get; init; }

    /// <summary>IFLA_VXLAN_UDP_ZERO_CSUM6_TX.</summary>
    public bool? UdpZeroChecksum6Tx { get; init; }

    /// <summary>IFLA_VXLAN_UDP_ZERO_CSUM6_RX.</summary>
    public bool? UdpZeroChecksum6Rx { get; init; }

    /// <summary>IFLA_VXLAN_AGEING in seconds.</summary>
    public uint? Ageing { get; init; }

    internal override bool HasInfoData => true;

    internal override void WriteInfoData(ref NetlinkMessageWriter writer)
    {
        writer.WriteUInt32(IflaVxlanType.Id, Vni);
        if (UnderlayIndex is int link)
        {
            writer.WriteUInt32(IflaVxlanType.Link, (uint)link);
        }

        if (Local is not null)
        {
            writer.WriteIPAddress(Local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IflaVxlanType.Local6 : IflaVxlanType.Local, Local);
        }

        if (Group is not null)
        {
            writer.WriteIPAddress(Group.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IflaVxlanType.Group6 : IflaVxlanType.Group, Group);
        }

        WriteOptional(ref writer, IflaVxlanType.Ttl, Ttl);
        WriteOptional(ref writer, IflaVxlanType.Tos, Tos);
        WriteOptional(ref writer, IflaVxlanType.Learning, Learning);
        WriteOptional(ref writer, IflaVxlanType.Proxy, Proxy);
        WriteOptional(ref writer, IflaVxlanType.Rsc, Rsc);
        WriteOptional(ref writer, IflaVxlanType.L2Miss, L2Miss);
        WriteOptional(ref writer, IflaVxlanType.L3Miss, L3Miss);
        if (Ageing is uint ageing)
        {
            writer.WriteUInt32(IflaVxlanType.Ageing, ageing);
        }

        if (Port is ushort port)
        {
            writer.WriteUInt16BigEndian(IflaVxlanType.Port, port);
        }

        if (Gbp)
        {
            writer.WriteFlag(IflaVxlanType.Gbp);
        }

        WriteOptional(ref writer, IflaVxlanType.UdpChecksum, UdpChecksum);
        WriteOptional(ref writer, IflaVxlanType.UdpZeroChecksum6Tx, UdpZeroChecksum6Tx);
        WriteOptional(ref writer, IflaVxlanType.UdpZeroChecksum6Rx, UdpZeroChecksum6Rx);
    }

    internal static void WriteOptional(ref NetlinkMessageWriter writer, ushort type, byte? value)
    {
        if (value is byte b)
        {
            writer.WriteUInt8(type, b);
        }
    }

    internal static void WriteOptional(ref NetlinkMessageWriter writer, ushort type, bool? value)
    {
        if (value is bool b)
        {
            writer.WriteUInt8(type, b ? (byte)1 : (byte)0);
        }
    }
}
