using System.Net;
using System.Net.Sockets;
using Overlay.Netlink;

namespace Overlay.Backends.Reconcile;

/// <summary>
/// Routes as a <see cref="KernelObjectKind{T}"/>: installed with replace and deleted through the
/// netlink bulk API; the owned set is chosen by a predicate (routes carrying our protocol, and
/// whatever else the backend adopts).
/// </summary>
public sealed class RouteObjectKind : KernelObjectKind<Route>
{
    private readonly NetlinkClient _netlink;
    private readonly Func<Route, bool> _isOwned;
    private readonly AddressFamily[] _families;

    /// <summary>Creates the adapter.</summary>
    /// <param name="netlink">The node's netlink client.</param>
    /// <param name="isOwned">Which kernel routes are ours (to keep or to remove).</param>
    /// <param name="families">The families to list.</param>
    public RouteObjectKind(NetlinkClient netlink, Func<Route, bool> isOwned, params AddressFamily[] families)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        ArgumentNullException.ThrowIfNull(isOwned);
        _netlink = netlink;
        _isOwned = isOwned;
        _families = families.Length == 0 ? [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6] : families;
    }

    /// <inheritdoc />
    public override string Name => "route";

    /// <summary>The key of a route.</summary>
    public static RouteKey KeyOf(Route route)
    {
        ArgumentNullException.ThrowIfNull(route);
        IPNetwork destination = route.Destination ?? new IPNetwork(route.Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        return new RouteKey(route.Family, route.Table == RouteTable.Unspecified ? RouteTable.Main : route.Table, destination);
    }

    /// <inheritdoc />
    public override object GetKey(Route item) => KeyOf(item);

    /// <inheritdoc />
    public override bool Matches(Route desired, Route actual)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(actual);
        return KeyOf(desired) == KeyOf(actual)
            && Equals(desired.Gateway, actual.Gateway)
            && (desired.OutputInterface is null || desired.OutputInterface == actual.OutputInterface)
            && (desired.Protocol is null || desired.Protocol == actual.Protocol)
            && (desired.Type ?? RouteType.Unicast) == (actual.Type ?? RouteType.Unicast)
            && (desired.Flags & RouteFlags.OnLink) == (actual.Flags & RouteFlags.OnLink)
            && (desired.Mtu is null || desired.Mtu == actual.Mtu)
            && (desired.Scope is null || desired.Scope == actual.Scope);
    }

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<KernelObjectFailure>> InstallAsync(IReadOnlyList<Route> items, CancellationToken cancellationToken)
    {
        NetlinkBulkResult result = await _netlink.RouteBulkAsync(NetlinkBulkOperation.Replace, items, cancellationToken).ConfigureAwait(false);
        return [.. result.Failures.Select(ToFailure)];
    }

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<KernelObjectFailure>> RemoveAsync(IReadOnlyList<Route> items, CancellationToken cancellationToken)
    {
        NetlinkBulkResult result = await _netlink.RouteBulkAsync(NetlinkBulkOperation.Delete, items, cancellationToken).ConfigureAwait(false);
        return [.. result.Failures.Where(f => !NetlinkException.IsNotFoundErrno(f.Errno)).Select(ToFailure)];
    }

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<Route>> ListOwnedAsync(CancellationToken cancellationToken)
    {
        var owned = new List<Route>();
        foreach (AddressFamily family in _families)
        {
            await foreach (Route route in _netlink.RoutesAsync(new RouteFilter { Family = family, Table = null }, cancellationToken).ConfigureAwait(false))
            {
                if (_isOwned(route))
                {
                    owned.Add(route);
                }
            }
        }

        return owned;
    }

    internal static KernelObjectFailure ToFailure(NetlinkBulkFailure failure) =>
        new(failure.Index, failure.ExtendedAckMessage is { Length: > 0 } ack
            ? $"{NetlinkException.ErrnoName(failure.Errno)}: {ack}"
            : NetlinkException.ErrnoName(failure.Errno), failure.Errno);
}
