using System.Diagnostics.Metrics;
using System.Net;

namespace Overlay.Encap;

/// <summary>Settings of a <see cref="UdpTunnel"/>.</summary>
public sealed class UdpTunnelOptions
{
    /// <summary>Where the UDP socket is bound (flannel: the interface address and port 8285).</summary>
    public IPEndPoint LocalEndpoint { get; set; } = new(IPAddress.Any, 8285);

    /// <summary>
    /// The source of ICMP Destination Unreachable messages written back into the TUN; null: none are generated.
    /// It must not be an address assigned on the host: the kernel drops packets that arrive with a local source
    /// address as martians unless accept_local is set (flannel uses the TUN address). An unassigned address of the
    /// local subnet, e.g. its network address when the TUN has another one, serves.
    /// </summary>
    public IPAddress? LocalOverlayAddress { get; set; }

    /// <summary>
    /// Accept a datagram only if its outer source address is the underlay address of the peer whose subnet
    /// contains the inner source address (default true). Turn off for peers behind NAT; the inner source must
    /// then still lie in some peer's subnet.
    /// </summary>
    public bool CheckSenderAddress { get; set; } = true;

    /// <summary>The largest inner packet accepted from the network (default 65,535; set the TUN MTU). Larger datagrams are dropped, never truncated.</summary>
    public int MaxPacketSize { get; set; } = ushort.MaxValue;

    /// <summary>Send TCP segments with UDP GSO (<c>UDP_SEGMENT</c>) when the kernel supports it (default true).</summary>
    public bool UdpSegmentationOffload { get; set; } = true;

    /// <summary>Receive with UDP GRO (<c>UDP_GRO</c>) when the kernel supports it (default true).</summary>
    public bool UdpReceiveOffload { get; set; } = true;

    /// <summary>Coalesce received TCP segments into super-packets on TUN writes (needs a TUN with a virtio header; default true).</summary>
    public bool CoalesceTcp { get; set; } = true;

    /// <summary>Messages per <c>recvmmsg</c>/<c>sendmmsg</c> call (default 32; 1 disables batching).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>
    /// How long a worker keeps checking its descriptors after its last packet before it sleeps in <c>poll</c>,
    /// yielding the processor between checks (<c>sched_yield</c>), so any runnable thread still gets it. A reply that
    /// arrives within this window is picked up without a wake-up, which is most of a round trip's cost on a virtual
    /// machine. Default 50 µs; <see cref="TimeSpan.Zero"/> sleeps at once (least CPU when traffic is sparse).
    /// At most 10 ms.
    /// </summary>
    public TimeSpan BusyPoll { get; set; } = DefaultBusyPoll;

    /// <summary>The default <see cref="BusyPoll"/>: 50 µs (as the kernel's <c>net.core.busy_poll</c> suggestion).</summary>
    public static readonly TimeSpan DefaultBusyPoll = TimeSpan.FromMicroseconds(50);

    /// <summary>Socket send and receive buffer size requested (default 4 MiB; as root SO_*BUFFORCE is used).</summary>
    public int SocketBufferSize { get; set; } = 4 << 20;

    /// <summary>Creates the meter; null uses a private <see cref="Meter"/> named <see cref="UdpTunnel.MeterName"/>.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(LocalEndpoint);
        if (LocalEndpoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new ArgumentException("LocalEndpoint must be IPv4.", nameof(LocalEndpoint));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPacketSize, IPv4Header.MinimumLength, nameof(MaxPacketSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPacketSize, ushort.MaxValue, nameof(MaxPacketSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BatchSize, 1024, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BusyPoll, TimeSpan.Zero, nameof(BusyPoll));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BusyPoll, TimeSpan.FromMilliseconds(10), nameof(BusyPoll));
    }
}

/// <summary>Why the tunnel dropped a packet (the <c>reason</c> tag of <c>overlay.encap.tunnel.drops</c>).</summary>
public enum UdpTunnelDropReason
{
    /// <summary>TUN→UDP: no peer subnet contains the destination (an ICMP error may have been sent).</summary>
    NoRoute,

    /// <summary>TUN→UDP: not an IPv4 packet (the udp wire format carries IPv4 only).</summary>
    NotIPv4,

    /// <summary>TUN→UDP: a super-packet could not be segmented or its offload header was inconsistent.</summary>
    BadOffload,

    /// <summary>TUN→UDP: the socket send failed.</summary>
    SendFailed,

    /// <summary>UDP→TUN: the outer source address is not any peer's.</summary>
    UnknownSender,

    /// <summary>UDP→TUN: the inner source address is not in the sending peer's subnet.</summary>
    SourceNotInPeerSubnet,

    /// <summary>UDP→TUN: shorter than an IPv4 header.</summary>
    TooShort,

    /// <summary>UDP→TUN: version is not 4.</summary>
    BadVersion,

    /// <summary>UDP→TUN: header length below 20 or beyond the datagram.</summary>
    BadHeaderLength,

    /// <summary>UDP→TUN: total length differs from the datagram length.</summary>
    LengthMismatch,

    /// <summary>UDP→TUN: wrong IPv4 header checksum.</summary>
    BadChecksum,

    /// <summary>UDP→TUN: larger than <see cref="UdpTunnelOptions.MaxPacketSize"/> or truncated by the receive buffer.</summary>
    Oversize,

    /// <summary>UDP→TUN: the TUN write failed.</summary>
    TunWriteFailed,
}

/// <summary>A snapshot of a tunnel's counters.</summary>
public sealed class UdpTunnelStatistics
{
    internal UdpTunnelStatistics(long[] values, long[] drops)
    {
        EgressPackets = values[0];
        EgressBytes = values[1];
        IngressPackets = values[2];
        IngressBytes = values[3];
        IcmpUnreachableSent = values[4];
        SendCalls = values[5];
        ReceiveCalls = values[6];
        TunReads = values[7];
        TunWrites = values[8];
        Drops = Enum.GetValues<UdpTunnelDropReason>().ToDictionary(r => r, r => drops[(int)r]);
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
    public IReadOnlyDictionary<UdpTunnelDropReason, long> Drops { get; }
}
