using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Overlay.Encap;

/// <summary>
/// The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones' complement sum of
/// 16-bit big-endian words, with the incremental update of RFC 1624 and the IPv4/IPv6
/// pseudo-header sums used by UDP and TCP.
/// </summary>
/// <remarks>
/// Partial sums are carried in a <see cref="ulong"/> so that many spans can be added before one
/// <see cref="Fold(ulong)"/>. All values are in host order; the caller writes the result big-endian.
/// </remarks>
public static class InternetChecksum
{
    /// <summary>Adds the 16-bit big-endian words of <paramref name="data"/> to <paramref name="initial"/> (an odd trailing byte is padded with zero).</summary>
    /// <param name="data">The bytes to sum. A sum over several spans is only correct if every span but the last has an even length.</param>
    /// <param name="initial">A partial sum to continue, for example a pseudo-header sum.</param>
    /// <returns>The unfolded partial sum.</returns>
    public static ulong Sum(ReadOnlySpan<byte> data, ulong initial = 0)
    {
        // Sum 32-bit big-endian words into a 64-bit accumulator: carries collect in the upper half and
        // are folded at the end. 2^32 additions of < 2^32 cannot overflow 64 bits for any span length.
        ulong sum = initial;
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        for (; i + 16 <= length; i += 16)
        {
            sum += BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i)));
            sum += BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i + 4)));
            sum += BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i + 8)));
            sum += BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i + 12)));
        }

        for (; i + 4 <= length; i += 4)
        {
            sum += BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i)));
        }

        if (i + 2 <= length)
        {
            sum += (uint)((Unsafe.Add(ref start, i) << 8) | Unsafe.Add(ref start, i + 1));
            i += 2;
        }

        if (i < length)
        {
            sum += (uint)(Unsafe.Add(ref start, i) << 8);
        }

        return sum;
    }

    /// <summary>Folds a partial sum to 16 bits (end-around carry), without complementing it.</summary>
    /// <param name="sum">The partial sum.</param>
    /// <returns>The folded ones' complement sum.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>Finishes a checksum: folds and complements the partial sum.</summary>
    /// <param name="sum">The partial sum.</param>
    /// <returns>The value to store in the checksum field (host order).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Finish(ulong sum) => (ushort)~Fold(sum);

    /// <summary>Computes the checksum of <paramref name="data"/> (with its checksum field zeroed, or included to verify).</summary>
    /// <param name="data">The bytes to checksum.</param>
    /// <returns>The checksum, or 0 if <paramref name="data"/> already contains a correct checksum.</returns>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Sum(data));

    /// <summary>
    /// Updates a checksum after one 16-bit field changed from <paramref name="oldValue"/> to
    /// <paramref name="newValue"/>, per RFC 1624 equation 3: HC' = ~(~HC + ~m + m').
    /// </summary>
    /// <param name="checksum">The old checksum (host order).</param>
    /// <param name="oldValue">The old field value (host order).</param>
    /// <param name="newValue">The new field value (host order).</param>
    /// <returns>The new checksum.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Update(ushort checksum, ushort oldValue, ushort newValue)
    {
        uint sum = (uint)(ushort)~checksum + (ushort)~oldValue + newValue;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>Updates a checksum after a 32-bit field (for example an IPv4 address) changed (RFC 1624).</summary>
    /// <param name="checksum">The old checksum (host order).</param>
    /// <param name="oldValue">The old field value (host order).</param>
    /// <param name="newValue">The new field value (host order).</param>
    /// <returns>The new checksum.</returns>
    public static ushort Update(ushort checksum, uint oldValue, uint newValue)
    {
        checksum = Update(checksum, (ushort)(oldValue >> 16), (ushort)(newValue >> 16));
        return Update(checksum, (ushort)oldValue, (ushort)newValue);
    }

    /// <summary>The unfolded sum of the IPv4 pseudo-header (RFC 768/793).</summary>
    /// <param name="source">Source address bytes (4, network order).</param>
    /// <param name="destination">Destination address bytes (4, network order).</param>
    /// <param name="protocol">The IP protocol number.</param>
    /// <param name="length">The transport length (header plus payload).</param>
    /// <returns>The partial sum.</returns>
    public static ulong PseudoHeaderSumIPv4(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length)
    {
        ulong sum = BinaryPrimitives.ReadUInt32BigEndian(source);
        sum += BinaryPrimitives.ReadUInt32BigEndian(destination);
        sum += protocol;
        sum += (uint)length;
        return sum;
    }

    /// <summary>The unfolded sum of the IPv6 pseudo-header (RFC 8200 §8.1).</summary>
    /// <param name="source">Source address bytes (16).</param>
    /// <param name="destination">Destination address bytes (16).</param>
    /// <param name="nextHeader">The upper-layer protocol number.</param>
    /// <param name="length">The upper-layer packet length.</param>
    /// <returns>The partial sum.</returns>
    public static ulong PseudoHeaderSumIPv6(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte nextHeader, int length)
    {
        ulong sum = Sum(source[..16]);
        sum = Sum(destination[..16], sum);
        sum += (uint)length;
        sum += nextHeader;
        return sum;
    }
}
