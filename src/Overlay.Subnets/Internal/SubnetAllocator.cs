using System.Net;
using System.Net.Sockets;

namespace Overlay.Subnets.Internal;

/// <summary>
/// Chooses a free subnet with flannel's rule — uniformly at random among the first
/// <see cref="CandidateWindow"/> free subnets in ascending order between the minimum and the
/// maximum — without walking every candidate: the taken subnets are turned into a sorted list of
/// merged ranges of candidate indices (or, up to 4 Mi candidates, a bitmap), and the free candidates
/// are read off the gaps. The cost is O(L log L) (bitmap: O(L) plus one word per 64 candidates) in
/// the number of leases L, plus at most <see cref="CandidateWindow"/> candidates examined, whatever
/// the occupancy.
/// </summary>
internal static class SubnetAllocator
{
    /// <summary>flannel collects at most this many free candidates before choosing.</summary>
    public const int CandidateWindow = 100;

    /// <summary>
    /// Returns a free subnet of length <paramref name="subnetLength"/> with its network address in
    /// [<paramref name="min"/>, <paramref name="max"/>], or <see langword="null"/> when none is free.
    /// A candidate is free when it overlaps no subnet of <paramref name="taken"/> (any length).
    /// <c>candidatesExamined</c> counts the candidate subnets looked at (for tests: it stays at or
    /// below <see cref="CandidateWindow"/>).
    /// </summary>
    public static IPNetwork? Choose(IPAddress min, IPAddress max, int subnetLength, IEnumerable<IPNetwork> taken, Random random, out int candidatesExamined)
    {
        List<UInt128> free = FirstFree(min, max, subnetLength, taken, CandidateWindow, out candidatesExamined);
        if (free.Count == 0)
        {
            return null;
        }

        AddressFamily family = min.AddressFamily;
        UInt128 chosen = AddressMath.ToUInt128(min) + (free[random.Next(free.Count)] << (AddressMath.BitCount(family) - subnetLength));
        return new IPNetwork(AddressMath.ToAddress(chosen, family), subnetLength);
    }

    /// <summary>The indices (from <paramref name="min"/>, in units of the subnet size) of the first
    /// <paramref name="limit"/> free candidates in ascending order.</summary>
    public static List<UInt128> FirstFree(IPAddress min, IPAddress max, int subnetLength, IEnumerable<IPNetwork> taken, int limit, out int candidatesExamined, bool? useBitmap = null)
    {
        AddressFamily family = min.AddressFamily;
        int shift = AddressMath.BitCount(family) - subnetLength;
        UInt128 lo = AddressMath.ToUInt128(min);
        UInt128 hi = AddressMath.ToUInt128(max);
        var free = new List<UInt128>(Math.Min(limit, 128));
        candidatesExamined = 0;
        if (hi < lo)
        {
            return free;
        }

        UInt128 count = ((hi - lo) >> shift) + 1;
        UInt128 end = lo + (count << shift) - 1; // last address covered by the candidates
        if (useBitmap ?? count <= BitmapLimit)
        {
            return FirstFreeByBitmap(lo, end, shift, (int)count, family, taken, limit, free, out candidatesExamined);
        }

        var ranges = new List<(UInt128 First, UInt128 Last)>();
        foreach (IPNetwork network in taken)
        {
            if (network.BaseAddress.AddressFamily != family)
            {
                continue;
            }

            var (first, last) = AddressMath.Range(network);
            if (last < lo || first > end)
            {
                continue;
            }

            UInt128 firstIndex = first <= lo ? UInt128.Zero : (first - lo) >> shift;
            UInt128 lastIndex = (UInt128.Min(last, end) - lo) >> shift;
            ranges.Add((firstIndex, lastIndex));
        }

        ranges.Sort(static (a, b) => a.First.CompareTo(b.First));
        UInt128 cursor = UInt128.Zero;
        int next = 0;
        while (free.Count < limit && cursor < count)
        {
            // Skip every taken range that starts at or before the cursor.
            while (next < ranges.Count && ranges[next].First <= cursor)
            {
                if (ranges[next].Last >= cursor)
                {
                    cursor = ranges[next].Last + 1;
                }

                next++;
            }

            if (cursor >= count)
            {
                break;
            }

            UInt128 gapEnd = next < ranges.Count ? ranges[next].First : count; // exclusive
            while (cursor < gapEnd && free.Count < limit)
            {
                candidatesExamined++;
                free.Add(cursor);
                cursor++;
            }
        }

        return free;
    }

    /// <summary>Up to this many candidates the taken set is a bitmap (at most 512 KiB, pooled):
    /// O(L) to fill, then 64 candidates per word to find the free ones.</summary>
    private const int BitmapLimit = 1 << 22;

    private static List<UInt128> FirstFreeByBitmap(UInt128 lo, UInt128 end, int shift, int count, AddressFamily family,
        IEnumerable<IPNetwork> taken, int limit, List<UInt128> free, out int candidatesExamined)
    {
        int words = (count + 63) >> 6;
        ulong[] bits = System.Buffers.ArrayPool<ulong>.Shared.Rent(words);
        try
        {
            Array.Clear(bits, 0, words);
            foreach (IPNetwork network in taken)
            {
                if (network.BaseAddress.AddressFamily != family)
                {
                    continue;
                }

                var (first, last) = AddressMath.Range(network);
                if (last < lo || first > end)
                {
                    continue;
                }

                int firstIndex = first <= lo ? 0 : (int)((first - lo) >> shift);
                int lastIndex = (int)((UInt128.Min(last, end) - lo) >> shift);
                for (int i = firstIndex; i <= lastIndex;)
                {
                    if ((i & 63) == 0 && lastIndex - i >= 63)
                    {
                        bits[i >> 6] = ulong.MaxValue; // a whole word at once for large leases
                        i += 64;
                    }
                    else
                    {
                        bits[i >> 6] |= 1UL << (i & 63);
                        i++;
                    }
                }
            }

            candidatesExamined = 0;
            for (int w = 0; w < words && free.Count < limit; w++)
            {
                ulong open = ~bits[w];
                if (w == words - 1 && (count & 63) != 0)
                {
                    open &= (1UL << (count & 63)) - 1; // past the last candidate
                }

                while (open != 0 && free.Count < limit)
                {
                    int bit = System.Numerics.BitOperations.TrailingZeroCount(open);
                    candidatesExamined++;
                    free.Add((UInt128)((w << 6) + bit));
                    open &= open - 1;
                }
            }

            return free;
        }
        finally
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(bits);
        }
    }
}
