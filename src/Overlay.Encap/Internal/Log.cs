using System.Net;
using Microsoft.Extensions.Logging;

namespace Overlay.Encap.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = EncapEventIds.TunnelStarted, Level = LogLevel.Information,
        Message = "{Transport} tunnel started on {Device} at {Local}: {Queues} TUN queue(s), TUN offloads {TunOffloads}, UDP GSO {Gso}, UDP GRO {Gro}, TCP coalescing {Coalescing}, batch {BatchSize}")]
    public static partial void TunnelStarted(ILogger logger, string transport, string device, string local, int queues, TunOffloads tunOffloads, bool gso, bool gro, bool coalescing, int batchSize);

    [LoggerMessage(EventId = EncapEventIds.TunnelStopped, Level = LogLevel.Information, Message = "{Transport} tunnel on {Device} stopped")]
    public static partial void TunnelStopped(ILogger logger, string transport, string device);

    [LoggerMessage(EventId = EncapEventIds.OffloadUnavailable, Level = LogLevel.Warning, Message = "{Offload} is not available ({Reason}); falling back to {Fallback}")]
    public static partial void OffloadUnavailable(ILogger logger, string offload, string reason, string fallback);

    [LoggerMessage(EventId = EncapEventIds.SegmentationOffloadDisabled, Level = LogLevel.Warning,
        Message = "UDP GSO send failed with EIO (the egress device cannot offload checksums); sending segments with sendmmsg from now on")]
    public static partial void SegmentationOffloadDisabled(ILogger logger);

    [LoggerMessage(EventId = EncapEventIds.WorkerFailed, Level = LogLevel.Error, Message = "Tunnel worker {Worker} on {Device} failed; the tunnel stops")]
    public static partial void WorkerFailed(ILogger logger, string worker, string device, Exception exception);

    [LoggerMessage(EventId = EncapEventIds.PeerSet, Level = LogLevel.Debug, Message = "{Transport} tunnel peer {Subnet} via {Endpoint}")]
    public static partial void PeerSet(ILogger logger, string transport, IPNetwork subnet, IPEndPoint endpoint);

    [LoggerMessage(EventId = EncapEventIds.PeerRemoved, Level = LogLevel.Debug, Message = "{Transport} tunnel peer {Subnet} removed")]
    public static partial void PeerRemoved(ILogger logger, string transport, IPNetwork subnet);
}
