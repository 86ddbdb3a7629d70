using System.Net;
using Microsoft.Extensions.Logging;

namespace Overlay.Backends.Udp.Internal;

internal static partial class UdpLog
{
    [LoggerMessage(EventId = UdpEventIds.NetworkRegistered, Level = LogLevel.Information,
        Message = "udp network registered: lease {Lease}, TUN {Device} ({Queues} queues, address {Address}/32, MTU {Mtu}), route {Network}, socket {Endpoint}, sender check {SenderCheck}")]
    public static partial void NetworkRegistered(ILogger logger, string lease, string device, int queues, IPAddress address, int mtu, IPNetwork network, IPEndPoint endpoint, bool senderCheck);

    [LoggerMessage(EventId = UdpEventIds.NetworkRouteExists, Level = LogLevel.Information,
        Message = "The route for {Network} already exists (EEXIST); kept, as flannel does")]
    public static partial void NetworkRouteExists(ILogger logger, IPNetwork network);

    [LoggerMessage(EventId = UdpEventIds.PeerSet, Level = LogLevel.Information,
        Message = "udp peer {Subnet} via {Endpoint}")]
    public static partial void PeerSet(ILogger logger, IPNetwork subnet, IPEndPoint endpoint);

    [LoggerMessage(EventId = UdpEventIds.PeerRemoved, Level = LogLevel.Information,
        Message = "udp peer {Subnet} removed (was via {Endpoint})")]
    public static partial void PeerRemoved(ILogger logger, IPNetwork subnet, IPEndPoint endpoint);

    [LoggerMessage(EventId = UdpEventIds.TunnelFailed, Level = LogLevel.Error,
        Message = "The udp tunnel on {Device} stopped with an error; traffic no longer flows")]
    public static partial void TunnelFailed(ILogger logger, string device, Exception exception);

    [LoggerMessage(EventId = UdpEventIds.NetworkStopped, Level = LogLevel.Information,
        Message = "udp network stopped: tunnel on {Device} stopped, socket closed, device removed")]
    public static partial void NetworkStopped(ILogger logger, string device);

    [LoggerMessage(EventId = UdpEventIds.SetupFailed, Level = LogLevel.Error,
        Message = "Setting up the udp device {Device} failed; what was created has been removed")]
    public static partial void SetupFailed(ILogger logger, string device, Exception exception);
}
