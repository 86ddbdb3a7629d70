using Microsoft.Extensions.DependencyInjection;

namespace Overlay.Backends.Vxlan;

/// <summary>Registration of the vxlan backend.</summary>
public static class VxlanOverlayBuilderExtensions
{
    /// <summary>Adds the vxlan backend (type <c>vxlan</c>).</summary>
    public static IOverlayBuilder AddVxlanBackend(this IOverlayBuilder builder) => builder.AddBackend<VxlanBackend>();
}
