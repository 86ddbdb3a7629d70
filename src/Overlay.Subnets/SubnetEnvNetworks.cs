using System.Net;

namespace Overlay.Subnets;

/// <summary>Every valid network recorded in a subnet file, per variable.</summary>
/// <param name="Networks"><c>FLANNEL_NETWORK</c>.</param>
/// <param name="Subnets"><c>FLANNEL_SUBNET</c> (masked to the network).</param>
/// <param name="IPv6Networks"><c>FLANNEL_IPV6_NETWORK</c>.</param>
/// <param name="IPv6Subnets"><c>FLANNEL_IPV6_SUBNET</c> (masked).</param>
public sealed record SubnetEnvNetworks(
    IReadOnlyList<IPNetwork> Networks,
    IReadOnlyList<IPNetwork> Subnets,
    IReadOnlyList<IPNetwork> IPv6Networks,
    IReadOnlyList<IPNetwork> IPv6Subnets);
