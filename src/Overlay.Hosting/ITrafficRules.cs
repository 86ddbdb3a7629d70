namespace Overlay.Hosting;

/// <summary>
/// flannel's traffic rules for one node: masquerading of pod traffic leaving
/// the overlay and accepting forwarded overlay traffic, per address family. Create one with
/// <see cref="TrafficRules.Create"/>; the agent uses it for <see cref="OverlayAgentOptions.IPMasq"/>
/// and <see cref="OverlayAgentOptions.IPTablesForwardRules"/>, a third-party agent may call it itself.
/// After <see cref="ApplyAsync"/> the rules are kept in place until disposal: nftables mode repairs
/// them when a notification says they changed, iptables mode checks them every resync period.
/// Disposal stops that and keeps the rules, or removes them with <see cref="TrafficRulesOptions.RemoveOnShutdown"/>.
/// </summary>
public interface ITrafficRules : IAsyncDisposable
{
    /// <summary>The mode.</summary>
    TrafficRulesMode Mode { get; }

    /// <summary>
    /// Installs (or replaces) the rules for <paramref name="request"/>, one transaction per family
    /// and rule set, and keeps them from then on. Calling it again (a new lease) replaces them.
    /// </summary>
    /// <param name="request">The networks, the lease and the rule sets.</param>
    /// <param name="cancellationToken">Cancels the installation.</param>
    /// <returns>What was installed.</returns>
    ValueTask<TrafficRulesResult> ApplyAsync(TrafficRulesRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes every rule, chain and table of this mode (flannel's names), whether installed by this instance or an earlier run.</summary>
    /// <param name="cancellationToken">Cancels the removal.</param>
    /// <returns>A task.</returns>
    ValueTask RemoveAsync(CancellationToken cancellationToken = default);
}
