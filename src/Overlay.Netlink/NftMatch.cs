using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Overlay.Netlink;

/// <summary>
/// Builds the expressions of common nft matches the way the <c>nft</c> tool encodes them, so a
/// rule added here lists exactly like one added with nft (and the tool prints it back in its own
/// syntax): a prefix on a byte boundary loads only the prefix bytes; any other prefix loads the
/// whole address and masks it with <c>bitwise</c>.
/// </summary>
public static class NftMatch
{
    /// <summary><c>ip saddr NET</c> / <c>ip6 saddr NET</c> (or <c>!=</c> when <paramref name="negate"/>).</summary>
    /// <param name="network">The prefix; its family picks the header offsets.</param>
    /// <param name="negate">Match addresses outside the prefix.</param>
    /// <returns>The expressions (payload, optional bitwise, cmp).</returns>
    public static NftExpression[] SourcePrefix(IPNetwork network, bool negate = false) => Prefix(network, source: true, negate);

    /// <summary><c>ip daddr NET</c> / <c>ip6 daddr NET</c> (or <c>!=</c> when <paramref name="negate"/>).</summary>
    /// <param name="network">The prefix.</param>
    /// <param name="negate">Match addresses outside the prefix.</param>
    /// <returns>The expressions.</returns>
    public static NftExpression[] DestinationPrefix(IPNetwork network, bool negate = false) => Prefix(network, source: false, negate);

    /// <summary><c>meta mark VALUE</c>: an exact match of the whole mark (as flannel's nftables rule).</summary>
    /// <param name="mark">The mark.</param>
    /// <returns>The expressions (meta load, cmp).</returns>
    public static NftExpression[] MarkEquals(uint mark)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(value, mark); // the mark register holds a host-order u32
        return [new NftMetaExpression(NftMetaKey.Mark), new NftCmpExpression(NftCmpOperator.Equal, value)];
    }

    /// <summary><c>meta mark and MASK == MASK</c>: the mark has all bits of <paramref name="mask"/> set (iptables' <c>--mark M/M</c>).</summary>
    /// <param name="mask">The bits.</param>
    /// <returns>The expressions (meta load, bitwise, cmp).</returns>
    public static NftExpression[] MarkBitsSet(uint mask)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(value, mask);
        return [new NftMetaExpression(NftMetaKey.Mark), new NftBitwiseExpression(value, stackalloc byte[4]), new NftCmpExpression(NftCmpOperator.Equal, value)];
    }

    private static NftExpression[] Prefix(IPNetwork network, bool source, bool negate)
    {
        bool v6 = network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        int addressLength = v6 ? 16 : 4;
        uint offset = v6 ? (source ? 8u : 24u) : (source ? 12u : 16u);
        int bits = network.PrefixLength;
        if (bits == 0)
        {
            throw new ArgumentException($"A /0 prefix matches everything; leave the match out ({network}).", nameof(network));
        }

        Span<byte> address = stackalloc byte[16];
        network.BaseAddress.TryWriteBytes(address, out _);
        NftCmpOperator op = negate ? NftCmpOperator.NotEqual : NftCmpOperator.Equal;
        if (bits % 8 == 0)
        {
            int bytes = bits / 8;
            return [new NftPayloadExpression(NftPayloadBase.NetworkHeader, offset, (uint)bytes), new NftCmpExpression(op, address[..bytes])];
        }

        // nft loads the whole address for a prefix that is not on a byte boundary and masks it.
        int loaded = addressLength;
        Span<byte> mask = stackalloc byte[16];
        mask.Clear();
        for (int i = 0; i < bits; i++)
        {
            mask[i / 8] |= (byte)(0x80 >> (i % 8));
        }

        Span<byte> zero = stackalloc byte[16];
        zero.Clear();
        return
        [
            new NftPayloadExpression(NftPayloadBase.NetworkHeader, offset, (uint)loaded),
            new NftBitwiseExpression(mask[..loaded], zero[..loaded]),
            new NftCmpExpression(op, address[..loaded]),
        ];
    }
}
