using Overlay.Backends.IPIP;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the ipip backend.</summary>
public static class IPIPOverlayBuilderExtensions
{
    /// <summary>Adds the ipip backend (type <c>ipip</c>) with default options (kernel data path where the kernel has ipip, else user space).</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">The backend is registered already.</exception>
    public static IOverlayBuilder AddIPIPBackend(this IOverlayBuilder builder) => builder.AddBackend<IPIPBackend>();

    /// <summary>Adds the ipip backend (type <c>ipip</c>) with the given host-side options.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">The backend is registered already (add it once, with its options).</exception>
    public static IOverlayBuilder AddIPIPBackend(this IOverlayBuilder builder, Action<IPIPBackendOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new IPIPBackendOptions();
        configure(options);
        return builder.AddBackend(new IPIPBackend(options));
    }
}
