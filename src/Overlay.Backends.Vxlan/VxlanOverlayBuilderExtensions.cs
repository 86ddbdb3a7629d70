using Overlay.Backends.Vxlan;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the vxlan backend.</summary>
public static class VxlanOverlayBuilderExtensions
{
    /// <summary>Adds the vxlan backend (type <c>vxlan</c>).</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">The backend is registered already.</exception>
    public static IOverlayBuilder AddVxlanBackend(this IOverlayBuilder builder) => builder.AddBackend<VxlanBackend>();
}
