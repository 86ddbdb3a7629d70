using Microsoft.Extensions.Logging;

namespace Overlay.Netlink.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = NetlinkEventIds.RequestFailed, Level = LogLevel.Debug,
        Message = "Netlink request {Operation} failed with errno {Errno}: {ExtendedAck}")]
    public static partial void RequestFailed(ILogger logger, string operation, int errno, string? extendedAck);

    [LoggerMessage(EventId = NetlinkEventIds.DumpInterruptedRetrying, Level = LogLevel.Debug,
        Message = "Netlink dump {Operation} was interrupted by a concurrent change; retrying (attempt {Attempt})")]
    public static partial void DumpInterruptedRetrying(ILogger logger, string operation, int attempt);

    [LoggerMessage(EventId = NetlinkEventIds.UnexpectedReplyDropped, Level = LogLevel.Debug,
        Message = "Dropped netlink message type {Type} with sequence {Sequence} and port {PortId} (expected sequence {Expected}, port {OurPortId})")]
    public static partial void UnexpectedReplyDropped(ILogger logger, ushort type, uint sequence, uint portId, uint expected, uint ourPortId);

    [LoggerMessage(EventId = NetlinkEventIds.NotificationsLost, Level = LogLevel.Warning,
        Message = "Netlink notification socket overflowed (ENOBUFS); events were lost and state must be re-listed")]
    public static partial void NotificationsLost(ILogger logger);

    [LoggerMessage(EventId = NetlinkEventIds.BulkCompleted, Level = LogLevel.Debug,
        Message = "Bulk {Operation} of {Count} requests: {Failed} failed")]
    public static partial void BulkCompleted(ILogger logger, string operation, int count, int failed);

    [LoggerMessage(EventId = NetlinkEventIds.SocketOpened, Level = LogLevel.Debug,
        Message = "Opened netlink socket protocol {Protocol} with port id {PortId}")]
    public static partial void SocketOpened(ILogger logger, int protocol, uint portId);
}
