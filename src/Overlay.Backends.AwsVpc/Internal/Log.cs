using Microsoft.Extensions.Logging;

namespace Overlay.Backends.AwsVpc.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = AwsVpcEventIds.SourceDestCheckDisabled, Level = LogLevel.Information,
        Message = "Source/destination check turned off on {NetworkInterface}")]
    public static partial void SourceDestCheckDisabled(ILogger logger, string networkInterface);
}
