using Overlay.Subnets;

namespace Overlay.Hosting;

/// <summary>What the rules are for: the network configuration, the node's lease, what the previous run used, and which rule sets.</summary>
/// <param name="Config">The network configuration (networks, enabled families).</param>
/// <param name="Lease">The node's lease (its pod subnets).</param>
/// <param name="Previous">The previous run's networks and subnets (from subnet.env); iptables mode deletes their rules when they differ.</param>
public sealed record TrafficRulesRequest(NetworkConfig Config, Lease Lease, SubnetEnvNetworks Previous)
{
    /// <summary>Install the masquerade rules (<c>--ip-masq</c>).</summary>
    public bool Masquerade { get; init; }

    /// <summary>Install the forward-accept rules (<c>--iptables-forward-rules</c>).</summary>
    public bool Forward { get; init; }
}
