namespace Overlay.Hosting;

/// <summary>What <see cref="ITrafficRules.ApplyAsync"/> installed.</summary>
/// <param name="MasqueradeIPv4">IPv4 masquerade rules are in place.</param>
/// <param name="MasqueradeIPv6">IPv6 masquerade rules are in place.</param>
/// <param name="ForwardIPv4">IPv4 forward rules are in place.</param>
/// <param name="ForwardIPv6">IPv6 forward rules are in place.</param>
/// <param name="Warnings">Problems found on the host that the rules cannot fix (e.g. a FORWARD policy of DROP in another table), each with its remedy.</param>
public sealed record TrafficRulesResult(bool MasqueradeIPv4, bool MasqueradeIPv6, bool ForwardIPv4, bool ForwardIPv6, IReadOnlyList<string> Warnings)
{
    /// <summary>Masquerade rules are in place for at least one family (what <c>FLANNEL_IPMASQ</c> reports).</summary>
    public bool Masquerade => MasqueradeIPv4 || MasqueradeIPv6;
}
