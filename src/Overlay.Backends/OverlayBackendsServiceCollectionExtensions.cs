using Microsoft.Extensions.DependencyInjection.Extensions;
using Overlay.Backends;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the backend framework.</summary>
public static class OverlayBackendsServiceCollectionExtensions
{
    /// <summary>Registers the <see cref="BackendRegistry"/> (filled with every registered
    /// <see cref="IOverlayBackend"/>) and returns a builder for adding backends.</summary>
    public static IOverlayBuilder AddOverlayBackends(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => new BackendRegistry(sp.GetServices<IOverlayBackend>()));
        return new OverlayBuilder(services);
    }

    /// <summary>Adds a backend singleton (for backend packages' <c>AddXBackend</c> methods).</summary>
    public static IOverlayBuilder AddBackend<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] TBackend>(this IOverlayBuilder builder) where TBackend : class, IOverlayBackend
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IOverlayBackend, TBackend>());
        return builder;
    }

    private sealed class OverlayBuilder(IServiceCollection services) : IOverlayBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
