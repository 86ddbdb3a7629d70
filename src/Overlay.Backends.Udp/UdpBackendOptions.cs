using System.Diagnostics.Metrics;
using Overlay.Encap;

namespace Overlay.Backends.Udp;

/// <summary>
/// Host-side settings of the udp backend (not part of net-conf.json): how the TUN device is named and opened and how
/// the data path runs. Validated when a network is registered.
/// </summary>
public sealed class UdpBackendOptions
{
    /// <summary>flannel's TUN name template: the kernel picks the first free index (normally <c>flannel0</c>).</summary>
    public const string DefaultDeviceName = "flannel%d";

    /// <summary>The TUN device name or template (<c>%d</c> is replaced by the kernel), at most 15 bytes. Default <c>flannel%d</c>.</summary>
    public string DeviceName { get; set; } = DefaultDeviceName;

    /// <summary>
    /// TUN queues, each with its own worker thread (<c>IFF_MULTI_QUEUE</c> when more than one); the first queue's thread
    /// also receives from the socket, and the TUN steers a flow's replies to the queue its packets were written to.
    /// Default: the processor count, at most 4.
    /// </summary>
    public int Queues { get; set; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>
    /// Use the offloads of the data path (TUN virtio header with checksum and TSO4, UDP GSO and GRO, TCP coalescing;
    /// each probed and falling back on its own). Default <see langword="true"/>; <see langword="false"/> gives
    /// flannel's one-packet-per-system-call design (for comparison only).
    /// </summary>
    public bool Offloads { get; set; } = true;

    /// <summary>Messages per <c>recvmmsg</c>/<c>sendmmsg</c> call (default 32; 1 disables batching).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>
    /// How long a worker keeps checking for packets after its last one before it sleeps, yielding the processor
    /// between checks (see <c>UdpTunnelOptions.BusyPoll</c>): replies arriving within it cost no wake-up. Default
    /// 50 µs; zero sleeps at once (least CPU for sparse traffic); at most 10 ms.
    /// </summary>
    public TimeSpan BusyPoll { get; set; } = UdpTunnelOptions.DefaultBusyPoll;

    /// <summary>Creates the tunnel's meter (<c>Overlay.Encap</c>); null: a private meter of that name.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(DeviceName, nameof(DeviceName));
        if (System.Text.Encoding.UTF8.GetByteCount(DeviceName) > 15)
        {
            throw new ArgumentException($"The TUN device name '{DeviceName}' is longer than 15 bytes.", nameof(DeviceName));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Queues, 1, nameof(Queues));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Queues, 256, nameof(Queues));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BusyPoll, TimeSpan.Zero, nameof(BusyPoll));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BusyPoll, TimeSpan.FromMilliseconds(10), nameof(BusyPoll));
    }
}
