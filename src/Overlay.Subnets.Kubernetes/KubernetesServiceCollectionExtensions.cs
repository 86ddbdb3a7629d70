using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Subnets;
using Overlay.Subnets.Kubernetes;
using Overlay.Subnets.Kubernetes.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the Kubernetes subnet registry in a service collection.</summary>
public static class KubernetesServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="KubernetesSubnetRegistry"/> as the container's <see cref="ISubnetRegistry"/>
    /// (a singleton, also resolvable as <see cref="KubernetesSubnetRegistry"/>, disposed with the
    /// container), built from <see cref="IOptions{TOptions}"/> of <see cref="KubernetesSubnetRegistryOptions"/>
    /// and the container's <see cref="ILoggerFactory"/>.
    /// </summary>
    /// <remarks>
    /// The options are validated on start (<c>ValidateOnStart</c>): an invalid setting fails the
    /// host's start with an <see cref="OptionsValidationException"/> whose message names the setting
    /// (<c>KubernetesSubnetRegistryOptions.AnnotationPrefix: …</c>). A registry registered later
    /// replaces this one, and this one replaces an earlier one: the last registration wins. Calling
    /// this method a second time is an error.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (node name, API server or kubeconfig, annotation
    /// prefix, net-conf.json path). Start from flanneld's environment with
    /// <see cref="KubernetesSubnetRegistryOptions.FromEnvironment"/> values if wanted.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="InvalidOperationException">The registry is registered already.</exception>
    public static IServiceCollection AddKubernetesSubnetRegistry(this IServiceCollection services, Action<KubernetesSubnetRegistryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(KubernetesSubnetRegistry)))
        {
            throw new InvalidOperationException("AddKubernetesSubnetRegistry was called twice; configure the options in one call (or with services.Configure<KubernetesSubnetRegistryOptions>).");
        }

        services.AddOptions<KubernetesSubnetRegistryOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KubernetesSubnetRegistryOptions>, OptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.AddSingleton(sp => new KubernetesSubnetRegistry(
            sp.GetRequiredService<IOptions<KubernetesSubnetRegistryOptions>>().Value,
            sp.GetService<ILoggerFactory>()));
        services.Replace(ServiceDescriptor.Singleton<ISubnetRegistry>(sp => sp.GetRequiredService<KubernetesSubnetRegistry>()));
        return services;
    }
}
