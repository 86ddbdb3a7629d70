using Overlay.Netlink;

namespace Overlay.Backends.Reconcile;

/// <summary>
/// Permanent neighbour (ARP/NDP) entries as a <see cref="KernelObjectKind{T}"/>, for example vxlan's
/// "peer VTEP IP → peer VTEP MAC" entries: installed with replace and deleted through the netlink bulk
/// API. The owned set is every permanent entry on the devices <c>interfaces</c> returns (the devices
/// are the backend's own, so whatever permanent entry sits on them is ours to keep or remove),
/// narrowed by an optional predicate. An entry whose device is gone counts as removed.
/// </summary>
public sealed class NeighborObjectKind : KernelObjectKind<Neighbor>
{
    private readonly NetlinkClient _netlink;
    private readonly Func<IReadOnlyCollection<int>> _interfaces;
    private readonly Func<Neighbor, bool>? _isOwned;

    /// <summary>Creates the adapter.</summary>
    /// <param name="netlink">The node's netlink client.</param>
    /// <param name="interfaces">The current indexes of the devices whose entries are ours (re-read at every listing, so re-created devices are followed).</param>
    /// <param name="isOwned">Narrows the owned set; null: every permanent entry on those devices.</param>
    public NeighborObjectKind(NetlinkClient netlink, Func<IReadOnlyCollection<int>> interfaces, Func<Neighbor, bool>? isOwned = null)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        ArgumentNullException.ThrowIfNull(interfaces);
        _netlink = netlink;
        _interfaces = interfaces;
        _isOwned = isOwned;
    }

    /// <inheritdoc />
    public override string Name => "neighbour";

    /// <summary>The key of an entry.</summary>
    public static NeighborKey KeyOf(Neighbor neighbor)
    {
        ArgumentNullException.ThrowIfNull(neighbor);
        return new NeighborKey(neighbor.Family, neighbor.InterfaceIndex, neighbor.Address);
    }

    /// <inheritdoc />
    public override object GetKey(Neighbor item) => KeyOf(item);

    /// <inheritdoc />
    public override bool Matches(Neighbor desired, Neighbor actual)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(actual);
        return KeyOf(desired) == KeyOf(actual)
            && Nullable.Equals(desired.LinkLayerAddress, actual.LinkLayerAddress)
            && (actual.State & desired.State) == desired.State;
    }

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<KernelObjectFailure>> InstallAsync(IReadOnlyList<Neighbor> items, CancellationToken cancellationToken)
    {
        NetlinkBulkResult result = await _netlink.NeighborBulkAsync(NetlinkBulkOperation.Replace, items, cancellationToken).ConfigureAwait(false);
        return [.. result.Failures.Select(RouteObjectKind.ToFailure)];
    }

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<KernelObjectFailure>> RemoveAsync(IReadOnlyList<Neighbor> items, CancellationToken cancellationToken)
    {
        NetlinkBulkResult result = await _netlink.NeighborBulkAsync(NetlinkBulkOperation.Delete, items, cancellationToken).ConfigureAwait(false);
        return [.. result.Failures.Where(f => !NetlinkException.IsNotFoundErrno(f.Errno)).Select(RouteObjectKind.ToFailure)];
    }

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<Neighbor>> ListOwnedAsync(CancellationToken cancellationToken)
    {
        var owned = new List<Neighbor>();
        foreach (int index in _interfaces())
        {
            try
            {
                await foreach (Neighbor n in _netlink.NeighborsAsync(null, index, cancellationToken).ConfigureAwait(false))
                {
                    if (n.InterfaceIndex == index && (n.State & NeighborState.Permanent) != 0 && (_isOwned?.Invoke(n) ?? true))
                    {
                        owned.Add(n);
                    }
                }
            }
            catch (NetlinkException ex) when (ex.IsNotFound)
            {
                // The device vanished while listing: nothing of ours is on it.
            }
        }

        return owned;
    }

}
