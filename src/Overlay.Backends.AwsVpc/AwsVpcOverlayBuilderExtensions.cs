using Overlay.Backends.AwsVpc;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the aws-vpc backend.</summary>
public static class AwsVpcOverlayBuilderExtensions
{
    /// <summary>Adds the aws-vpc backend (type <c>aws-vpc</c>) with default options: real endpoints and the SDK's credential chain.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">The backend is registered already.</exception>
    public static IOverlayBuilder AddAwsVpcBackend(this IOverlayBuilder builder) => builder.AddBackend<AwsVpcBackend>();

    /// <summary>Adds the aws-vpc backend (type <c>aws-vpc</c>) with the node's endpoints, credentials and engine settings.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">The backend is registered already (add it once, with its options).</exception>
    public static IOverlayBuilder AddAwsVpcBackend(this IOverlayBuilder builder, Action<AwsVpcBackendOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new AwsVpcBackendOptions();
        configure(options);
        return builder.AddBackend(new AwsVpcBackend(options));
    }
}
