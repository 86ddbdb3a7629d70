using Overlay.Backends;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Hosting;

/// <summary>What a <see cref="IMasqueradeHook"/> needs.</summary>
/// <param name="Config">The network configuration.</param>
/// <param name="Lease">The node's lease.</param>
/// <param name="ExternalInterface">The external interface.</param>
/// <param name="Previous">The networks and subnets recorded in the subnet file before it was rewritten.</param>
/// <param name="NetlinkOptions">How to reach the node's network namespace.</param>
public sealed record MasqueradeContext(NetworkConfig Config, Lease Lease, ExternalInterface ExternalInterface, SubnetEnvNetworks Previous, NetlinkClientOptions NetlinkOptions);
