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

    /// <summary>Adds a backend singleton (for backend packages' <c>Add…Backend</c> methods).</summary>
    /// <typeparam name="TBackend">The backend type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">The backend is registered already: each backend is added once (with its options in that call).</exception>
    public static IOverlayBuilder AddBackend<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] TBackend>(this IOverlayBuilder builder) where TBackend : class, IOverlayBackend
    {
        ArgumentNullException.ThrowIfNull(builder);
        ThrowIfRegistered(builder.Services, typeof(TBackend));
        builder.Services.AddSingleton<IOverlayBackend, TBackend>();
        return builder;
    }

    /// <summary>Adds a backend instance (a backend built with options).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="backend">The backend.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">A backend of the same class is registered already.</exception>
    public static IOverlayBuilder AddBackend(this IOverlayBuilder builder, IOverlayBackend backend)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(backend);
        ThrowIfRegistered(builder.Services, backend.GetType());
        builder.Services.AddSingleton(backend);
        return builder;
    }

    private static void ThrowIfRegistered(IServiceCollection services, Type backend)
    {
        foreach (ServiceDescriptor d in services)
        {
            if (d.ServiceType == typeof(IOverlayBackend) && !d.IsKeyedService && (d.ImplementationType ?? d.ImplementationInstance?.GetType()) == backend)
            {
                throw new InvalidOperationException(
                    $"The backend {backend.Name} is registered already. Add each backend once, with its options in that call (a second registration would be ignored or conflict).");
            }
        }
    }

    private sealed class OverlayBuilder(IServiceCollection services) : IOverlayBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
