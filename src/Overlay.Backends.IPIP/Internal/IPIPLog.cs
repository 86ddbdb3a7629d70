using System.Net;
using Microsoft.Extensions.Logging;

namespace Overlay.Backends.IPIP.Internal;

internal static partial class IPIPLog
{
    [LoggerMessage(EventId = IPIPEventIds.NetworkRegistered, Level = LogLevel.Information,
        Message = "ipip network registered: lease {Lease}, {Mode} data path, device {Device} (address {Address}/32, MTU {Mtu}, local {Local}), DirectRouting {DirectRouting}")]
    public static partial void NetworkRegistered(ILogger logger, string lease, string mode, string device, IPAddress address, int mtu, IPAddress local, bool directRouting);

    [LoggerMessage(EventId = IPIPEventIds.KernelIPIPUnavailable, Level = LogLevel.Warning,
        Message = "The kernel has no ipip ({Reason}); carrying IP-in-IP in user space (a TUN device and a raw protocol-4 socket), same wire format")]
    public static partial void KernelIPIPUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = IPIPEventIds.DeviceCreated, Level = LogLevel.Information, Message = "Created ipip device {Device} (local {Local}, MTU {Mtu})")]
    public static partial void DeviceCreated(ILogger logger, string device, IPAddress local, int mtu);

    [LoggerMessage(EventId = IPIPEventIds.DeviceRecreated, Level = LogLevel.Warning, Message = "Re-creating ipip device {Device}: {Reason}")]
    public static partial void DeviceRecreated(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = IPIPEventIds.DeviceCorrected, Level = LogLevel.Information, Message = "Corrected the MTU of {Device}: {Actual} → {Wanted}")]
    public static partial void MtuCorrected(ILogger logger, string device, int actual, int wanted);

    [LoggerMessage(EventId = IPIPEventIds.AddressRemoved, Level = LogLevel.Information,
        Message = "Removed {Address}/{PrefixLength} from {Device}: only the subnet's {Kept}/32 of the overlay network belongs there")]
    public static partial void AddressRemoved(ILogger logger, string device, IPAddress address, int prefixLength, IPAddress kept);

    [LoggerMessage(EventId = IPIPEventIds.DeviceRepairFailed, Level = LogLevel.Warning, Message = "Repairing the ipip device failed; will retry on the next event")]
    public static partial void DeviceRepairFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = IPIPEventIds.UserSpaceDataPathCreated, Level = LogLevel.Information,
        Message = "User-space ipip data path on {Device}: {Queues} TUN queue(s), raw protocol-4 socket on {Local}")]
    public static partial void UserSpaceDataPathCreated(ILogger logger, string device, int queues, IPAddress local);

    [LoggerMessage(EventId = IPIPEventIds.TunnelFailed, Level = LogLevel.Warning, Message = "The user-space ipip engine on {Device} stopped with an error; the data path is re-created when the device is repaired")]
    public static partial void TunnelFailed(ILogger logger, string device, Exception exception);

    [LoggerMessage(EventId = IPIPEventIds.KernelTunnelAlsoReceives, Level = LogLevel.Warning,
        Message = "User-space ipip on a kernel that has ipip: {Device} exists and, when up, also decapsulates every protocol-4 packet addressed to this host (packets are then delivered twice); keep it down or use the kernel data path")]
    public static partial void KernelTunnelAlsoReceives(ILogger logger, string device);

    [LoggerMessage(EventId = IPIPEventIds.IPv6NotCarried, Level = LogLevel.Warning,
        Message = "The network is dual-stack, but ipip carries IPv4 only (as flannel): IPv6 pods get no route to other nodes")]
    public static partial void IPv6NotCarried(ILogger logger);

    [LoggerMessage(EventId = IPIPEventIds.PeerTableChanged, Level = LogLevel.Debug, Message = "ipip peer table: {Subnet} via {Address} {Action}")]
    public static partial void PeerTableChanged(ILogger logger, IPNetwork subnet, IPAddress address, string action);

    [LoggerMessage(EventId = IPIPEventIds.NetworkStopped, Level = LogLevel.Information, Message = "ipip network on {Device} stopped")]
    public static partial void NetworkStopped(ILogger logger, string device);
}
