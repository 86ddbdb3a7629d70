using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Overlay.Backends.Reconcile;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.Vxlan.Internal;

/// <summary>The device of one family as the planner sees it.</summary>
internal readonly record struct PlannerDevice(int Index, string Name);

/// <summary>
/// Turns a peer's lease into its desired kernel objects (flannel's <c>handleSubnetEvents</c> as a
/// value): per enabled family either a direct route via the peer's public address (DirectRouting,
/// when the kernel's route lookup says the address is on-link) or, in installation order, the
/// neighbour entry (peer VTEP IP → VtepMAC), the FDB entry (VtepMAC → peer public address) and the
/// onlink route (peer subnet via peer VTEP IP). Pure apart from the route lookup, so it is unit-tested.
/// </summary>
internal sealed class VxlanPlanner(
    VxlanSettings settings,
    NetworkConfig config,
    byte protocol,
    IKernelObjectKind neighbors,
    IKernelObjectKind fdb,
    IKernelObjectKind routes,
    Func<AddressFamily, PlannerDevice?> devices,
    Func<IPAddress, CancellationToken, ValueTask<IReadOnlyList<Route>>> routeGet,
    Func<int, string?>? interfaceName = null)
{
    public async ValueTask<PeerPlan> PlanAsync(Lease peer, CancellationToken cancellationToken)
    {
        if (!string.Equals(peer.Attributes.BackendType, VxlanBackendConfig.TypeName, StringComparison.Ordinal))
        {
            return PeerPlan.Unreachable(peer, $"the peer uses backend '{peer.Attributes.BackendType}', not vxlan");
        }

        var objects = new List<DesiredObject>();
        var reasons = new List<string>();
        bool encapsulated = false;
        if (config.EnableIPv4 && peer.Subnet is { } subnet)
        {
            encapsulated |= await PlanFamilyAsync(AddressFamily.InterNetwork, subnet, peer.Attributes.PublicIP,
                peer.Attributes.BackendData, objects, reasons, cancellationToken).ConfigureAwait(false);
        }

        if (config.EnableIPv6 && peer.IPv6Subnet is { } subnet6)
        {
            encapsulated |= await PlanFamilyAsync(AddressFamily.InterNetworkV6, subnet6, peer.Attributes.PublicIPv6,
                peer.Attributes.BackendV6Data, objects, reasons, cancellationToken).ConfigureAwait(false);
        }

        string reason = reasons.Count == 0 ? "the lease has no subnet of an enabled family" : string.Join("; ", reasons);
        if (objects.Count == 0)
        {
            return PeerPlan.Unreachable(peer, reason);
        }

        return new PeerPlan(peer, encapsulated ? PeerMode.Vxlan : PeerMode.Direct, reason, [.. objects]);
    }

    /// <summary>Plans one family; returns true when it is encapsulated.</summary>
    private async ValueTask<bool> PlanFamilyAsync(AddressFamily family, IPNetwork subnet, IPAddress? publicAddress, System.Text.Json.JsonElement? data,
        List<DesiredObject> objects, List<string> reasons, CancellationToken cancellationToken)
    {
        string name = family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
        if (publicAddress is null)
        {
            reasons.Add($"{name}: the peer publishes no {name} address");
            return false;
        }

        if (!VxlanLeaseData.TryParse(data, out VxlanLeaseData vtep, out string? error))
        {
            reasons.Add($"{name}: {(family == AddressFamily.InterNetwork ? "BackendData" : "BackendV6Data")} unusable ({error})");
            return false;
        }

        string vniNote = vtep.Vni != settings.Vni && vtep.Vni != 0
            ? string.Create(CultureInfo.InvariantCulture, $" (warning: the peer publishes VNI {vtep.Vni}, this node uses {settings.Vni}; its traffic will not be accepted)")
            : string.Empty;

        if (settings.DirectRouting)
        {
            OnLinkResult onLink = await UnderlayRoutes.CheckOnLinkAsync(routeGet, publicAddress, interfaceName: interfaceName, cancellationToken: cancellationToken).ConfigureAwait(false);
            string why = onLink.Reason;
            if (onLink is { IsOnLink: true, Route: { } direct })
            {
                objects.Add(new DesiredObject(routes, new Route
                {
                    Destination = subnet,
                    Gateway = publicAddress,
                    OutputInterface = direct.OutputInterface,
                    Protocol = protocol,
                    Table = RouteTable.Main,
                }));
                reasons.Add($"{name}: direct, {why}");
                return false;
            }

            reasons.Add($"{name}: vxlan to {publicAddress}, {why}{vniNote}");
        }
        else
        {
            reasons.Add($"{name}: vxlan to {publicAddress} (DirectRouting off){vniNote}");
        }

        if (devices(family) is not { } device)
        {
            reasons[^1] = $"{name}: the {name} vxlan device is missing";
            return false;
        }

        IPAddress vtepIp = subnet.BaseAddress;
        objects.Add(new DesiredObject(neighbors, new Neighbor
        {
            InterfaceIndex = device.Index,
            Address = vtepIp,
            LinkLayerAddress = vtep.VtepMac,
            State = NeighborState.Permanent,
            Protocol = protocol,
        }));
        objects.Add(new DesiredObject(fdb, new FdbEntry
        {
            InterfaceIndex = device.Index,
            MacAddress = vtep.VtepMac,
            Destination = publicAddress,
            State = NeighborState.Permanent,
            Flags = NeighborFlags.Self,
        }));
        objects.Add(new DesiredObject(routes, new Route
        {
            Destination = subnet,
            Gateway = vtepIp,
            OutputInterface = device.Index,
            Flags = RouteFlags.OnLink,
            Scope = RouteScope.Universe,
            Protocol = protocol,
            Table = RouteTable.Main,
        }));
        return true;
    }

}
