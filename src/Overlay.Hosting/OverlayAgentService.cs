using Microsoft.Extensions.Hosting;

namespace Overlay.Hosting;

/// <summary>
/// Runs the <see cref="OverlayAgent"/> registered by <c>services.AddOverlay()</c> as a hosted
/// service. A start-up failure or a failed peer loop ends <see cref="ExecuteAsync"/> with that
/// error, which by default stops the host (flanneld exits 1 then); a lost lease does not.
/// </summary>
internal sealed class OverlayAgentService : BackgroundService
{
    private readonly OverlayAgent _agent;

    /// <summary>Creates the service for <paramref name="agent"/>.</summary>
    public OverlayAgentService(OverlayAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        _agent = agent;
    }

    /// <summary>The agent.</summary>
    public OverlayAgent Agent => _agent;

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _agent.RunAsync(stoppingToken);
}
