using System.Collections.Frozen;
using Overlay.Encap.Internal;

namespace Overlay.Encap;

/// <summary>Why the tunnel dropped a packet (the <c>reason</c> tag of <c>overlay.encap.tunnel.drops</c>).</summary>
public enum TunnelDropReason
{
    /// <summary>TUN→network: no peer subnet contains the destination (an ICMP error may have been sent).</summary>
    NoRoute,

    /// <summary>TUN→network: not an IPv4 packet (flannel's udp and ipip wire formats carry IPv4 only).</summary>
    NotIPv4,

    /// <summary>TUN→network: a super-packet could not be segmented or its offload header was inconsistent.</summary>
    BadOffload,

    /// <summary>TUN→network: the socket send failed.</summary>
    SendFailed,

    /// <summary>network→TUN: the outer source address is not any peer's.</summary>
    UnknownSender,

    /// <summary>network→TUN: the inner source address is not in the sending peer's subnet.</summary>
    SourceNotInPeerSubnet,

    /// <summary>network→TUN: shorter than an IPv4 header.</summary>
    TooShort,

    /// <summary>network→TUN: version is not 4.</summary>
    BadVersion,

    /// <summary>network→TUN: header length below 20 or beyond the datagram.</summary>
    BadHeaderLength,

    /// <summary>network→TUN: total length differs from the datagram length.</summary>
    LengthMismatch,

    /// <summary>network→TUN: wrong IPv4 header checksum.</summary>
    BadChecksum,

    /// <summary>network→TUN: larger than <see cref="TunnelOptions.MaxPacketSize"/> or truncated by the receive buffer.</summary>
    Oversize,

    /// <summary>network→TUN: the TUN write failed.</summary>
    TunWriteFailed,

    /// <summary>network→TUN (raw IP transport): the outer IPv4 header is malformed.</summary>
    BadOuterHeader,
}

/// <summary>A snapshot of a tunnel's counters.</summary>
public sealed class TunnelStatistics
{
    internal TunnelStatistics(long[] values, long[] drops)
    {
        EgressPackets = values[(int)TunnelCounter.EgressPackets];
        EgressBytes = values[(int)TunnelCounter.EgressBytes];
        IngressPackets = values[(int)TunnelCounter.IngressPackets];
        IngressBytes = values[(int)TunnelCounter.IngressBytes];
        IcmpUnreachableSent = values[(int)TunnelCounter.IcmpUnreachable];
        SendCalls = values[(int)TunnelCounter.SendCalls];
        ReceiveCalls = values[(int)TunnelCounter.ReceiveCalls];
        TunReads = values[(int)TunnelCounter.TunReads];
        TunWrites = values[(int)TunnelCounter.TunWrites];
        Drops = Enum.GetValues<TunnelDropReason>().ToDictionary(r => r, r => drops[(int)r]);
    }

    /// <summary>Inner packets sent to peers (after segmentation).</summary>
    public long EgressPackets { get; }

    /// <summary>Inner bytes sent to peers.</summary>
    public long EgressBytes { get; }

    /// <summary>Inner packets delivered to the TUN (before coalescing).</summary>
    public long IngressPackets { get; }

    /// <summary>Inner bytes delivered to the TUN.</summary>
    public long IngressBytes { get; }

    /// <summary>ICMP Destination Unreachable messages written into the TUN.</summary>
    public long IcmpUnreachableSent { get; }

    /// <summary><c>sendmsg</c>/<c>sendmmsg</c> calls.</summary>
    public long SendCalls { get; }

    /// <summary><c>recvmmsg</c> calls that returned data.</summary>
    public long ReceiveCalls { get; }

    /// <summary>TUN reads that returned a packet.</summary>
    public long TunReads { get; }

    /// <summary>TUN writes.</summary>
    public long TunWrites { get; }

    /// <summary>Drops by reason (every reason present).</summary>
    public IReadOnlyDictionary<TunnelDropReason, long> Drops { get; }

    /// <summary>
    /// These totals, and a peer's own counters when given, under the stable names a backend publishes in its peer
    /// status: <c>tunnel.egress_packets</c>, <c>tunnel.egress_bytes</c>, <c>tunnel.ingress_packets</c>,
    /// <c>tunnel.ingress_bytes</c>, <c>tunnel.icmp_unreachable</c>, <c>tunnel.drops.&lt;reason&gt;</c> for every
    /// <see cref="TunnelDropReason"/>, and with a peer <c>peer.egress_packets</c>, <c>peer.egress_bytes</c>,
    /// <c>peer.ingress_packets</c>, <c>peer.ingress_bytes</c>, <c>peer.drops</c>.
    /// </summary>
    /// <param name="peer">The peer's counters (<see cref="TunnelPeerTable.GetStatistics"/>), or null for the totals alone.</param>
    /// <returns>A read-only name → value map.</returns>
    public IReadOnlyDictionary<string, long> ToCounters(TunnelPeerStatistics? peer = null)
    {
        var d = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["tunnel.egress_packets"] = EgressPackets,
            ["tunnel.egress_bytes"] = EgressBytes,
            ["tunnel.ingress_packets"] = IngressPackets,
            ["tunnel.ingress_bytes"] = IngressBytes,
            ["tunnel.icmp_unreachable"] = IcmpUnreachableSent,
        };
        foreach (KeyValuePair<TunnelDropReason, long> drop in Drops)
        {
            d["tunnel.drops." + drop.Key] = drop.Value;
        }

        if (peer is not null)
        {
            d["peer.egress_packets"] = peer.EgressPackets;
            d["peer.egress_bytes"] = peer.EgressBytes;
            d["peer.ingress_packets"] = peer.IngressPackets;
            d["peer.ingress_bytes"] = peer.IngressBytes;
            d["peer.drops"] = peer.Drops;
        }

        return d.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
