using Microsoft.Extensions.DependencyInjection;

namespace Overlay.Backends.HostGw;

/// <summary>Registration of the host-gw backend.</summary>
public static class HostGwOverlayBuilderExtensions
{
    /// <summary>Adds the host-gw backend (type <c>host-gw</c>).</summary>
    public static IOverlayBuilder AddHostGwBackend(this IOverlayBuilder builder) => builder.AddBackend<HostGwBackend>();
}
