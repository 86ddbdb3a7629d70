using System.Runtime.CompilerServices;

namespace Overlay.Encap.Internal;

/// <summary>
/// The engine's node counters: the one definition every part uses (workers write them by name, the statistics
/// snapshot and the meter read them by name), so no index can disagree between places.
/// </summary>
internal enum TunnelCounter
{
    /// <summary>Inner packets sent to peers (after segmentation).</summary>
    EgressPackets,

    /// <summary>Inner bytes sent to peers.</summary>
    EgressBytes,

    /// <summary>Inner packets written to the TUN (before coalescing).</summary>
    IngressPackets,

    /// <summary>Inner bytes written to the TUN.</summary>
    IngressBytes,

    /// <summary>ICMP Destination Unreachable messages written into the TUN.</summary>
    IcmpUnreachable,

    /// <summary><c>sendmsg</c>/<c>sendmmsg</c> calls.</summary>
    SendCalls,

    /// <summary><c>recvmmsg</c> calls that returned data.</summary>
    ReceiveCalls,

    /// <summary>TUN reads that returned a packet.</summary>
    TunReads,

    /// <summary>TUN writes.</summary>
    TunWrites,
}

/// <summary>Counters written by one worker thread only (plain stores, read by others with volatile reads).</summary>
internal sealed class WorkerCounters
{
    public static readonly int ValueCount = Enum.GetValues<TunnelCounter>().Length;
    public static readonly int DropCount = Enum.GetValues<TunnelDropReason>().Length;

    public readonly long[] Values = new long[ValueCount];
    public readonly long[] Drops = new long[DropCount];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Drop(TunnelDropReason reason, long count = 1) => Volatile.Write(ref Drops[(int)reason], Drops[(int)reason] + count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(TunnelCounter counter, long count) => Volatile.Write(ref Values[(int)counter], Values[(int)counter] + count);
}

/// <summary>The set of every worker's counters of one tunnel, summed on demand.</summary>
internal sealed class TunnelCounterSet
{
    private readonly Lock _gate = new();
    private readonly List<WorkerCounters> _workers = [];

    public WorkerCounters NewWorker()
    {
        var counters = new WorkerCounters();
        lock (_gate)
        {
            _workers.Add(counters);
        }

        return counters;
    }

    public long Sum(TunnelCounter counter)
    {
        long total = 0;
        lock (_gate)
        {
            foreach (WorkerCounters c in _workers)
            {
                total += Volatile.Read(ref c.Values[(int)counter]);
            }
        }

        return total;
    }

    public TunnelStatistics Snapshot()
    {
        long[] values = new long[WorkerCounters.ValueCount];
        long[] drops = new long[WorkerCounters.DropCount];
        lock (_gate)
        {
            foreach (WorkerCounters c in _workers)
            {
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] += Volatile.Read(ref c.Values[i]);
                }

                for (int i = 0; i < drops.Length; i++)
                {
                    drops[i] += Volatile.Read(ref c.Drops[i]);
                }
            }
        }

        return new TunnelStatistics(values, drops);
    }
}
