using System.Net;
using System.Net.Sockets;
using Overlay.Backends.Reconcile;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.IPIP.Internal;

/// <summary>
/// Turns a peer's lease into its desired objects (flannel's RouteNetwork for ipip, as a value): with DirectRouting
/// and a peer the kernel's route lookup finds on-link, a plain route via the peer's public address on that interface
/// (no <c>onlink</c> flag: the lookup has just shown the gateway is on-link, and without the flag the kernel checks
/// it again, so a stale decision fails loudly instead of black-holing); otherwise the route
/// <c>&lt;peer subnet&gt; via &lt;peer public IP&gt; dev flannel.ipip onlink</c> and, in user space, the engine's
/// peer-table entry (installed first). Pure apart from the route lookup, so it is unit-tested.
/// </summary>
internal sealed class IPIPPlanner(
    bool directRouting,
    bool userSpace,
    byte protocol,
    IKernelObjectKind routes,
    IKernelObjectKind? peers,
    Func<int> deviceIndex,
    Func<IPAddress, CancellationToken, ValueTask<IReadOnlyList<Route>>> routeGet,
    Func<int, string?>? interfaceName = null)
{
    public async ValueTask<PeerPlan> PlanAsync(Lease peer, CancellationToken cancellationToken)
    {
        if (!string.Equals(peer.Attributes.BackendType, IPIPBackendConfig.TypeName, StringComparison.Ordinal))
        {
            return PeerPlan.Unreachable(peer, $"the peer uses backend '{peer.Attributes.BackendType}', not ipip");
        }

        if (peer.Subnet is not { } subnet)
        {
            return PeerPlan.Unreachable(peer, "the lease has no IPv4 subnet (ipip carries IPv4 only)");
        }

        if (peer.Attributes.PublicIP is not { } publicIP)
        {
            return PeerPlan.Unreachable(peer, "the peer publishes no IPv4 address");
        }

        string how;
        if (directRouting)
        {
            OnLinkResult onLink = await UnderlayRoutes.CheckOnLinkAsync(routeGet, publicIP, interfaceName: interfaceName, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (onLink is { IsOnLink: true, Route: { } direct })
            {
                // In user space the peer keeps its table entry: the peer may see this node as routed (its own underlay
                // differs) and send encapsulated, which the engine must accept as the kernel's ipip device would.
                var directObjects = new List<DesiredObject>(2);
                if (userSpace && peers is not null)
                {
                    directObjects.Add(new DesiredObject(peers, new IPIPPeerEntry(subnet, publicIP)));
                }

                directObjects.Add(new DesiredObject(routes, new Route
                {
                    Destination = subnet,
                    Gateway = publicIP,
                    OutputInterface = direct.OutputInterface,
                    Protocol = protocol,
                    Table = RouteTable.Main,
                }));
                return new PeerPlan(peer, PeerMode.Direct, $"direct, {onLink.Reason}", [.. directObjects]);
            }

            how = $"ipip to {publicIP}, {onLink.Reason}";
        }
        else
        {
            how = $"ipip to {publicIP} (DirectRouting off)";
        }

        int index = deviceIndex();
        if (index <= 0)
        {
            return PeerPlan.Unreachable(peer, "the ipip device is missing");
        }

        var objects = new List<DesiredObject>(2);
        if (userSpace && peers is not null)
        {
            objects.Add(new DesiredObject(peers, new IPIPPeerEntry(subnet, publicIP)));
        }

        objects.Add(new DesiredObject(routes, new Route
        {
            Destination = subnet,
            Gateway = publicIP,
            OutputInterface = index,
            Flags = RouteFlags.OnLink,
            Scope = RouteScope.Universe,
            Protocol = protocol,
            Table = RouteTable.Main,
        }));
        return new PeerPlan(peer, PeerMode.IPIP, userSpace ? how + "; user-space data path" : how, [.. objects]);
    }
}
