using Overlay.Backends.HostGw;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the host-gw backend.</summary>
public static class HostGwOverlayBuilderExtensions
{
    /// <summary>Adds the host-gw backend (type <c>host-gw</c>).</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">The backend is registered already.</exception>
    public static IOverlayBuilder AddHostGwBackend(this IOverlayBuilder builder) => builder.AddBackend<HostGwBackend>();
}
