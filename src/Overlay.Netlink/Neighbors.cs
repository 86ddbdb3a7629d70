using System.Net;
using System.Net.Sockets;

namespace Overlay.Netlink;

/// <summary>A neighbour (ARP/NDP) entry: IP address → link-layer address on an interface.</summary>
public sealed record Neighbor
{
    /// <summary>The interface index.</summary>
    public required int InterfaceIndex { get; init; }

    /// <summary>The IP address (NDA_DST).</summary>
    public required IPAddress Address { get; init; }

    /// <summary>The link-layer address (NDA_LLADDR).</summary>
    public MacAddress? LinkLayerAddress { get; init; }

    /// <summary>The state (default permanent).</summary>
    public NeighborState State { get; init; } = NeighborState.Permanent;

    /// <summary>Flags (NTF_*).</summary>
    public NeighborFlags Flags { get; init; }

    /// <summary>NDA_PROTOCOL owner mark (kernel 5.2 and later), or null not to send one.</summary>
    public byte? Protocol { get; init; }

    /// <summary>ndm_type (RTN_*); 0 as iproute2 sends.</summary>
    public byte Type { get; init; }

    /// <summary>The address family.</summary>
    public AddressFamily Family => Address.AddressFamily;
}

/// <summary>A bridge forwarding database entry (AF_BRIDGE neighbour), e.g. a VXLAN device's MAC → remote VTEP.</summary>
public sealed record FdbEntry
{
    /// <summary>The device (e.g. the vxlan device) the entry belongs to.</summary>
    public required int InterfaceIndex { get; init; }

    /// <summary>The MAC address (NDA_LLADDR).</summary>
    public required MacAddress MacAddress { get; init; }

    /// <summary>The remote VTEP (NDA_DST).</summary>
    public IPAddress? Destination { get; init; }

    /// <summary>The state (default permanent).</summary>
    public NeighborState State { get; init; } = NeighborState.Permanent;

    /// <summary>Flags (default NTF_SELF: the vxlan device's own table).</summary>
    public NeighborFlags Flags { get; init; } = NeighborFlags.Self;

    /// <summary>NDA_VNI.</summary>
    public uint? Vni { get; init; }

    /// <summary>NDA_PORT (UDP port, sent big-endian).</summary>
    public ushort? Port { get; init; }

    /// <summary>NDA_MASTER (read back for bridge ports).</summary>
    public int? MasterIndex { get; init; }
}
