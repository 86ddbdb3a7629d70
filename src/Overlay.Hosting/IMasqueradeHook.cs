namespace Overlay.Hosting;

/// <summary>
/// The masquerade extension point of the start-up order: called
/// when <see cref="OverlayAgentOptions.IPMasq"/> is on, after the lease is held and before the
/// subnet file is written, and again after every re-registration. When one is registered it replaces
/// the built-in masquerade rules (<see cref="ITrafficRules"/>; the forward rules stay built in): it
/// installs the rules for <see cref="MasqueradeContext.Config"/>'s networks and the lease, and may
/// recycle the rules of <see cref="MasqueradeContext.Previous"/>.
/// </summary>
public interface IMasqueradeHook
{
    /// <summary>Installs (or updates) the masquerade rules. A failure stops the agent at start-up
    /// (flanneld exits 1) and is retried after a re-registration.</summary>
    ValueTask SetUpAsync(MasqueradeContext context, CancellationToken cancellationToken = default);
}
