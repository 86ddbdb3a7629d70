using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

public sealed partial class NetlinkClient
{
    /// <summary>
    /// Programs many routes at once: requests are pipelined (many per send, each with its own
    /// sequence number) and the kernel's answers are mapped back to input indices.
    /// </summary>
    /// <param name="operation">Add, replace, append or delete.</param>
    /// <param name="routes">The routes.</param>
    /// <param name="cancellationToken">Cancels between sends.</param>
    /// <returns>Counts and per-item failures; failures are not thrown.</returns>
    public ValueTask<NetlinkBulkResult> RouteBulkAsync(NetlinkBulkOperation operation, IReadOnlyList<Route> routes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _route.BulkAsync(
            routes.Count,
            (ref NetlinkMessageWriter w, int i, uint seq) => WriteRoute(ref w, operation, routes[i], seq),
            $"route bulk {Verb(operation)}",
            _options.BulkAcknowledgeEach,
            cancellationToken);
    }

    /// <summary>Programs many neighbour entries at once (pipelined; see <see cref="RouteBulkAsync"/>).</summary>
    /// <param name="operation">Add, replace or delete.</param>
    /// <param name="neighbors">The entries.</param>
    /// <param name="cancellationToken">Cancels between sends.</param>
    /// <returns>Counts and per-item failures.</returns>
    public ValueTask<NetlinkBulkResult> NeighborBulkAsync(NetlinkBulkOperation operation, IReadOnlyList<Neighbor> neighbors, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(neighbors);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _route.BulkAsync(
            neighbors.Count,
            (ref NetlinkMessageWriter w, int i, uint seq) => WriteNeighbor(ref w, operation, neighbors[i], seq),
            $"neighbour bulk {Verb(operation)}",
            _options.BulkAcknowledgeEach,
            cancellationToken);
    }

    /// <summary>Programs many FDB entries at once (pipelined; see <see cref="RouteBulkAsync"/>).</summary>
    /// <param name="operation">Add, replace, append or delete.</param>
    /// <param name="entries">The entries.</param>
    /// <param name="cancellationToken">Cancels between sends.</param>
    /// <returns>Counts and per-item failures.</returns>
    public ValueTask<NetlinkBulkResult> FdbBulkAsync(NetlinkBulkOperation operation, IReadOnlyList<FdbEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _route.BulkAsync(
            entries.Count,
            (ref NetlinkMessageWriter w, int i, uint seq) => WriteFdb(ref w, operation, entries[i], seq),
            $"fdb bulk {Verb(operation)}",
            _options.BulkAcknowledgeEach,
            cancellationToken);
    }
}
