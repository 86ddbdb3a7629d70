namespace Overlay.Netlink;

/// <summary>rtnetlink message types (<c>RTM_*</c>, linux/rtnetlink.h).</summary>
public static class RtmType
{
    /// <summary>RTM_NEWLINK.</summary>
    public const ushort NewLink = 16;

    /// <summary>RTM_DELLINK.</summary>
    public const ushort DelLink = 17;

    /// <summary>RTM_GETLINK.</summary>
    public const ushort GetLink = 18;

    /// <summary>RTM_NEWADDR.</summary>
    public const ushort NewAddress = 20;

    /// <summary>RTM_DELADDR.</summary>
    public const ushort DelAddress = 21;

    /// <summary>RTM_GETADDR.</summary>
    public const ushort GetAddress = 22;

    /// <summary>RTM_NEWROUTE.</summary>
    public const ushort NewRoute = 24;

    /// <summary>RTM_DELROUTE.</summary>
    public const ushort DelRoute = 25;

    /// <summary>RTM_GETROUTE.</summary>
    public const ushort GetRoute = 26;

    /// <summary>RTM_NEWNEIGH.</summary>
    public const ushort NewNeighbor = 28;

    /// <summary>RTM_DELNEIGH.</summary>
    public const ushort DelNeighbor = 29;

    /// <summary>RTM_GETNEIGH.</summary>
    public const ushort GetNeighbor = 30;
}

/// <summary>Link attributes (<c>IFLA_*</c>, linux/if_link.h).</summary>
public static class IflaType
{
    /// <summary>IFLA_ADDRESS: hardware address.</summary>
    public const ushort Address = 1;

    /// <summary>IFLA_BROADCAST.</summary>
    public const ushort Broadcast = 2;

    /// <summary>IFLA_IFNAME.</summary>
    public const ushort IfName = 3;

    /// <summary>IFLA_MTU.</summary>
    public const ushort Mtu = 4;

    /// <summary>IFLA_LINK: the parent/underlay ifindex.</summary>
    public const ushort Link = 5;

    /// <summary>IFLA_MASTER.</summary>
    public const ushort Master = 10;

    /// <summary>IFLA_TXQLEN.</summary>
    public const ushort TxQueueLength = 13;

    /// <summary>IFLA_OPERSTATE.</summary>
    public const ushort OperState = 16;

    /// <summary>IFLA_LINKINFO (nested).</summary>
    public const ushort LinkInfo = 18;

    /// <summary>IFLA_NET_NS_PID.</summary>
    public const ushort NetNsPid = 19;

    /// <summary>IFLA_EXT_MASK.</summary>
    public const ushort ExtMask = 29;

    /// <summary>IFLA_NET_NS_FD.</summary>
    public const ushort NetNsFd = 28;

    /// <summary>IFLA_LINK_NETNSID.</summary>
    public const ushort LinkNetNsId = 37;
}

/// <summary>Attributes inside IFLA_LINKINFO (<c>IFLA_INFO_*</c>).</summary>
public static class IflaInfoType
{
    /// <summary>IFLA_INFO_KIND.</summary>
    public const ushort Kind = 1;

    /// <summary>IFLA_INFO_DATA (nested, kind-specific).</summary>
    public const ushort Data = 2;

    /// <summary>IFLA_INFO_XSTATS.</summary>
    public const ushort XStats = 3;

    /// <summary>IFLA_INFO_SLAVE_KIND.</summary>
    public const ushort SlaveKind = 4;
}

/// <summary>VXLAN attributes inside IFLA_INFO_DATA (<c>IFLA_VXLAN_*</c>).</summary>
public static class IflaVxlanType
{
    /// <summary>IFLA_VXLAN_ID (u32).</summary>
    public const ushort Id = 1;

    /// <summary>IFLA_VXLAN_GROUP (IPv4 remote/group).</summary>
    public const ushort Group = 2;

    /// <summary>IFLA_VXLAN_LINK (u32 underlay ifindex).</summary>
    public const ushort Link = 3;

    /// <summary>IFLA_VXLAN_LOCAL (IPv4).</summary>
    public const ushort Local = 4;

    /// <summary>IFLA_VXLAN_TTL (u8).</summary>
    public const ushort Ttl = 5;

    /// <summary>IFLA_VXLAN_TOS (u8).</summary>
    public const ushort Tos = 6;

    /// <summary>IFLA_VXLAN_LEARNING (u8).</summary>
    public const ushort Learning = 7;

    /// <summary>IFLA_VXLAN_AGEING (u32).</summary>
    public const ushort Ageing = 8;

    /// <summary>IFLA_VXLAN_LIMIT (u32).</summary>
    public const ushort Limit = 9;

    /// <summary>IFLA_VXLAN_PORT_RANGE.</summary>
    public const ushort PortRange = 10;

    /// <summary>IFLA_VXLAN_PROXY (u8).</summary>
    public const ushort Proxy = 11;

    /// <summary>IFLA_VXLAN_RSC (u8).</summary>
    public const ushort Rsc = 12;

    /// <summary>IFLA_VXLAN_L2MISS (u8).</summary>
    public const ushort L2Miss = 13;

    /// <summary>IFLA_VXLAN_L3MISS (u8).</summary>
    public const ushort L3Miss = 14;

    /// <summary>IFLA_VXLAN_PORT (__be16).</summary>
    public const ushort Port = 15;

    /// <summary>IFLA_VXLAN_GROUP6.</summary>
    public const ushort Group6 = 16;

    /// <summary>IFLA_VXLAN_LOCAL6.</summary>
    public const ushort Local6 = 17;

    /// <summary>IFLA_VXLAN_UDP_CSUM (u8).</summary>
    public const ushort UdpChecksum = 18;

    /// <summary>IFLA_VXLAN_UDP_ZERO_CSUM6_TX (u8).</summary>
    public const ushort UdpZeroChecksum6Tx = 19;

    /// <summary>IFLA_VXLAN_UDP_ZERO_CSUM6_RX (u8).</summary>
    public const ushort UdpZeroChecksum6Rx = 20;

    /// <summary>IFLA_VXLAN_GBP (flag).</summary>
    public const ushort Gbp = 23;

    /// <summary>IFLA_VXLAN_COLLECT_METADATA (u8).</summary>
    public const ushort CollectMetadata = 25;
}

/// <summary>IP tunnel attributes inside IFLA_INFO_DATA for ipip/sit (<c>IFLA_IPTUN_*</c>).</summary>
public static class IflaIptunType
{
    /// <summary>IFLA_IPTUN_LINK (u32).</summary>
    public const ushort Link = 1;

    /// <summary>IFLA_IPTUN_LOCAL (IPv4).</summary>
    public const ushort Local = 2;

    /// <summary>IFLA_IPTUN_REMOTE (IPv4).</summary>
    public const ushort Remote = 3;

    /// <summary>IFLA_IPTUN_TTL (u8).</summary>
    public const ushort Ttl = 4;

    /// <summary>IFLA_IPTUN_TOS (u8).</summary>
    public const ushort Tos = 5;

    /// <summary>IFLA_IPTUN_FLAGS (u16).</summary>
    public const ushort Flags = 8;

    /// <summary>IFLA_IPTUN_PROTO (u8).</summary>
    public const ushort Protocol = 9;

    /// <summary>IFLA_IPTUN_PMTUDISC (u8).</summary>
    public const ushort PathMtuDiscovery = 10;

    /// <summary>IFLA_IPTUN_ENCAP_TYPE (u16).</summary>
    public const ushort EncapType = 15;

    /// <summary>IFLA_IPTUN_ENCAP_FLAGS (u16).</summary>
    public const ushort EncapFlags = 16;

    /// <summary>IFLA_IPTUN_ENCAP_SPORT (__be16).</summary>
    public const ushort EncapSourcePort = 17;

    /// <summary>IFLA_IPTUN_ENCAP_DPORT (__be16).</summary>
    public const ushort EncapDestinationPort = 18;

    /// <summary>IFLA_IPTUN_COLLECT_METADATA (flag).</summary>
    public const ushort CollectMetadata = 19;

    /// <summary>IFLA_IPTUN_FWMARK (u32).</summary>
    public const ushort FirewallMark = 20;
}

/// <summary>veth attributes inside IFLA_INFO_DATA (<c>VETH_INFO_*</c>).</summary>
public static class VethInfoType
{
    /// <summary>VETH_INFO_PEER: an <c>ifinfomsg</c> followed by the peer's IFLA_* attributes.</summary>
    public const ushort Peer = 1;
}

/// <summary>tun attributes inside IFLA_INFO_DATA as reported by the kernel (<c>IFLA_TUN_*</c>).</summary>
public static class IflaTunType
{
    /// <summary>IFLA_TUN_OWNER (u32).</summary>
    public const ushort Owner = 1;

    /// <summary>IFLA_TUN_GROUP (u32).</summary>
    public const ushort Group = 2;

    /// <summary>IFLA_TUN_TYPE (u8: 1 tun, 2 tap).</summary>
    public const ushort Type = 3;

    /// <summary>IFLA_TUN_PI (u8).</summary>
    public const ushort PacketInfo = 4;

    /// <summary>IFLA_TUN_VNET_HDR (u8).</summary>
    public const ushort VnetHeader = 5;

    /// <summary>IFLA_TUN_PERSIST (u8).</summary>
    public const ushort Persist = 6;

    /// <summary>IFLA_TUN_MULTI_QUEUE (u8).</summary>
    public const ushort MultiQueue = 7;
}

/// <summary>Address attributes (<c>IFA_*</c>, linux/if_addr.h).</summary>
public static class IfaType
{
    /// <summary>IFA_ADDRESS (the peer address on point-to-point links, otherwise the address).</summary>
    public const ushort Address = 1;

    /// <summary>IFA_LOCAL.</summary>
    public const ushort Local = 2;

    /// <summary>IFA_LABEL.</summary>
    public const ushort Label = 3;

    /// <summary>IFA_BROADCAST.</summary>
    public const ushort Broadcast = 4;

    /// <summary>IFA_CACHEINFO.</summary>
    public const ushort CacheInfo = 6;

    /// <summary>IFA_FLAGS (u32, extends ifa_flags).</summary>
    public const ushort Flags = 8;
}

/// <summary>Route attributes (<c>RTA_*</c>).</summary>
public static class RtaType
{
    /// <summary>RTA_DST.</summary>
    public const ushort Destination = 1;

    /// <summary>RTA_SRC.</summary>
    public const ushort Source = 2;

    /// <summary>RTA_IIF.</summary>
    public const ushort InputInterface = 3;

    /// <summary>RTA_OIF.</summary>
    public const ushort OutputInterface = 4;

    /// <summary>RTA_GATEWAY.</summary>
    public const ushort Gateway = 5;

    /// <summary>RTA_PRIORITY (metric).</summary>
    public const ushort Priority = 6;

    /// <summary>RTA_PREFSRC.</summary>
    public const ushort PreferredSource = 7;

    /// <summary>RTA_METRICS (nested RTAX_*).</summary>
    public const ushort Metrics = 8;

    /// <summary>RTA_MULTIPATH.</summary>
    public const ushort Multipath = 9;

    /// <summary>RTA_CACHEINFO.</summary>
    public const ushort CacheInfo = 12;

    /// <summary>RTA_TABLE (u32).</summary>
    public const ushort Table = 15;

    /// <summary>RTA_MARK.</summary>
    public const ushort Mark = 16;

    /// <summary>RTA_PREF (u8, IPv6 router preference).</summary>
    public const ushort Preference = 20;
}

/// <summary>Route metrics inside RTA_METRICS (<c>RTAX_*</c>).</summary>
public static class RtaxType
{
    /// <summary>RTAX_LOCK.</summary>
    public const ushort Lock = 1;

    /// <summary>RTAX_MTU.</summary>
    public const ushort Mtu = 2;

    /// <summary>RTAX_ADVMSS.</summary>
    public const ushort AdvertisedMss = 8;
}

/// <summary>Neighbour attributes (<c>NDA_*</c>, linux/neighbour.h).</summary>
public static class NdaType
{
    /// <summary>NDA_DST: the IP address (for FDB entries: the remote VTEP).</summary>
    public const ushort Destination = 1;

    /// <summary>NDA_LLADDR.</summary>
    public const ushort LinkLayerAddress = 2;

    /// <summary>NDA_CACHEINFO.</summary>
    public const ushort CacheInfo = 3;

    /// <summary>NDA_PROBES.</summary>
    public const ushort Probes = 4;

    /// <summary>NDA_VLAN.</summary>
    public const ushort Vlan = 5;

    /// <summary>NDA_PORT (__be16, vxlan FDB).</summary>
    public const ushort Port = 6;

    /// <summary>NDA_VNI (u32, vxlan FDB).</summary>
    public const ushort Vni = 7;

    /// <summary>NDA_IFINDEX (vxlan FDB: outgoing interface).</summary>
    public const ushort IfIndex = 8;

    /// <summary>NDA_MASTER.</summary>
    public const ushort Master = 9;

    /// <summary>NDA_PROTOCOL (u8): who installed the entry.</summary>
    public const ushort Protocol = 12;
}

/// <summary>Route types (<c>RTN_*</c>).</summary>
public enum RouteType : byte
{
    /// <summary>RTN_UNSPEC.</summary>
    Unspecified = 0,

    /// <summary>RTN_UNICAST.</summary>
    Unicast = 1,

    /// <summary>RTN_LOCAL.</summary>
    Local = 2,

    /// <summary>RTN_BROADCAST.</summary>
    Broadcast = 3,

    /// <summary>RTN_ANYCAST.</summary>
    Anycast = 4,

    /// <summary>RTN_MULTICAST.</summary>
    Multicast = 5,

    /// <summary>RTN_BLACKHOLE.</summary>
    Blackhole = 6,

    /// <summary>RTN_UNREACHABLE.</summary>
    Unreachable = 7,

    /// <summary>RTN_PROHIBIT.</summary>
    Prohibit = 8,
}

/// <summary>Route and address scopes (<c>RT_SCOPE_*</c>).</summary>
public enum RouteScope : byte
{
    /// <summary>RT_SCOPE_UNIVERSE.</summary>
    Universe = 0,

    /// <summary>RT_SCOPE_SITE.</summary>
    Site = 200,

    /// <summary>RT_SCOPE_LINK.</summary>
    Link = 253,

    /// <summary>RT_SCOPE_HOST.</summary>
    Host = 254,

    /// <summary>RT_SCOPE_NOWHERE.</summary>
    Nowhere = 255,
}

/// <summary>Well-known route protocols (<c>RTPROT_*</c>); any other byte value is a valid owner mark.</summary>
public static class RouteProtocol
{
    /// <summary>RTPROT_UNSPEC.</summary>
    public const byte Unspecified = 0;

    /// <summary>RTPROT_REDIRECT.</summary>
    public const byte Redirect = 1;

    /// <summary>RTPROT_KERNEL.</summary>
    public const byte Kernel = 2;

    /// <summary>RTPROT_BOOT (iproute2's and vishvananda/netlink's default).</summary>
    public const byte Boot = 3;

    /// <summary>RTPROT_STATIC.</summary>
    public const byte Static = 4;
}

/// <summary>Well-known routing tables (<c>RT_TABLE_*</c>).</summary>
public static class RouteTable
{
    /// <summary>RT_TABLE_UNSPEC.</summary>
    public const uint Unspecified = 0;

    /// <summary>RT_TABLE_DEFAULT.</summary>
    public const uint Default = 253;

    /// <summary>RT_TABLE_MAIN.</summary>
    public const uint Main = 254;

    /// <summary>RT_TABLE_LOCAL.</summary>
    public const uint Local = 255;
}

/// <summary>Route flags (<c>rtm_flags</c>: <c>RTNH_F_*</c> and <c>RTM_F_*</c>).</summary>
[Flags]
public enum RouteFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>RTNH_F_DEAD.</summary>
    Dead = 0x1,

    /// <summary>RTNH_F_PERVASIVE.</summary>
    Pervasive = 0x2,

    /// <summary>RTNH_F_ONLINK: the gateway is on the link even if no prefix says so.</summary>
    OnLink = 0x4,

    /// <summary>RTNH_F_LINKDOWN.</summary>
    LinkDown = 0x10,

    /// <summary>RTM_F_NOTIFY.</summary>
    Notify = 0x100,

    /// <summary>RTM_F_CLONED.</summary>
    Cloned = 0x200,

    /// <summary>RTM_F_LOOKUP_TABLE (get-route: return the table the route was found in).</summary>
    LookupTable = 0x1000,
}

/// <summary>Neighbour states (<c>NUD_*</c>).</summary>
[Flags]
public enum NeighborState : ushort
{
    /// <summary>NUD_NONE.</summary>
    None = 0,

    /// <summary>NUD_INCOMPLETE.</summary>
    Incomplete = 0x01,

    /// <summary>NUD_REACHABLE.</summary>
    Reachable = 0x02,

    /// <summary>NUD_STALE.</summary>
    Stale = 0x04,

    /// <summary>NUD_DELAY.</summary>
    Delay = 0x08,

    /// <summary>NUD_PROBE.</summary>
    Probe = 0x10,

    /// <summary>NUD_FAILED.</summary>
    Failed = 0x20,

    /// <summary>NUD_NOARP.</summary>
    NoArp = 0x40,

    /// <summary>NUD_PERMANENT.</summary>
    Permanent = 0x80,
}

/// <summary>Neighbour flags (<c>NTF_*</c>).</summary>
[Flags]
public enum NeighborFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>NTF_USE.</summary>
    Use = 0x01,

    /// <summary>NTF_SELF: the entry belongs to the device itself (e.g. the vxlan FDB).</summary>
    Self = 0x02,

    /// <summary>NTF_MASTER: the entry belongs to the master (bridge).</summary>
    Master = 0x04,

    /// <summary>NTF_PROXY.</summary>
    Proxy = 0x08,

    /// <summary>NTF_EXT_LEARNED.</summary>
    ExternallyLearned = 0x10,

    /// <summary>NTF_OFFLOADED.</summary>
    Offloaded = 0x20,

    /// <summary>NTF_STICKY.</summary>
    Sticky = 0x40,

    /// <summary>NTF_ROUTER.</summary>
    Router = 0x80,
}

/// <summary>Address flags (<c>IFA_F_*</c>).</summary>
[Flags]
public enum AddressFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>IFA_F_SECONDARY.</summary>
    Secondary = 0x01,

    /// <summary>IFA_F_NODAD: skip duplicate address detection (IPv6).</summary>
    NoDad = 0x02,

    /// <summary>IFA_F_OPTIMISTIC.</summary>
    Optimistic = 0x04,

    /// <summary>IFA_F_DADFAILED.</summary>
    DadFailed = 0x08,

    /// <summary>IFA_F_HOMEADDRESS.</summary>
    HomeAddress = 0x10,

    /// <summary>IFA_F_DEPRECATED.</summary>
    Deprecated = 0x20,

    /// <summary>IFA_F_TENTATIVE.</summary>
    Tentative = 0x40,

    /// <summary>IFA_F_PERMANENT.</summary>
    Permanent = 0x80,

    /// <summary>IFA_F_MANAGETEMPADDR.</summary>
    ManageTemporaryAddress = 0x100,

    /// <summary>IFA_F_NOPREFIXROUTE: do not add the prefix route.</summary>
    NoPrefixRoute = 0x200,
}

/// <summary>Interface flags (<c>IFF_*</c>, the low bits that matter here).</summary>
[Flags]
public enum InterfaceFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>IFF_UP: administratively up.</summary>
    Up = 0x1,

    /// <summary>IFF_BROADCAST.</summary>
    Broadcast = 0x2,

    /// <summary>IFF_LOOPBACK.</summary>
    Loopback = 0x8,

    /// <summary>IFF_POINTOPOINT.</summary>
    PointToPoint = 0x10,

    /// <summary>IFF_NOARP.</summary>
    NoArp = 0x80,

    /// <summary>IFF_PROMISC.</summary>
    Promiscuous = 0x100,

    /// <summary>IFF_MULTICAST.</summary>
    Multicast = 0x1000,

    /// <summary>IFF_LOWER_UP: the carrier is up.</summary>
    LowerUp = 0x10000,
}

/// <summary>rtnetlink multicast groups for notifications.</summary>
[Flags]
public enum NetlinkGroups
{
    /// <summary>No group.</summary>
    None = 0,

    /// <summary>RTNLGRP_LINK.</summary>
    Link = 1 << 0,

    /// <summary>RTNLGRP_NEIGH (neighbours and bridge/vxlan FDB entries).</summary>
    Neighbor = 1 << 1,

    /// <summary>RTNLGRP_IPV4_IFADDR.</summary>
    IPv4Address = 1 << 2,

    /// <summary>RTNLGRP_IPV4_ROUTE.</summary>
    IPv4Route = 1 << 3,

    /// <summary>RTNLGRP_IPV6_IFADDR.</summary>
    IPv6Address = 1 << 4,

    /// <summary>RTNLGRP_IPV6_ROUTE.</summary>
    IPv6Route = 1 << 5,

    /// <summary>All addresses.</summary>
    Address = IPv4Address | IPv6Address,

    /// <summary>All routes.</summary>
    Route = IPv4Route | IPv6Route,

    /// <summary>Everything above.</summary>
    All = Link | Neighbor | Address | Route,
}
