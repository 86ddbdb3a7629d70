using System.Net;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

public sealed partial class NetlinkClient
{
    /// <summary>Lists routes (RTM_GETROUTE dump), filtered by family, table, destination, protocol and device.</summary>
    /// <param name="filter">The filter (default: main table, both families).</param>
    /// <param name="cancellationToken">Cancels the dump.</param>
    /// <returns>The routes.</returns>
    public IAsyncEnumerable<Route> RoutesAsync(RouteFilter? filter = null, CancellationToken cancellationToken = default)
    {
        filter ??= RouteFilter.Main;
        return Enumerate(
            ct => DumpAsync(
                _route,
                RtmType.GetRoute,
                filter.Family is null ? LinuxAddressFamily.Unspecified : RtnetlinkCodec.FamilyOf(filter.Family.Value),
                RtnetlinkCodec.RtMsgLength,
                m => RtnetlinkCodec.IsIPRoute(m) ? RtnetlinkCodec.DecodeRoute(m) : null,
                r => (filter.Family is null || r.Family == filter.Family)
                    && (filter.Table is null || r.Table == filter.Table)
                    && (filter.Destination is null || r.Destination == filter.Destination)
                    && (filter.Protocol is null || r.Protocol == filter.Protocol)
                    && (filter.OutputInterface is null || r.OutputInterface == filter.OutputInterface),
                "route list",
                ct),
            cancellationToken);
    }

    /// <summary>Asks the kernel which route it would use for <paramref name="destination"/> (RTM_GETROUTE, like <c>ip route get</c>).</summary>
    /// <param name="destination">The address.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The routes returned (normally one).</returns>
    /// <exception cref="NetlinkException">ENETUNREACH when there is no route.</exception>
    public async ValueTask<IReadOnlyList<Route>> RouteGetAsync(IPAddress destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var routes = new List<Route>();
        await ExecuteAsync(
            _route,
            destination,
            static (ref NetlinkMessageWriter w, IPAddress d, uint seq) => RtnetlinkCodec.WriteRouteGet(ref w, d, seq),
            $"route get {destination}",
            m =>
            {
                if (m.Header.Type == RtmType.NewRoute)
                {
                    routes.Add(RtnetlinkCodec.DecodeRoute(m));
                }
            },
            cancellationToken).ConfigureAwait(false);
        return routes;
    }

    /// <summary>Adds a route (fails with EEXIST when present).</summary>
    /// <param name="route">The route.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask RouteAddAsync(Route route, CancellationToken cancellationToken = default) =>
        RouteCoreAsync(NetlinkBulkOperation.Add, route, cancellationToken);

    /// <summary>Adds or replaces a route (NLM_F_CREATE | NLM_F_REPLACE).</summary>
    /// <param name="route">The route.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask RouteReplaceAsync(Route route, CancellationToken cancellationToken = default) =>
        RouteCoreAsync(NetlinkBulkOperation.Replace, route, cancellationToken);

    /// <summary>Appends a route (NLM_F_CREATE | NLM_F_APPEND), e.g. a second one with another metric.</summary>
    /// <param name="route">The route.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask RouteAppendAsync(Route route, CancellationToken cancellationToken = default) =>
        RouteCoreAsync(NetlinkBulkOperation.Append, route, cancellationToken);

    /// <summary>Deletes a route; unset members match any value.</summary>
    /// <param name="route">The route.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>False when no such route existed.</returns>
    public async ValueTask<bool> RouteDeleteAsync(Route route, CancellationToken cancellationToken = default)
    {
        try
        {
            await RouteCoreAsync(NetlinkBulkOperation.Delete, route, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NetlinkException ex) when (IsAbsent(ex))
        {
            return false;
        }
    }

    private ValueTask RouteCoreAsync(NetlinkBulkOperation operation, Route route, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        return ExecuteAsync(
            _route,
            (operation, route),
            static (ref NetlinkMessageWriter w, (NetlinkBulkOperation Op, Route R) s, uint seq) => WriteRoute(ref w, s.Op, s.R, seq),
            $"route {Verb(operation)} {route.DestinationOrDefault}",
            null,
            cancellationToken);
    }

    internal static void WriteRoute(ref NetlinkMessageWriter writer, NetlinkBulkOperation operation, Route route, uint sequence) =>
        RtnetlinkCodec.WriteRoute(ref writer, operation == NetlinkBulkOperation.Delete ? RtmType.DelRoute : RtmType.NewRoute, RtnetlinkCodec.FlagsFor(operation), route, sequence);

    private static string Verb(NetlinkBulkOperation operation) => operation switch
    {
        NetlinkBulkOperation.Add => "add",
        NetlinkBulkOperation.Replace => "replace",
        NetlinkBulkOperation.Append => "append",
        _ => "delete",
    };
}
