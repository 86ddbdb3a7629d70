using System.Diagnostics.Metrics;
using System.Net;

namespace Overlay.Encap;

/// <summary>Settings shared by every transport of the tunnel engine (<see cref="UdpTunnelOptions"/>, <see cref="IPIPTunnelOptions"/>).</summary>
public abstract class TunnelOptions
{
    /// <summary>The default <see cref="BusyPoll"/>: 50 µs (as the kernel's <c>net.core.busy_poll</c> suggestion).</summary>
    public static readonly TimeSpan DefaultBusyPoll = TimeSpan.FromMicroseconds(50);

    private protected TunnelOptions()
    {
    }

    /// <summary>
    /// The source of ICMP Destination Unreachable messages written back into the TUN; null: none are generated.
    /// It must not be an address assigned on the host: the kernel drops packets that arrive with a local source
    /// address as martians unless accept_local is set (flannel uses the TUN address). An unassigned address of the
    /// local subnet, e.g. its network address when the TUN has another one, serves.
    /// </summary>
    public IPAddress? LocalOverlayAddress { get; set; }

    /// <summary>
    /// Accept a packet only if its outer source address is the underlay address of the peer whose subnet
    /// contains the inner source address (default true). Turn off for peers behind NAT; the inner source must
    /// then still lie in some peer's subnet.
    /// </summary>
    public bool CheckSenderAddress { get; set; } = true;

    /// <summary>The largest inner packet accepted from the network (default 65,535; set the TUN MTU). Larger packets are dropped, never truncated.</summary>
    public int MaxPacketSize { get; set; } = ushort.MaxValue;

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

    /// <summary>Socket send and receive buffer size requested (default 4 MiB; as root SO_*BUFFORCE is used).</summary>
    public int SocketBufferSize { get; set; } = 4 << 20;

    /// <summary>Creates the meter; null uses a private <see cref="Meter"/> named <see cref="Tunnel.MeterName"/>.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    internal virtual void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPacketSize, IPv4Header.MinimumLength, nameof(MaxPacketSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPacketSize, ushort.MaxValue, nameof(MaxPacketSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BatchSize, 1024, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BusyPoll, TimeSpan.Zero, nameof(BusyPoll));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BusyPoll, TimeSpan.FromMilliseconds(10), nameof(BusyPoll));
    }
}
