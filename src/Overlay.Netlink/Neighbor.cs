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
