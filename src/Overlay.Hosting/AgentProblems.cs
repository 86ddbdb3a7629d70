namespace Overlay.Hosting;

/// <summary>The codes of the node problems an <see cref="OverlayAgent"/> reports itself (<see cref="OverlayAgent.Status"/>).</summary>
public static class AgentProblems
{
    /// <summary>The registry holds no network configuration (flannel's <c>&lt;prefix&gt;/config</c>); the agent keeps asking.</summary>
    public const string NetworkConfigMissing = "NetworkConfigMissing";

    /// <summary>The network configuration could not be read or is invalid; the agent keeps asking.</summary>
    public const string NetworkConfigUnreadable = "NetworkConfigUnreadable";

    /// <summary>Registering the network failed with a transient error; the agent retries with back-off.</summary>
    public const string RegistrationFailing = "RegistrationFailing";

    /// <summary>The subnet file could not be written; the agent is not ready.</summary>
    public const string SubnetFileUnwritable = "SubnetFileUnwritable";
}
