using System.Net;
using Microsoft.Extensions.Logging;

namespace Overlay.Hosting.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = HostingEventIds.AgentStarting, Level = LogLevel.Information,
        Message = "Overlay agent starting: subnet file {SubnetFile}, network namespace {Namespace}")]
    public static partial void AgentStarting(ILogger logger, string subnetFile, string @namespace);

    [LoggerMessage(EventId = HostingEventIds.PreviousSubnetsRead, Level = LogLevel.Information,
        Message = "Previous subnets from the subnet file: IPv4 {Subnet}, IPv6 {IPv6Subnet}")]
    public static partial void PreviousSubnetsRead(ILogger logger, IPNetwork? subnet, IPNetwork? ipv6Subnet);

    [LoggerMessage(EventId = HostingEventIds.NetworkConfigRetry, Level = LogLevel.Warning,
        Message = "Could not read the network configuration; retrying in {Delay}: {Error}")]
    public static partial void NetworkConfigRetry(ILogger logger, TimeSpan delay, string error);

    [LoggerMessage(EventId = HostingEventIds.NetworkConfigRead, Level = LogLevel.Information,
        Message = "Network configuration: IPv4 {Network} ({EnableIPv4}), IPv6 {IPv6Network} ({EnableIPv6}), backend {BackendType}")]
    public static partial void NetworkConfigRead(ILogger logger, IPNetwork? network, bool enableIPv4, IPNetwork? ipv6Network, bool enableIPv6, string backendType);

    [LoggerMessage(EventId = HostingEventIds.ExternalInterfaceChosen, Level = LogLevel.Information,
        Message = "External interface: {Interface}")]
    public static partial void ExternalInterfaceChosen(ILogger logger, Overlay.Backends.ExternalInterface @interface);

    [LoggerMessage(EventId = HostingEventIds.NetworkRegistered, Level = LogLevel.Information,
        Message = "{BackendType} network registered: lease {Lease}, MTU {Mtu}")]
    public static partial void NetworkRegistered(ILogger logger, string backendType, string lease, int mtu);

    [LoggerMessage(EventId = HostingEventIds.MasqueradeConfigured, Level = LogLevel.Information,
        Message = "Masquerade rules set up for lease {Lease}")]
    public static partial void MasqueradeConfigured(ILogger logger, string lease);

    [LoggerMessage(EventId = HostingEventIds.SubnetFileWritten, Level = LogLevel.Information,
        Message = "Wrote {SubnetFile}: subnet {Subnet}, IPv6 subnet {IPv6Subnet}, MTU {Mtu}, IP masquerade {IPMasq}")]
    public static partial void SubnetFileWritten(ILogger logger, string subnetFile, IPNetwork? subnet, IPNetwork? ipv6Subnet, int mtu, bool ipMasq);

    [LoggerMessage(EventId = HostingEventIds.SubnetFileWriteFailed, Level = LogLevel.Error,
        Message = "Could not write {SubnetFile}; the agent will not become ready")]
    public static partial void SubnetFileWriteFailed(ILogger logger, string subnetFile, Exception exception);

    [LoggerMessage(EventId = HostingEventIds.Ready, Level = LogLevel.Information,
        Message = "Ready: lease {Lease} held, {Peers} peer(s) programmed")]
    public static partial void Ready(ILogger logger, string lease, int peers);

    [LoggerMessage(EventId = HostingEventIds.LeaseLost, Level = LogLevel.Warning,
        Message = "Lease {Lease} was lost (deleted, expired or taken); not ready until a lease is held again — re-acquiring, the same subnet first")]
    public static partial void LeaseLost(ILogger logger, string lease);

    [LoggerMessage(EventId = HostingEventIds.LeaseReacquired, Level = LogLevel.Warning,
        Message = "Lease re-acquired after a loss: {Previous} -> {Lease} (same subnet: {SameSubnet}); registering the network again")]
    public static partial void LeaseReacquired(ILogger logger, Overlay.Subnets.Lease previous, Overlay.Subnets.Lease lease, bool sameSubnet);

    [LoggerMessage(EventId = HostingEventIds.ReRegistrationFailed, Level = LogLevel.Error,
        Message = "Registering the {Backend} network failed with a transient error; retrying in {Delay}")]
    public static partial void RegistrationRetry(ILogger logger, string backend, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = HostingEventIds.RegistrationFailedPermanently, Level = LogLevel.Critical,
        Message = "Registering the {Backend} network failed with a permanent error; the agent stops")]
    public static partial void RegistrationFailedPermanently(ILogger logger, string backend, Exception exception);

    [LoggerMessage(EventId = HostingEventIds.NetworkConfigMissing, Level = LogLevel.Warning,
        Message = "The network configuration is missing: {Error} (the agent is not ready; asking again in {Delay})")]
    public static partial void NetworkConfigMissing(ILogger logger, string error, TimeSpan delay);

    [LoggerMessage(EventId = HostingEventIds.BlackholeRouteAdded, Level = LogLevel.Information,
        Message = "Added blackhole route {Subnet} (protocol {Protocol}, metric {Metric})")]
    public static partial void BlackholeRouteAdded(ILogger logger, IPNetwork subnet, byte protocol, uint metric);

    [LoggerMessage(EventId = HostingEventIds.BlackholeRouteFailed, Level = LogLevel.Warning,
        Message = "Checking the blackhole route {Subnet} failed; retrying on the next check")]
    public static partial void BlackholeRouteFailed(ILogger logger, IPNetwork subnet, Exception exception);

    [LoggerMessage(EventId = HostingEventIds.BlackholeRouteRemoved, Level = LogLevel.Information,
        Message = "Removed the blackhole route {Subnet} of the previous lease")]
    public static partial void BlackholeRouteRemoved(ILogger logger, IPNetwork subnet);

    [LoggerMessage(EventId = HostingEventIds.HealthServerListening, Level = LogLevel.Information,
        Message = "Health server listening on http://{Endpoint} (/healthz, /readyz)")]
    public static partial void HealthServerListening(ILogger logger, IPEndPoint endpoint);

    [LoggerMessage(EventId = HostingEventIds.HealthRequestFailed, Level = LogLevel.Debug,
        Message = "A health request could not be served")]
    public static partial void HealthRequestFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = HostingEventIds.AgentFailed, Level = LogLevel.Critical,
        Message = "The overlay agent failed")]
    public static partial void AgentFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = HostingEventIds.AgentStopped, Level = LogLevel.Information,
        Message = "Overlay agent stopped; the lease is kept and kernel state is left in place")]
    public static partial void AgentStopped(ILogger logger);

    [LoggerMessage(EventId = HostingEventIds.LeaseRenewed, Level = LogLevel.Debug,
        Message = "Lease {Lease} renewed")]
    public static partial void LeaseRenewed(ILogger logger, string lease);

    [LoggerMessage(EventId = HostingEventIds.TrafficRulesInstalled, Level = LogLevel.Information,
        Message = "Traffic rules installed: {RuleSet} ({Count} rules)")]
    public static partial void TrafficRulesInstalled(ILogger logger, string ruleSet, int count);

    [LoggerMessage(EventId = HostingEventIds.TrafficRulesRepaired, Level = LogLevel.Warning,
        Message = "Traffic rules {RuleSet} had changed ({Drift}); put back")]
    public static partial void TrafficRulesRepaired(ILogger logger, string ruleSet, string drift);

    [LoggerMessage(EventId = HostingEventIds.TrafficRulesRepairFailed, Level = LogLevel.Error,
        Message = "Repairing traffic rules {RuleSet} failed; tried again on the next change")]
    public static partial void TrafficRulesRepairFailed(ILogger logger, string ruleSet, Exception exception);

    [LoggerMessage(EventId = HostingEventIds.TrafficRulesRemoved, Level = LogLevel.Information,
        Message = "Traffic rules removed: {RuleSet}")]
    public static partial void TrafficRulesRemoved(ILogger logger, string ruleSet);

    [LoggerMessage(EventId = HostingEventIds.TrafficRulesRemoveFailed, Level = LogLevel.Warning,
        Message = "Removing the traffic rules failed")]
    public static partial void TrafficRulesRemoveFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = HostingEventIds.ForwardPolicyDrop, Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void ForwardPolicyDrop(ILogger logger, string warning);

    [LoggerMessage(EventId = HostingEventIds.OtherModeCleanedUp, Level = LogLevel.Information,
        Message = "Removed {Count} leftovers of flannel's {Mode} rules (the other mode)")]
    public static partial void OtherModeCleanedUp(ILogger logger, string mode, int count);

    [LoggerMessage(EventId = HostingEventIds.OtherModeCleanUpFailed, Level = LogLevel.Warning,
        Message = "Leftovers of flannel's {Mode} rules stay in place: {Reason}")]
    public static partial void OtherModeCleanUpFailed(ILogger logger, string mode, string reason);

    [LoggerMessage(EventId = HostingEventIds.IptablesVariant, Level = LogLevel.Information,
        Message = "iptables: {Program} version {Version}, {Variant} back end, --random-fully {RandomFully}, --wait {Wait}")]
    public static partial void IptablesVariant(ILogger logger, string program, string version, string variant, bool randomFully, bool wait);

    [LoggerMessage(EventId = HostingEventIds.IptablesFailed, Level = LogLevel.Error,
        Message = "iptables: {What} failed")]
    public static partial void IptablesFailed(ILogger logger, string what, Exception exception);
}
