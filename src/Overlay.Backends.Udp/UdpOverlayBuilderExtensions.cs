using Overlay.Backends.Udp;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the udp backend.</summary>
public static class UdpOverlayBuilderExtensions
{
    /// <summary>Adds the udp backend (type <c>udp</c>) with default options.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">The backend is registered already.</exception>
    public static IOverlayBuilder AddUdpBackend(this IOverlayBuilder builder) => builder.AddBackend<UdpBackend>();

    /// <summary>Adds the udp backend (type <c>udp</c>) with the given host-side options.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">The backend is registered already (add it once, with its options).</exception>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static IOverlayBuilder AddUdpBackend(this IOverlayBuilder builder, Action<UdpBackendOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new UdpBackendOptions();
        configure(options);
        options.Validate(); // a bad option fails here, naming it, rather than at the first registration
        return builder.AddBackend(new UdpBackend(options));
    }
}
