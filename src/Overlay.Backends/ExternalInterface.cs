using System.Net;

namespace Overlay.Backends;

/// <summary>The interface peers reach this node through, with its addresses and the addresses the
/// node advertises (flannel's <c>backend.ExternalInterface</c>).</summary>
/// <param name="Name">Interface name.</param>
/// <param name="Index">Interface index.</param>
/// <param name="Mtu">Interface MTU.</param>
public sealed record ExternalInterface(string Name, int Index, int Mtu)
{
    /// <summary>The interface's IPv4 address (flannel's <c>IfaceAddr</c>); null in IPv6-only mode.</summary>
    public IPAddress? Address { get; init; }

    /// <summary>The interface's IPv6 address (<c>IfaceV6Addr</c>); null in IPv4-only mode.</summary>
    public IPAddress? IPv6Address { get; init; }

    /// <summary>The IPv4 address other nodes use (<c>ExtAddr</c>): the public address override or <see cref="Address"/>.</summary>
    public IPAddress? PublicIP { get; init; }

    /// <summary>The IPv6 address other nodes use (<c>ExtV6Addr</c>).</summary>
    public IPAddress? PublicIPv6 { get; init; }

    /// <summary>Describes the interface for logs and tables.</summary>
    public override string ToString() =>
        $"{Name} (index {Index}, MTU {Mtu}, {Address?.ToString() ?? "-"} / {IPv6Address?.ToString() ?? "-"}, public {PublicIP?.ToString() ?? "-"} / {PublicIPv6?.ToString() ?? "-"})";
}
