using Microsoft.Extensions.DependencyInjection;

namespace Overlay.Backends.Alloc;

/// <summary>Registration of the alloc backend.</summary>
public static class AllocOverlayBuilderExtensions
{
    /// <summary>Adds the alloc backend (type <c>alloc</c>).</summary>
    public static IOverlayBuilder AddAllocBackend(this IOverlayBuilder builder) => builder.AddBackend<AllocBackend>();
}
