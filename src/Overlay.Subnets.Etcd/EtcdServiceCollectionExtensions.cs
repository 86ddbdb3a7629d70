using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Subnets;
using Overlay.Subnets.Etcd;
using Overlay.Subnets.Etcd.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the etcd subnet registry in a service collection.</summary>
public static class EtcdServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="EtcdSubnetRegistry"/> as the container's <see cref="ISubnetRegistry"/>
    /// (a singleton, also resolvable as <see cref="EtcdSubnetRegistry"/> — for example to seed the
    /// network configuration with <see cref="EtcdSubnetRegistry.SetNetworkConfigAsync(NetworkConfig, bool, CancellationToken)"/> —
    /// and disposed with the container), built from <see cref="IOptions{TOptions}"/> of
    /// <see cref="EtcdSubnetRegistryOptions"/> and the container's <see cref="ILoggerFactory"/>.
    /// </summary>
    /// <remarks>
    /// The options are validated on start (<c>ValidateOnStart</c>): an invalid setting fails the
    /// host's start with an <see cref="OptionsValidationException"/> whose message names the setting
    /// (<c>EtcdSubnetRegistryOptions.CertificateFile: …</c>) and never contains the password. The
    /// options can also be configured elsewhere (<c>services.Configure&lt;EtcdSubnetRegistryOptions&gt;(…)</c>,
    /// or bound from configuration by the host). A registry registered later
    /// (<c>UseSubnetRegistry</c>, <c>UseNetConfFile</c>) replaces this one, and this one replaces an
    /// earlier one: the last registration wins. Calling this method again only adds
    /// <paramref name="configure"/>.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (endpoints, prefix, TLS files, user); the defaults
    /// are flannel's (<c>http://127.0.0.1:2379</c>, <c>/coreos.com/network</c>).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddEtcdSubnetRegistry(this IServiceCollection services, Action<EtcdSubnetRegistryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<EtcdSubnetRegistryOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EtcdSubnetRegistryOptions>, EtcdSubnetRegistryOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(sp => new EtcdSubnetRegistry(
            sp.GetRequiredService<IOptions<EtcdSubnetRegistryOptions>>().Value,
            sp.GetService<ILoggerFactory>()));
        services.Replace(ServiceDescriptor.Singleton<ISubnetRegistry>(sp => sp.GetRequiredService<EtcdSubnetRegistry>()));
        return services;
    }
}
