using System.Net.Sockets;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

public sealed partial class NetlinkClient
{
    /// <summary>Lists addresses (RTM_GETADDR dump).</summary>
    /// <param name="family">Only this family (null: both).</param>
    /// <param name="interfaceIndex">Only this interface (null: all).</param>
    /// <param name="cancellationToken">Cancels the dump.</param>
    /// <returns>The addresses.</returns>
    public IAsyncEnumerable<LinkAddress> AddressesAsync(AddressFamily? family = null, int? interfaceIndex = null, CancellationToken cancellationToken = default) =>
        Enumerate(
            ct => DumpAsync(
                _route,
                RtmType.GetAddress,
                family is null ? LinuxAddressFamily.Unspecified : RtnetlinkCodec.FamilyOf(family.Value),
                RtnetlinkCodec.IfAddrLength,
                m => RtnetlinkCodec.DecodeAddress(m),
                a => (family is null || a.Family == family) && (interfaceIndex is null || a.InterfaceIndex == interfaceIndex),
                "address list",
                ct),
            cancellationToken);

    /// <summary>Adds an address (fails with EEXIST when present).</summary>
    /// <param name="address">The address.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask AddressAddAsync(LinkAddress address, CancellationToken cancellationToken = default) =>
        AddressCoreAsync(RtmType.NewAddress, NetlinkBulkOperation.Add, address, "address add", cancellationToken);

    /// <summary>Adds or replaces an address.</summary>
    /// <param name="address">The address.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask AddressReplaceAsync(LinkAddress address, CancellationToken cancellationToken = default) =>
        AddressCoreAsync(RtmType.NewAddress, NetlinkBulkOperation.Replace, address, "address replace", cancellationToken);

    /// <summary>Deletes an address.</summary>
    /// <param name="address">The address (interface, address, prefix length).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>False when it was not there.</returns>
    public async ValueTask<bool> AddressDeleteAsync(LinkAddress address, CancellationToken cancellationToken = default)
    {
        try
        {
            await AddressCoreAsync(RtmType.DelAddress, NetlinkBulkOperation.Delete, address, "address delete", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NetlinkException ex) when (IsAbsent(ex))
        {
            return false;
        }
    }

    private ValueTask AddressCoreAsync(ushort type, NetlinkBulkOperation operation, LinkAddress address, string verb, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        return ExecuteAsync(
            _route,
            (type, operation, address),
            static (ref NetlinkMessageWriter w, (ushort Type, NetlinkBulkOperation Op, LinkAddress A) s, uint seq) =>
                RtnetlinkCodec.WriteAddress(ref w, s.Type, RtnetlinkCodec.FlagsFor(s.Op), s.A, seq),
            $"{verb} {address}",
            null,
            cancellationToken);
    }
}
