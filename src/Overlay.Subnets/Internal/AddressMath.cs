using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Overlay.Subnets.Internal;

/// <summary>Integer arithmetic over addresses of either family (IPv4 in the low 32 bits).</summary>
internal static class AddressMath
{
    public static int BitCount(AddressFamily family) => family == AddressFamily.InterNetwork ? 32 : 128;

    public static UInt128 ToUInt128(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return written == 4
            ? BinaryPrimitives.ReadUInt32BigEndian(bytes)
            : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public static IPAddress ToAddress(UInt128 value, AddressFamily family)
    {
        if (family == AddressFamily.InterNetwork)
        {
            Span<byte> v4 = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)value);
            return new IPAddress(v4);
        }

        Span<byte> v6 = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(v6, value);
        return new IPAddress(v6);
    }

    /// <summary>The number of addresses in a block of the given prefix length (2^(bits-prefix)).</summary>
    public static UInt128 BlockSize(AddressFamily family, int prefixLength) =>
        UInt128.One << (BitCount(family) - prefixLength);

    /// <summary>The mask of the network bits for a prefix length, in the family's width.</summary>
    public static UInt128 Mask(AddressFamily family, int prefixLength)
    {
        int bits = BitCount(family);
        UInt128 all = bits == 32 ? uint.MaxValue : UInt128.MaxValue;
        return prefixLength == 0 ? UInt128.Zero : all & ~((UInt128.One << (bits - prefixLength)) - 1);
    }

    public static IPAddress MaskAddress(IPAddress address, int prefixLength) =>
        ToAddress(ToUInt128(address) & Mask(address.AddressFamily, prefixLength), address.AddressFamily);

    /// <summary>First and last address of a network, as integers.</summary>
    public static (UInt128 First, UInt128 Last) Range(IPNetwork network)
    {
        UInt128 first = ToUInt128(network.BaseAddress);
        return (first, first + BlockSize(network.BaseAddress.AddressFamily, network.PrefixLength) - 1);
    }

    /// <summary>True when the two networks share an address (equal under the shorter prefix).</summary>
    public static bool Overlaps(IPNetwork a, IPNetwork b)
    {
        if (a.BaseAddress.AddressFamily != b.BaseAddress.AddressFamily)
        {
            return false;
        }

        var (aFirst, aLast) = Range(a);
        var (bFirst, bLast) = Range(b);
        return aFirst <= bLast && bFirst <= aLast;
    }
}
