namespace Overlay.Hosting;

/// <summary>
/// Event ids of the log messages written by Overlay.Hosting (range 6000–6999). They are stable: an
/// id is never reused for a different message, so log filters can rely on them.
/// </summary>
public static class HostingEventIds
{
    /// <summary>The agent is starting (subnet file path, health endpoint).</summary>
    public const int AgentStarting = 6000;

    /// <summary>Subnets recorded by a previous run were read from the subnet file.</summary>
    public const int PreviousSubnetsRead = 6001;

    /// <summary>The network configuration could not be read; retried every second (flannel's loop).</summary>
    public const int NetworkConfigRetry = 6002;

    /// <summary>The network configuration was read (networks, families, backend type).</summary>
    public const int NetworkConfigRead = 6003;

    /// <summary>The external interface was chosen.</summary>
    public const int ExternalInterfaceChosen = 6004;

    /// <summary>The backend registered the network and the lease is held.</summary>
    public const int NetworkRegistered = 6005;

    /// <summary>The masquerade hook ran.</summary>
    public const int MasqueradeConfigured = 6006;

    /// <summary>The subnet file was written.</summary>
    public const int SubnetFileWritten = 6007;

    /// <summary>Writing the subnet file failed; the agent does not become ready (flannel's rule).</summary>
    public const int SubnetFileWriteFailed = 6008;

    /// <summary>The agent is ready: lease held, subnet file written, first peer snapshot programmed.</summary>
    public const int Ready = 6009;

    /// <summary>The node's lease was lost; the agent is not ready until it holds one again.</summary>
    public const int LeaseLost = 6010;

    /// <summary>A lease was acquired again after a loss; the network is registered again.</summary>
    public const int LeaseReacquired = 6011;

    /// <summary>Registering the network (at start or again after a lease loss) failed with a transient error; retried with back-off.</summary>
    public const int ReRegistrationFailed = 6012;

    /// <summary>A blackhole route for the node's subnet was added.</summary>
    public const int BlackholeRouteAdded = 6013;

    /// <summary>Checking or adding a blackhole route failed; retried on the next check.</summary>
    public const int BlackholeRouteFailed = 6014;

    /// <summary>The health server listens.</summary>
    public const int HealthServerListening = 6015;

    /// <summary>A health request could not be served.</summary>
    public const int HealthRequestFailed = 6016;

    /// <summary>The agent failed and stops (start-up error or a failed peer loop).</summary>
    public const int AgentFailed = 6017;

    /// <summary>The agent stopped (the lease is kept, kernel state is left in place).</summary>
    public const int AgentStopped = 6018;

    /// <summary>A stale blackhole route of a previous lease was removed.</summary>
    public const int BlackholeRouteRemoved = 6019;

    /// <summary>The lease was renewed (debug).</summary>
    public const int LeaseRenewed = 6020;

    /// <summary>The registry holds no network configuration; said on every retry.</summary>
    public const int NetworkConfigMissing = 6021;

    /// <summary>Registering the network failed with a permanent error; the agent stops.</summary>
    public const int RegistrationFailedPermanently = 6022;

    /// <summary>Traffic rules installed.</summary>
    public const int TrafficRulesInstalled = 6023;

    /// <summary>Traffic rules that had changed were repaired.</summary>
    public const int TrafficRulesRepaired = 6024;

    /// <summary>Repairing traffic rules failed (retried on the next change).</summary>
    public const int TrafficRulesRepairFailed = 6025;

    /// <summary>Traffic rules removed.</summary>
    public const int TrafficRulesRemoved = 6026;

    /// <summary>Removing traffic rules failed.</summary>
    public const int TrafficRulesRemoveFailed = 6027;

    /// <summary>A FORWARD policy of DROP that the rules cannot override.</summary>
    public const int ForwardPolicyDrop = 6028;

    /// <summary>The other mode's leftovers were removed.</summary>
    public const int OtherModeCleanedUp = 6029;

    /// <summary>The other mode's leftovers could not be removed (what stays is named).</summary>
    public const int OtherModeCleanUpFailed = 6030;

    /// <summary>The iptables variant found on the host.</summary>
    public const int IptablesVariant = 6031;

    /// <summary>An iptables command failed.</summary>
    public const int IptablesFailed = 6032;
}
