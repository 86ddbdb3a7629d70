using System.Net;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary>
/// What a link should look like: the common attributes plus, in derived records, the kind-specific
/// ones. Also returned by <see cref="Link.Spec"/> when reading a link back, so an existing device can
/// be compared with the desired one.
/// </summary>
public abstract record LinkSpec
{
    /// <summary>The interface name (IFLA_IFNAME), at most 15 bytes.</summary>
    public required string Name { get; init; }

    /// <summary>The MTU (IFLA_MTU); null leaves the kernel's default.</summary>
    public int? Mtu { get; init; }

    /// <summary>The hardware address (IFLA_ADDRESS); null lets the kernel choose.</summary>
    public MacAddress? MacAddress { get; init; }

    /// <summary>The master device (IFLA_MASTER), e.g. a bridge.</summary>
    public int? MasterIndex { get; init; }

    /// <summary>The transmit queue length (IFLA_TXQLEN).</summary>
    public int? TxQueueLength { get; init; }

    /// <summary>The kind (IFLA_INFO_KIND), e.g. <c>vxlan</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>Writes IFLA_INFO_DATA children; returns false when the kind has none to send.</summary>
    internal virtual bool HasInfoData => false;

    internal virtual void WriteInfoData(ref NetlinkMessageWriter writer)
    {
    }
}

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

/// <summary>An IPv4-in-IPv4 tunnel (kind <c>ipip</c>, IFLA_IPTUN_* attributes).</summary>
public sealed record IPIPLinkSpec : LinkSpec
{
    /// <summary>The kind name.</summary>
    public const string KindName = "ipip";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>IFLA_IPTUN_LOCAL.</summary>
    public IPAddress? Local { get; init; }

    /// <summary>IFLA_IPTUN_REMOTE (null: any, for a shared flannel-style device).</summary>
    public IPAddress? Remote { get; init; }

    /// <summary>IFLA_IPTUN_LINK.</summary>
    public int? UnderlayIndex { get; init; }

    /// <summary>IFLA_IPTUN_TTL (0 = inherit).</summary>
    public byte? Ttl { get; init; }

    /// <summary>IFLA_IPTUN_TOS.</summary>
    public byte? Tos { get; init; }

    /// <summary>IFLA_IPTUN_PMTUDISC.</summary>
    public bool? PathMtuDiscovery { get; init; }

    internal override bool HasInfoData => true;

    internal override void WriteInfoData(ref NetlinkMessageWriter writer)
    {
        if (UnderlayIndex is int link)
        {
            writer.WriteUInt32(IflaIptunType.Link, (uint)link);
        }

        if (Local is not null)
        {
            writer.WriteIPAddress(IflaIptunType.Local, Local);
        }

        if (Remote is not null)
        {
            writer.WriteIPAddress(IflaIptunType.Remote, Remote);
        }

        VxlanLinkSpec.WriteOptional(ref writer, IflaIptunType.Ttl, Ttl);
        VxlanLinkSpec.WriteOptional(ref writer, IflaIptunType.Tos, Tos);
        VxlanLinkSpec.WriteOptional(ref writer, IflaIptunType.PathMtuDiscovery, PathMtuDiscovery);
    }
}

/// <summary>A veth pair (kind <c>veth</c>); the peer may be created directly in another namespace.</summary>
public sealed record VethLinkSpec : LinkSpec
{
    /// <summary>The kind name.</summary>
    public const string KindName = "veth";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>The peer's name (empty when read back; see <see cref="Link.ParentIndex"/> for the peer's index).</summary>
    public required string PeerName { get; init; }

    /// <summary>The namespace to create the peer in (IFLA_NET_NS_FD); null = the same namespace.</summary>
    public NetworkNamespace? PeerNamespace { get; init; }

    /// <summary>The peer's MTU; null = the kernel default.</summary>
    public int? PeerMtu { get; init; }

    internal int PeerNamespaceFd { get; init; } = -1;

    internal override bool HasInfoData => PeerName.Length > 0;

    internal override void WriteInfoData(ref NetlinkMessageWriter writer)
    {
        NestedAttribute peer = writer.BeginNested(VethInfoType.Peer);
        writer.WriteZeroes(16); // struct ifinfomsg of the peer
        writer.WriteString(IflaType.IfName, PeerName);
        if (PeerMtu is int mtu)
        {
            writer.WriteUInt32(IflaType.Mtu, (uint)mtu);
        }

        if (PeerNamespaceFd >= 0)
        {
            writer.WriteUInt32(IflaType.NetNsFd, (uint)PeerNamespaceFd);
        }

        writer.EndNested(peer);
    }
}

/// <summary>A Linux bridge (kind <c>bridge</c>).</summary>
public sealed record BridgeLinkSpec : LinkSpec
{
    /// <summary>The kind name.</summary>
    public const string KindName = "bridge";

    /// <inheritdoc />
    public override string Kind => KindName;
}

/// <summary>The mode of a TUN/TAP device.</summary>
public enum TunMode
{
    /// <summary>Layer 3 (IFF_TUN).</summary>
    Tun = 1,

    /// <summary>Layer 2 (IFF_TAP).</summary>
    Tap = 2,
}

/// <summary>
/// A persistent TUN/TAP device (kind <c>tun</c>). The kernel cannot create these over rtnetlink,
/// so <see cref="NetlinkClient.LinkAddAsync"/> opens <c>/dev/net/tun</c> in the client's namespace,
/// sets the device persistent and closes it; the read-back comes from IFLA_TUN_* attributes.
/// </summary>
public sealed record TunLinkSpec : LinkSpec
{
    /// <summary>The kind name.</summary>
    public const string KindName = "tun";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>TUN or TAP.</summary>
    public TunMode Mode { get; init; } = TunMode.Tun;

    /// <summary>IFF_MULTI_QUEUE.</summary>
    public bool MultiQueue { get; init; }

    /// <summary>Packet information header (clear of IFF_NO_PI).</summary>
    public bool PacketInfo { get; init; }

    /// <summary>IFF_VNET_HDR.</summary>
    public bool VnetHeader { get; init; }

    /// <summary>The owning user id (TUNSETOWNER).</summary>
    public uint? Owner { get; init; }

    /// <summary>The owning group id (TUNSETGROUP).</summary>
    public uint? Group { get; init; }
}

/// <summary>Any other kind, sent with IFLA_INFO_KIND only (e.g. <c>dummy</c>, <c>ifb</c>) or read back when the kind is not modelled.</summary>
public sealed record GenericLinkSpec : LinkSpec
{
    private readonly string _kind = string.Empty;

    /// <inheritdoc />
    public override string Kind => _kind;

    /// <summary>The kind name.</summary>
    public required string KindName
    {
        get => _kind;
        init => _kind = value ?? throw new ArgumentNullException(nameof(value));
    }
}

/// <summary>A link as the kernel reports it.</summary>
public sealed record Link
{
    /// <summary>The interface index.</summary>
    public required int Index { get; init; }

    /// <summary>The interface name.</summary>
    public required string Name { get; init; }

    /// <summary>IFLA_INFO_KIND, or null for devices without one (e.g. lo, physical NICs).</summary>
    public string? Kind { get; init; }

    /// <summary>The interface flags.</summary>
    public InterfaceFlags Flags { get; init; }

    /// <summary>True when administratively up (IFF_UP).</summary>
    public bool IsUp => (Flags & InterfaceFlags.Up) != 0;

    /// <summary>The MTU.</summary>
    public int Mtu { get; init; }

    /// <summary>The hardware address if it is a 6-byte MAC.</summary>
    public MacAddress? MacAddress { get; init; }

    /// <summary>IFLA_LINK: parent device (for veth, the peer's index).</summary>
    public int? ParentIndex { get; init; }

    /// <summary>IFLA_MASTER.</summary>
    public int? MasterIndex { get; init; }

    /// <summary>IFLA_OPERSTATE (RFC 2863: 2 down, 6 up, 0 unknown…).</summary>
    public byte OperState { get; init; }

    /// <summary>IFLA_TXQLEN.</summary>
    public int TxQueueLength { get; init; }

    /// <summary>ARPHRD_* device type.</summary>
    public ushort DeviceType { get; init; }

    /// <summary>The link read back as a spec of its kind (e.g. <see cref="VxlanLinkSpec"/>), or null without a kind.</summary>
    public LinkSpec? Spec { get; init; }
}

/// <summary>Changes to an existing link, sent in one RTM_NEWLINK; null members are left unchanged.</summary>
public sealed record LinkModification
{
    /// <summary>Set administratively up (true) or down (false).</summary>
    public bool? Up { get; init; }

    /// <summary>New MTU.</summary>
    public int? Mtu { get; init; }

    /// <summary>New hardware address.</summary>
    public MacAddress? MacAddress { get; init; }

    /// <summary>New name.</summary>
    public string? Name { get; init; }

    /// <summary>New master (0 removes it from its master).</summary>
    public int? MasterIndex { get; init; }
}
