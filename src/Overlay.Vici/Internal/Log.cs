using Microsoft.Extensions.Logging;

namespace Overlay.Vici.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = ViciEventIds.Connected, Level = LogLevel.Debug, Message = "Connected to charon's VICI socket {Path}")]
    public static partial void Connected(ILogger logger, string path);

    [LoggerMessage(EventId = ViciEventIds.ConnectionLost, Level = LogLevel.Warning, Message = "The VICI connection to {Path} was lost: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = ViciEventIds.Reconnected, Level = LogLevel.Information, Message = "Reconnected to charon at {Path}; {Events} event subscription(s) registered again")]
    public static partial void Reconnected(ILogger logger, string path, int events);

    [LoggerMessage(EventId = ViciEventIds.ReconnectFailed, Level = LogLevel.Debug, Message = "Reconnecting to charon at {Path} failed ({Reason}); next attempt in {Delay}")]
    public static partial void ReconnectFailed(ILogger logger, string path, string reason, TimeSpan delay);

    [LoggerMessage(EventId = ViciEventIds.EventsDropped, Level = LogLevel.Warning, Message = "A subscriber of VICI event '{Event}' fell behind; {Dropped} event(s) dropped so far")]
    public static partial void EventsDropped(ILogger logger, string @event, long dropped);

    [LoggerMessage(EventId = ViciEventIds.CommandSent, Level = LogLevel.Trace, Message = "VICI {Type} '{Name}' {Structure}")]
    public static partial void CommandSent(ILogger logger, ViciPacketType type, string name, ViciMessage? structure);
}
