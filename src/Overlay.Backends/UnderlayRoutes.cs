using System.Net;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends;

/// <summary>
/// Underlay route decisions shared by the backends that route to peers directly (host-gw, vxlan and
/// ipip DirectRouting) and the ownership rule of overlay routes, so every backend decides the same
/// way and says so in the same words.
/// </summary>
public static class UnderlayRoutes
{
    /// <summary>
    /// flannel's on-link test: asks the kernel for its route to <paramref name="address"/>
    /// (<c>RTM_GETROUTE</c>); the address is on-link when there is exactly one route, it has no gateway,
    /// and (when <paramref name="requiredInterface"/> is given) it leaves through that interface.
    /// A failed lookup is a <see cref="OnLinkVerdict.NoRoute"/> with the kernel's error in the reason.
    /// </summary>
    /// <param name="lookup">The route lookup, normally <see cref="NetlinkClient.RouteGetAsync"/> of the node's client
    /// (a function so that planners can be unit-tested without a kernel).</param>
    /// <param name="address">The peer's underlay address.</param>
    /// <param name="requiredInterface">The interface index the route must use, or null for any.</param>
    /// <param name="interfaceName">Names interface indexes in the reason; null prints <c>index N</c>.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The verdict with its reason.</returns>
    public static async ValueTask<OnLinkResult> CheckOnLinkAsync(
        Func<IPAddress, CancellationToken, ValueTask<IReadOnlyList<Route>>> lookup,
        IPAddress address,
        int? requiredInterface = null,
        Func<int, string?>? interfaceName = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        ArgumentNullException.ThrowIfNull(address);
        IReadOnlyList<Route> found;
        try
        {
            found = await lookup(address, cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException ex)
        {
            return new(OnLinkVerdict.NoRoute, address, null, $"no route to {address} ({ex.Message})");
        }

        return Evaluate(address, found, requiredInterface, interfaceName);
    }

    /// <summary>The on-link verdict for routes already looked up (see <see cref="CheckOnLinkAsync"/>).</summary>
    /// <param name="address">The address that was looked up.</param>
    /// <param name="found">The kernel's answer.</param>
    /// <param name="requiredInterface">The interface index the route must use, or null for any.</param>
    /// <param name="interfaceName">Names interface indexes in the reason.</param>
    /// <returns>The verdict with its reason.</returns>
    public static OnLinkResult Evaluate(IPAddress address, IReadOnlyList<Route> found, int? requiredInterface = null, Func<int, string?>? interfaceName = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(found);
        if (found.Count == 0)
        {
            return new(OnLinkVerdict.NoRoute, address, null, $"no route to {address}");
        }

        Route route = found[0];
        if (route.Gateway is { } via)
        {
            return new(OnLinkVerdict.ViaRouter, address, route, $"{address} is not on-link: reached via router {via}");
        }

        if (found.Count > 1)
        {
            return new(OnLinkVerdict.Multipath, address, route, $"{address} has {found.Count} routes (multipath), not one on-link route");
        }

        string device = route.OutputInterface is int oif ? Name(oif) : "?";
        if (requiredInterface is int required && route.OutputInterface != required)
        {
            return new(OnLinkVerdict.OtherInterface, address, route, $"{address} is on-link via {device}, not via {Name(required)}");
        }

        return new(OnLinkVerdict.OnLink, address, route, $"{address} is on-link via {device}");

        string Name(int index) => interfaceName?.Invoke(index) ?? $"index {index}";
    }

    /// <summary>
    /// The ownership rule for per-peer routes that backends reconcile (use it as the owner predicate
    /// of a <see cref="Reconcile.RouteObjectKind"/>): a route in the main table is ours when it carries
    /// our <paramref name="protocol"/>, or — a predecessor's (flanneld's) route, adopted or removed at
    /// start — when it is a unicast route with a gateway, into the overlay network(s) of
    /// <paramref name="config"/>, through one of <paramref name="predecessorDevices"/>. Anything else
    /// (a person's route, another daemon's, the blackhole route) is never touched.
    /// </summary>
    /// <param name="config">The network configuration (its IPv4 and IPv6 networks).</param>
    /// <param name="protocol">Our route protocol (<see cref="ReconcileOptions.RouteProtocol"/>).</param>
    /// <param name="predecessorDevices">The interface indexes a predecessor's routes go through (evaluated on
    /// every call, so devices created or re-created later count).</param>
    /// <returns>The predicate.</returns>
    public static Func<Route, bool> OwnedRoutes(NetworkConfig config, byte protocol, Func<IReadOnlyCollection<int>> predecessorDevices)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(predecessorDevices);
        return route =>
            route.Table == RouteTable.Main
            && (route.Protocol == protocol
                || (route.Gateway is not null
                    && (route.Type ?? RouteType.Unicast) == RouteType.Unicast
                    && route.OutputInterface is int oif && predecessorDevices().Contains(oif)
                    && IsInOverlay(config, route.Destination)));
    }

    /// <summary>True when <paramref name="destination"/> lies inside the configuration's IPv4 or IPv6 network.</summary>
    /// <param name="config">The network configuration.</param>
    /// <param name="destination">A route destination.</param>
    /// <returns>Whether it is an overlay destination.</returns>
    public static bool IsInOverlay(NetworkConfig config, IPNetwork? destination)
    {
        ArgumentNullException.ThrowIfNull(config);
        return destination is { } d
            && ((config.Network is { } n4 && n4.Contains(d.BaseAddress)) || (config.IPv6Network is { } n6 && n6.Contains(d.BaseAddress)));
    }
}
