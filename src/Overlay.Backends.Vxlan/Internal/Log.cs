using System.Net;
using Microsoft.Extensions.Logging;
using Overlay.Netlink;

namespace Overlay.Backends.Vxlan.Internal;

internal static partial class VxlanLog
{
    [LoggerMessage(EventId = VxlanEventIds.NetworkRegistered, Level = LogLevel.Information,
        Message = "vxlan network registered: lease {Lease}, VNI {Vni}, port {Port}, devices {Devices}, MTU {Mtu}, DirectRouting {DirectRouting}, GBP {Gbp}")]
    public static partial void NetworkRegistered(ILogger logger, string lease, int vni, int port, string devices, int mtu, bool directRouting, bool gbp);

    [LoggerMessage(EventId = VxlanEventIds.ConfigMemberIgnored, Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void ConfigMemberIgnored(ILogger logger, string warning);

    [LoggerMessage(EventId = VxlanEventIds.DeviceCreated, Level = LogLevel.Information,
        Message = "Created {Device}: VNI {Vni}, local {Local}, MAC {Mac}, MTU {Mtu}")]
    public static partial void DeviceCreated(ILogger logger, string device, int vni, IPAddress local, MacAddress mac, int mtu);

    [LoggerMessage(EventId = VxlanEventIds.DeviceCorrected, Level = LogLevel.Warning,
        Message = "Corrected {Device}: MTU {OldMtu} -> {Mtu}, MAC {OldMac} -> {Mac}")]
    public static partial void DeviceCorrected(ILogger logger, string device, int oldMtu, int mtu, MacAddress? oldMac, MacAddress mac);

    [LoggerMessage(EventId = VxlanEventIds.DeviceRecreated, Level = LogLevel.Warning,
        Message = "Re-creating {Device}: {Reason}")]
    public static partial void DeviceRecreated(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = VxlanEventIds.DeviceAddressChanged, Level = LogLevel.Information,
        Message = "{Device}: {Action} address {Address}/{PrefixLength}")]
    public static partial void DeviceAddressChanged(ILogger logger, string device, string action, IPAddress address, int prefixLength);

    [LoggerMessage(EventId = VxlanEventIds.VtepMacChosen, Level = LogLevel.Information,
        Message = "{Device}: VTEP MAC {Mac} (from {Source})")]
    public static partial void VtepMacChosen(ILogger logger, string device, MacAddress mac, string source);

    [LoggerMessage(EventId = VxlanEventIds.DeviceRepairFailed, Level = LogLevel.Error,
        Message = "Ensuring the vxlan devices failed; retried on the next change or full reconcile")]
    public static partial void DeviceRepairFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = VxlanEventIds.PeerBackendDataInvalid, Level = LogLevel.Warning,
        Message = "Peer {Peer}: {Problem}")]
    public static partial void PeerBackendDataInvalid(ILogger logger, string peer, string problem);

    [LoggerMessage(EventId = VxlanEventIds.AcceptRaNotSet, Level = LogLevel.Debug,
        Message = "Could not turn accept_ra off on {Device}")]
    public static partial void AcceptRaNotSet(ILogger logger, string device, Exception exception);
}
