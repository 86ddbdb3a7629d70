using System.Net;
using System.Net.Sockets;

namespace Overlay.Netlink;

/// <summary>An IP address on an interface (RTM_NEWADDR).</summary>
public sealed record LinkAddress
{
    /// <summary>The interface index.</summary>
    public required int InterfaceIndex { get; init; }

    /// <summary>The local address (IFA_LOCAL).</summary>
    public required IPAddress Address { get; init; }

    /// <summary>The prefix length.</summary>
    public required byte PrefixLength { get; init; }

    /// <summary>The scope; null = universe when adding.</summary>
    public RouteScope? Scope { get; init; }

    /// <summary>Flags (IFA_F_*); <see cref="AddressFlags.NoDad"/> matters for IPv6 in tests.</summary>
    public AddressFlags Flags { get; init; }

    /// <summary>The peer address of a point-to-point link (IFA_ADDRESS when it differs from the local one).</summary>
    public IPAddress? Peer { get; init; }

    /// <summary>IFA_BROADCAST (IPv4).</summary>
    public IPAddress? Broadcast { get; init; }

    /// <summary>IFA_LABEL (IPv4).</summary>
    public string? Label { get; init; }

    /// <summary>The address family.</summary>
    public AddressFamily Family => Address.AddressFamily;

    /// <summary>The address as a prefix (host bits kept).</summary>
    /// <returns>"address/prefix" text.</returns>
    public override string ToString() => $"{Address}/{PrefixLength} dev {InterfaceIndex}";
}
