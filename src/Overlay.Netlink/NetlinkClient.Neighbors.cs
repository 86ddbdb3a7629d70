using System.Net.Sockets;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

public sealed partial class NetlinkClient
{
    /// <summary>Lists neighbour (ARP/NDP) entries.</summary>
    /// <param name="family">Only this family (null: IPv4 and IPv6).</param>
    /// <param name="interfaceIndex">Only this interface.</param>
    /// <param name="cancellationToken">Cancels the dump.</param>
    /// <returns>The entries.</returns>
    public IAsyncEnumerable<Neighbor> NeighborsAsync(AddressFamily? family = null, int? interfaceIndex = null, CancellationToken cancellationToken = default) =>
        Enumerate(
            ct => DumpAsync(
                _route,
                RtmType.GetNeighbor,
                family is null ? LinuxAddressFamily.Unspecified : RtnetlinkCodec.FamilyOf(family.Value),
                RtnetlinkCodec.NdMsgLength,
                m => RtnetlinkCodec.IsBridgeFamily(m) ? null : RtnetlinkCodec.DecodeNeighbor(m),
                n => (family is null || n.Family == family) && (interfaceIndex is null || n.InterfaceIndex == interfaceIndex),
                "neighbour list",
                ct),
            cancellationToken);

    /// <summary>Adds a neighbour entry (EEXIST when present).</summary>
    /// <param name="neighbor">The entry.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask NeighborAddAsync(Neighbor neighbor, CancellationToken cancellationToken = default) =>
        NeighborCoreAsync(NetlinkBulkOperation.Add, neighbor, cancellationToken);

    /// <summary>Adds or replaces a neighbour entry (<c>ip neigh replace</c>).</summary>
    /// <param name="neighbor">The entry.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask NeighborSetAsync(Neighbor neighbor, CancellationToken cancellationToken = default) =>
        NeighborCoreAsync(NetlinkBulkOperation.Replace, neighbor, cancellationToken);

    /// <summary>Deletes a neighbour entry.</summary>
    /// <param name="neighbor">The entry (interface and address).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>False when it was not there.</returns>
    public async ValueTask<bool> NeighborDeleteAsync(Neighbor neighbor, CancellationToken cancellationToken = default)
    {
        try
        {
            await NeighborCoreAsync(NetlinkBulkOperation.Delete, neighbor, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NetlinkException ex) when (IsAbsent(ex))
        {
            return false;
        }
    }

    /// <summary>Lists bridge FDB entries (AF_BRIDGE dump), including those of vxlan devices (NTF_SELF).</summary>
    /// <param name="interfaceIndex">Only this device.</param>
    /// <param name="cancellationToken">Cancels the dump.</param>
    /// <returns>The entries.</returns>
    public IAsyncEnumerable<FdbEntry> FdbEntriesAsync(int? interfaceIndex = null, CancellationToken cancellationToken = default) =>
        Enumerate(
            ct => DumpAsync(
                _route,
                RtmType.GetNeighbor,
                LinuxAddressFamily.Bridge,
                RtnetlinkCodec.NdMsgLength,
                m => RtnetlinkCodec.IsBridgeFamily(m) ? RtnetlinkCodec.DecodeFdb(m) : null,
                e => interfaceIndex is null || e.InterfaceIndex == interfaceIndex,
                "fdb list",
                ct),
            cancellationToken);

    /// <summary>Adds an FDB entry (EEXIST when present).</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask FdbAddAsync(FdbEntry entry, CancellationToken cancellationToken = default) =>
        FdbCoreAsync(NetlinkBulkOperation.Add, entry, cancellationToken);

    /// <summary>Appends an FDB entry (<c>bridge fdb append</c>: another destination for the same MAC, e.g. the all-zero MAC flood list).</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask FdbAppendAsync(FdbEntry entry, CancellationToken cancellationToken = default) =>
        FdbCoreAsync(NetlinkBulkOperation.Append, entry, cancellationToken);

    /// <summary>Adds or replaces an FDB entry (<c>bridge fdb replace</c>).</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask FdbReplaceAsync(FdbEntry entry, CancellationToken cancellationToken = default) =>
        FdbCoreAsync(NetlinkBulkOperation.Replace, entry, cancellationToken);

    /// <summary>Deletes an FDB entry (MAC and, when set, destination).</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>False when it was not there.</returns>
    public async ValueTask<bool> FdbDeleteAsync(FdbEntry entry, CancellationToken cancellationToken = default)
    {
        try
        {
            await FdbCoreAsync(NetlinkBulkOperation.Delete, entry, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NetlinkException ex) when (IsAbsent(ex))
        {
            return false;
        }
    }

    internal static void WriteNeighbor(ref NetlinkMessageWriter writer, NetlinkBulkOperation operation, Neighbor neighbor, uint sequence) =>
        RtnetlinkCodec.WriteNeighbor(ref writer, operation == NetlinkBulkOperation.Delete ? RtmType.DelNeighbor : RtmType.NewNeighbor, RtnetlinkCodec.FlagsFor(operation), neighbor, sequence);

    internal static void WriteFdb(ref NetlinkMessageWriter writer, NetlinkBulkOperation operation, FdbEntry entry, uint sequence) =>
        RtnetlinkCodec.WriteFdb(ref writer, operation == NetlinkBulkOperation.Delete ? RtmType.DelNeighbor : RtmType.NewNeighbor, RtnetlinkCodec.FlagsFor(operation), entry, sequence);

    private ValueTask NeighborCoreAsync(NetlinkBulkOperation operation, Neighbor neighbor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(neighbor);
        return ExecuteAsync(
            _route,
            (operation, neighbor),
            static (ref NetlinkMessageWriter w, (NetlinkBulkOperation Op, Neighbor N) s, uint seq) => WriteNeighbor(ref w, s.Op, s.N, seq),
            $"neighbour {Verb(operation)} {neighbor.Address} dev {neighbor.InterfaceIndex}",
            null,
            cancellationToken);
    }

    private ValueTask FdbCoreAsync(NetlinkBulkOperation operation, FdbEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return ExecuteAsync(
            _route,
            (operation, entry),
            static (ref NetlinkMessageWriter w, (NetlinkBulkOperation Op, FdbEntry E) s, uint seq) => WriteFdb(ref w, s.Op, s.E, seq),
            $"fdb {Verb(operation)} {entry.MacAddress} dev {entry.InterfaceIndex}",
            null,
            cancellationToken);
    }
}
