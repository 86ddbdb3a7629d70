using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Overlay.Backends.Reconcile;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.HostGw;

/// <summary>
/// flannel's host-gw backend (spec backends §3): no device; for every peer a route to its subnet via
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
        registration.Reconcile.Validate();
        HostGwBackendConfig.Parse(registration.Config.Backend);
        NetworkConfig config = registration.Config;
        ExternalInterface external = registration.ExternalInterface;
        if (config.EnableIPv4 && (external.PublicIP is null || !external.PublicIP.Equals(external.Address)))
        {
            throw new InvalidOperationException($"host-gw needs the interface address as the public address (the node is probably behind NAT): interface {external.Address?.ToString() ?? "none"}, public {external.PublicIP?.ToString() ?? "none"}.");
        }

        if (config.EnableIPv6 && (external.PublicIPv6 is null || !external.PublicIPv6.Equals(external.IPv6Address)))
        {
            throw new InvalidOperationException($"host-gw needs the interface IPv6 address as the public IPv6 address: interface {external.IPv6Address?.ToString() ?? "none"}, public {external.PublicIPv6?.ToString() ?? "none"}.");
        }

        var attributes = new LeaseAttributes
        {
            PublicIP = config.EnableIPv4 ? external.PublicIP! : IPAddress.Any,
            PublicIPv6 = config.EnableIPv6 ? external.PublicIPv6 : null,
            BackendType = Type,
        };
        Lease lease = await registration.Registry.AcquireLeaseAsync(registration.CreateLeaseRequest(attributes), cancellationToken).ConfigureAwait(false);
        NetlinkClient netlink = NetlinkClient.Open(registration.NetlinkOptions);
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
        byte protocol = registration.Reconcile.RouteProtocol;
        int device = registration.ExternalInterface.Index;
        NetworkConfig config = registration.Config;
        return new RouteObjectKind(netlink, route =>
            route.Protocol == protocol
            // A predecessor's (flanneld's) host-gw route: a gateway route into the overlay network on our device.
            || (route.OutputInterface == device && route.Gateway is not null && route.Table == RouteTable.Main
                && (route.Type ?? RouteType.Unicast) == RouteType.Unicast && route.Destination is { } d
                && ((config.Network is { } n4 && n4.Contains(d.BaseAddress)) || (config.IPv6Network is { } n6 && n6.Contains(d.BaseAddress)))));
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
            await PlanFamilyAsync(subnet, peer.Attributes.HasPublicIP ? peer.Attributes.PublicIP : null, objects, reasons, cancellationToken).ConfigureAwait(false);
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

        string? problem = await CheckOnLinkAsync(gateway, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            reasons.Add($"{family}: {problem}");
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

    /// <summary>Null when <paramref name="gateway"/> is directly reachable on the external interface,
    /// else why not (host-gw needs one L2 segment).</summary>
    private async ValueTask<string?> CheckOnLinkAsync(IPAddress gateway, CancellationToken cancellationToken)
    {
        IReadOnlyList<Route> routes;
        try
        {
            routes = await Netlink.RouteGetAsync(gateway, cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException ex)
        {
            return $"no route to the peer's address {gateway} ({ex.Message})";
        }

        Route? route = routes.Count > 0 ? routes[0] : null;
        if (route is null)
        {
            return $"no route to the peer's address {gateway}";
        }

        if (route.Gateway is { } via)
        {
            return $"the peer's address {gateway} is not on the same link: it is reached via the router {via}; host-gw needs all nodes on one L2 segment (vxlan with DirectRouting handles routed peers)";
        }

        if (route.OutputInterface != _external.Index)
        {
            return $"the peer's address {gateway} is reached through interface index {route.OutputInterface}, not {_external.Name}";
        }

        return null;
    }

    protected override (IKernelObjectKind Kind, object Item)? RepairTarget(NetlinkNotification notification) =>
        notification is RouteNotification { Route: { } route } && route.Protocol == _protocol ? (_routes, route) : null;

    protected override async ValueTask OnNotificationsAsync(IReadOnlyList<NetlinkNotification> notifications, CancellationToken cancellationToken)
    {
        await base.OnNotificationsAsync(notifications, cancellationToken).ConfigureAwait(false);

        // A change of another route (not ours) may change which peers are on-link.
        if (notifications.Any(n => n is RouteNotification r && r.Route.Protocol != _protocol)
            && !notifications.Any(n => n is LinkNotification or AddressNotification))
        {
            await ReplanAllAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Registration of the host-gw backend.</summary>
public static class HostGwOverlayBuilderExtensions
{
    /// <summary>Adds the host-gw backend (type <c>host-gw</c>).</summary>
    public static IOverlayBuilder AddHostGwBackend(this IOverlayBuilder builder) => builder.AddBackend<HostGwBackend>();
}
