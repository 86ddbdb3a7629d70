using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Overlay.Backends.Reconcile;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.HostGw;

/// <summary>
/// flannel's host-gw backend: no device; for every peer a route to its subnet via
/// its public address on the external interface, IPv4 and IPv6. Every node must be on one L2
/// segment. Unlike flanneld, a peer whose address is not on-link is reported
/// <see cref="PeerMode.Unreachable"/> with the reason and re-evaluated when routes, links or
/// addresses change, and routes deleted or altered behind our back are restored from notifications.
/// </summary>
public sealed partial class HostGwBackend : IOverlayBackend
{
    /// <inheritdoc />
    public string Type => HostGwBackendConfig.TypeName;

    /// <inheritdoc />
    public async ValueTask<IOverlayNetwork> RegisterNetworkAsync(NetworkRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        registration.Validate();
        HostGwBackendConfig.Parse(registration.Config.Backend);
        NetworkConfig config = registration.Config;
        ExternalInterface external = registration.ExternalInterface;
        if (config.EnableIPv4 && (external.PublicIP is null || !external.PublicIP.Equals(external.Address)))
        {
            throw NetworkRegistrationException.Permanent(Type, $"host-gw needs the interface address as the public address (the node is probably behind NAT): interface {external.Address?.ToString() ?? "none"}, public {external.PublicIP?.ToString() ?? "none"}.");
        }

        if (config.EnableIPv6 && (external.PublicIPv6 is null || !external.PublicIPv6.Equals(external.IPv6Address)))
        {
            throw NetworkRegistrationException.Permanent(Type, $"host-gw needs the interface IPv6 address as the public IPv6 address: interface {external.IPv6Address?.ToString() ?? "none"}, public {external.PublicIPv6?.ToString() ?? "none"}.");
        }

        Lease lease = await registration.Registry.AcquireLeaseAsync(registration.CreateLeaseRequest(registration.CreateLeaseAttributes(Type)), cancellationToken).ConfigureAwait(false);
        NetlinkClient netlink = registration.OpenNetlinkClient();
        ILogger logger = registration.LoggerFactory.CreateLogger<HostGwBackend>();
        LogRegistered(logger, lease.Key, external.Name, external.Mtu);
        return new HostGwNetwork(registration, lease, netlink, logger);
    }

    [LoggerMessage(EventId = HostGwEventIds.NetworkRegistered, Level = LogLevel.Information,
        Message = "host-gw network registered: lease {Lease}, routes via {Interface}, MTU {Mtu}")]
    private static partial void LogRegistered(ILogger logger, string lease, string @interface, int mtu);
}

/// <summary>The host-gw network: one route per peer and family.</summary>
internal sealed class HostGwNetwork : ReconcilingNetwork
{
    private readonly RouteObjectKind _routes;
    private readonly ExternalInterface _external;
    private readonly NetworkConfig _config;
    private readonly byte _protocol;

    public HostGwNetwork(NetworkRegistration registration, Lease lease, NetlinkClient netlink, ILogger logger)
        : this(registration, lease, netlink, logger, CreateRouteKind(registration, netlink))
    {
    }

    private HostGwNetwork(NetworkRegistration registration, Lease lease, NetlinkClient netlink, ILogger logger, RouteObjectKind routes)
        : base(HostGwBackendConfig.TypeName, registration, lease, registration.ExternalInterface.Mtu, netlink, [routes],
            NetlinkGroups.Route | NetlinkGroups.Link | NetlinkGroups.Address, logger)
    {
        _routes = routes;
        _external = registration.ExternalInterface;
        _config = registration.Config;
        _protocol = registration.Reconcile.RouteProtocol;
    }

    private static RouteObjectKind CreateRouteKind(NetworkRegistration registration, NetlinkClient netlink)
    {
        int device = registration.ExternalInterface.Index;
        // A predecessor's (flanneld's) host-gw routes go through the external interface.
        return new RouteObjectKind(netlink, UnderlayRoutes.OwnedRoutes(registration.Config, registration.Reconcile.RouteProtocol, () => [device]));
    }

    protected override async ValueTask<PeerPlan> PlanAsync(Lease peer, CancellationToken cancellationToken)
    {
        if (!string.Equals(peer.Attributes.BackendType, HostGwBackendConfig.TypeName, StringComparison.Ordinal))
        {
            return PeerPlan.Unreachable(peer, $"the peer uses backend '{peer.Attributes.BackendType}', not host-gw");
        }

        var objects = new List<DesiredObject>();
        var reasons = new List<string>();
        if (_config.EnableIPv4 && peer.Subnet is { } subnet)
        {
            await PlanFamilyAsync(subnet, peer.Attributes.PublicIP, objects, reasons, cancellationToken).ConfigureAwait(false);
        }

        if (_config.EnableIPv6 && peer.IPv6Subnet is { } subnet6)
        {
            await PlanFamilyAsync(subnet6, peer.Attributes.PublicIPv6, objects, reasons, cancellationToken).ConfigureAwait(false);
        }

        if (objects.Count == 0)
        {
            return PeerPlan.Unreachable(peer, reasons.Count == 0 ? "the lease has no subnet of an enabled family" : string.Join("; ", reasons));
        }

        string reason = reasons.Count == 0 ? $"on the same link ({_external.Name})" : $"on the same link ({_external.Name}); " + string.Join("; ", reasons);
        return new PeerPlan(peer, PeerMode.Direct, reason, [.. objects]);
    }

    private async ValueTask PlanFamilyAsync(IPNetwork subnet, IPAddress? gateway, List<DesiredObject> objects, List<string> reasons, CancellationToken cancellationToken)
    {
        string family = subnet.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
        if (gateway is null)
        {
            reasons.Add($"{family}: the peer publishes no {family} address");
            return;
        }

        OnLinkResult onLink = await UnderlayRoutes.CheckOnLinkAsync(Netlink.RouteGetAsync, gateway, _external.Index, InterfaceName, cancellationToken).ConfigureAwait(false);
        if (!onLink.IsOnLink)
        {
            reasons.Add(onLink.Verdict == OnLinkVerdict.ViaRouter
                ? $"{family}: {onLink.Reason}; host-gw needs all nodes on one L2 segment (vxlan with DirectRouting handles routed peers)"
                : $"{family}: {onLink.Reason}");
            return;
        }

        objects.Add(new DesiredObject(_routes, new Route
        {
            Destination = subnet,
            Gateway = gateway,
            OutputInterface = _external.Index,
            Protocol = _protocol,
            Table = RouteTable.Main,
        }));
    }

    private string? InterfaceName(int index) => index == _external.Index ? _external.Name : null;

    protected override (IKernelObjectKind Kind, object Item)? RepairTarget(NetlinkNotification notification) =>
        notification is RouteNotification { Route: { } route } && route.Protocol == _protocol ? (_routes, route) : null;

    /// <summary>A change of another route (not ours) may change which peers are on-link.</summary>
    protected override bool ReplansOnUnderlayRouteChange => true;
}
