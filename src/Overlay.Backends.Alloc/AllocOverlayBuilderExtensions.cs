using Overlay.Backends.Alloc;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the alloc backend.</summary>
public static class AllocOverlayBuilderExtensions
{
    /// <summary>Adds the alloc backend (type <c>alloc</c>).</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">The backend is registered already.</exception>
    public static IOverlayBuilder AddAllocBackend(this IOverlayBuilder builder) => builder.AddBackend<AllocBackend>();
}
