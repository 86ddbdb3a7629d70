using System.Net;
using System.Net.Sockets;

namespace Overlay.Netlink;

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
