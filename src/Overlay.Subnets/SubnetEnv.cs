using System.Net;

namespace Overlay.Subnets;

/// <summary>The values flannel writes to <c>subnet.env</c> for the CNI flannel plugin and Docker scripts.</summary>
public sealed record SubnetEnv
{
    /// <summary>The whole IPv4 overlay network (<c>FLANNEL_NETWORK</c>); omitted when absent.</summary>
    public IPNetwork? Network { get; init; }

    /// <summary>The node's IPv4 lease subnet; written as its first host address with the prefix
    /// (<c>FLANNEL_SUBNET=10.5.52.1/24</c> for 10.5.52.0/24).</summary>
    public IPNetwork? Subnet { get; init; }

    /// <summary>The whole IPv6 overlay network (<c>FLANNEL_IPV6_NETWORK</c>).</summary>
    public IPNetwork? IPv6Network { get; init; }

    /// <summary>The node's IPv6 lease subnet (<c>FLANNEL_IPV6_SUBNET</c>, first host address).</summary>
    public IPNetwork? IPv6Subnet { get; init; }

    /// <summary>The MTU pods should use (<c>FLANNEL_MTU</c>).</summary>
    public int Mtu { get; init; }

    /// <summary>Whether the agent masquerades (<c>FLANNEL_IPMASQ</c>).</summary>
    public bool IPMasq { get; init; }
}
