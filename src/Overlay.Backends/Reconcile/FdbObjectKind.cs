using Overlay.Netlink;

namespace Overlay.Backends.Reconcile;

/// <summary>
/// Bridge forwarding-database entries of a device's own table (<c>NTF_SELF</c>, e.g. vxlan's
/// "peer VTEP MAC → peer underlay address") as a <see cref="KernelObjectKind{T}"/>: installed with
/// replace and deleted through the netlink bulk API. Because the key is the MAC, a peer whose MAC
/// changes gets the old entry removed and the new one installed. The owned set is every permanent
/// entry with a destination on the devices <c>interfaces</c> returns, narrowed by an optional
/// predicate. An entry whose device is gone counts as removed.
/// </summary>
public sealed class FdbObjectKind : KernelObjectKind<FdbEntry>
{
    private readonly NetlinkClient _netlink;
    private readonly Func<IReadOnlyCollection<int>> _interfaces;
    private readonly Func<FdbEntry, bool>? _isOwned;

    /// <summary>Creates the adapter.</summary>
    /// <param name="netlink">The node's netlink client.</param>
    /// <param name="interfaces">The current indexes of the devices whose entries are ours.</param>
    /// <param name="isOwned">Narrows the owned set; null: every permanent entry with a destination on those devices.</param>
    public FdbObjectKind(NetlinkClient netlink, Func<IReadOnlyCollection<int>> interfaces, Func<FdbEntry, bool>? isOwned = null)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        ArgumentNullException.ThrowIfNull(interfaces);
        _netlink = netlink;
        _interfaces = interfaces;
        _isOwned = isOwned;
    }

    /// <inheritdoc />
    public override string Name => "fdb";

    /// <summary>The key of an entry.</summary>
    public static FdbKey KeyOf(FdbEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new FdbKey(entry.InterfaceIndex, entry.MacAddress);
    }

    /// <inheritdoc />
    public override object GetKey(FdbEntry item) => KeyOf(item);

    /// <inheritdoc />
    public override bool Matches(FdbEntry desired, FdbEntry actual)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(actual);
        return KeyOf(desired) == KeyOf(actual)
            && Equals(desired.Destination, actual.Destination)
            && (actual.State & desired.State) == desired.State
            && (desired.Port is null || desired.Port == actual.Port)
            && (desired.Vni is null || desired.Vni == actual.Vni);
    }

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<KernelObjectFailure>> InstallAsync(IReadOnlyList<FdbEntry> items, CancellationToken cancellationToken)
    {
        NetlinkBulkResult result = await _netlink.FdbBulkAsync(NetlinkBulkOperation.Replace, items, cancellationToken).ConfigureAwait(false);
        return [.. result.Failures.Select(RouteObjectKind.ToFailure)];
    }

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<KernelObjectFailure>> RemoveAsync(IReadOnlyList<FdbEntry> items, CancellationToken cancellationToken)
    {
        NetlinkBulkResult result = await _netlink.FdbBulkAsync(NetlinkBulkOperation.Delete, items, cancellationToken).ConfigureAwait(false);
        return [.. result.Failures.Where(f => !NetlinkException.IsNotFoundErrno(f.Errno)).Select(RouteObjectKind.ToFailure)];
    }

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<FdbEntry>> ListOwnedAsync(CancellationToken cancellationToken)
    {
        var owned = new List<FdbEntry>();
        foreach (int index in _interfaces())
        {
            try
            {
                await foreach (FdbEntry e in _netlink.FdbEntriesAsync(index, cancellationToken).ConfigureAwait(false))
                {
                    if (e.InterfaceIndex == index && e.Destination is not null && (e.State & NeighborState.Permanent) != 0 && (_isOwned?.Invoke(e) ?? true))
                    {
                        owned.Add(e);
                    }
                }
            }
            catch (NetlinkException ex) when (ex.IsNotFound)
            {
            }
        }

        return owned;
    }
}
