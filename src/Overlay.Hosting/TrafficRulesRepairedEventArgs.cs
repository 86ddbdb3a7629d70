namespace Overlay.Hosting;

/// <summary>Rules that had changed (deleted or altered by someone else) were put back.</summary>
/// <param name="Description">Which rule set of which family, e.g. "ip flannel-ipv4 postrtg".</param>
/// <param name="Reason">What was found, e.g. "rule 3 missing".</param>
public sealed class TrafficRulesRepairedEventArgs(string Description, string Reason) : EventArgs
{
    /// <summary>Which rule set of which family.</summary>
    public string Description { get; } = Description;

    /// <summary>What was found.</summary>
    public string Reason { get; } = Reason;
}
