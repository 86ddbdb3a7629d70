using System.Diagnostics.Metrics;
using Overlay.Encap;

namespace Overlay.Backends.IPIP;

/// <summary>Which data path the ipip backend uses.</summary>
public enum IPIPDataPath
{
    /// <summary>The kernel's ipip device when the kernel has ipip (probed at registration), else user space.</summary>
    Auto,

    /// <summary>The kernel's ipip device only; a kernel without ipip is a permanent registration error.</summary>
    Kernel,

    /// <summary>User space (a TUN device and a raw protocol-4 socket on Overlay.Encap's engine), even where the kernel has ipip.</summary>
    UserSpace,
}

/// <summary>
/// Host-side settings of the ipip backend (not part of net-conf.json): the data path and how the user-space one runs.
/// Validated when a network is registered.
/// </summary>
public sealed class IPIPBackendOptions
{
    /// <summary>The device name, flannel's: <c>flannel.ipip</c> (the kernel device or, in user space, the TUN).</summary>
    public const string DefaultDeviceName = "flannel.ipip";

    /// <summary>The data path (default <see cref="IPIPDataPath.Auto"/>).</summary>
    public IPIPDataPath DataPath { get; set; } = IPIPDataPath.Auto;

    /// <summary>The device name, at most 15 bytes (default <c>flannel.ipip</c>).</summary>
    public string DeviceName { get; set; } = DefaultDeviceName;

    /// <summary>User space: TUN queues, each with its own worker thread. Default: the processor count, at most 4.</summary>
    public int Queues { get; set; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>User space: use the TUN offloads (checksum, TSO4) and TCP coalescing (default <see langword="true"/>).</summary>
    public bool Offloads { get; set; } = true;

    /// <summary>User space: messages per <c>recvmmsg</c>/<c>sendmmsg</c> call (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>User space: how long a worker keeps checking for packets before it sleeps (see <see cref="TunnelOptions.BusyPoll"/>).</summary>
    public TimeSpan BusyPoll { get; set; } = TunnelOptions.DefaultBusyPoll;

    /// <summary>User space: creates the tunnel's meter (<c>Overlay.Encap</c>); null: a private meter of that name.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(DeviceName, nameof(DeviceName));
        if (System.Text.Encoding.UTF8.GetByteCount(DeviceName) > 15)
        {
            throw new ArgumentException($"The device name '{DeviceName}' is longer than 15 bytes.", nameof(DeviceName));
        }

        if (!Enum.IsDefined(DataPath))
        {
            throw new ArgumentOutOfRangeException(nameof(DataPath), DataPath, "Unknown data path.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Queues, 1, nameof(Queues));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Queues, 256, nameof(Queues));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BusyPoll, TimeSpan.Zero, nameof(BusyPoll));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BusyPoll, TimeSpan.FromMilliseconds(10), nameof(BusyPoll));
    }
}
