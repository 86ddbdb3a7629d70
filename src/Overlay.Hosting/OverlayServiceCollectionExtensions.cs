using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Overlay.Backends;
using Overlay.Hosting;
using Overlay.Subnets;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the Overlay agent in a service collection.</summary>
public static class OverlayServiceCollectionExtensions
{
    /// <summary>
    /// Registers the agent: <see cref="OverlayAgentOptions"/> (validated on start), the backend
    /// registry, an <see cref="OverlayAgent"/> singleton and a hosted service (<c>IHostedService</c>)
    /// that runs it. Add backends (<c>.AddHostGwBackend()</c>) and a registry
    /// (<see cref="UseSubnetRegistry(IOverlayBuilder, ISubnetRegistry)"/>,
    /// <see cref="UseNetConfFile"/>) on the returned builder.
    /// </summary>
    public static IOverlayBuilder AddOverlay(this IServiceCollection services, Action<OverlayAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<OverlayAgentOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OverlayAgentOptions>, OverlayAgentOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new OverlayAgent(
            sp.GetService<ISubnetRegistry>() ?? throw new InvalidOperationException(
                "No subnet registry is registered: call UseNetConfFile(path) or UseSubnetRegistry(registry) on the builder that AddOverlay returns."),
            sp.GetRequiredService<BackendRegistry>(),
            sp.GetRequiredService<IOptions<OverlayAgentOptions>>().Value,
            sp.GetService<IMasqueradeHook>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OverlayAgentService>());
        return services.AddOverlayBackends();
    }

    /// <summary>Uses <paramref name="registry"/> (shared, not disposed by the container).</summary>
    public static IOverlayBuilder UseSubnetRegistry(this IOverlayBuilder builder, ISubnetRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(registry);
        builder.Services.Replace(ServiceDescriptor.Singleton(registry));
        return builder;
    }

    /// <summary>Uses the registry that <paramref name="factory"/> creates.</summary>
    public static IOverlayBuilder UseSubnetRegistry(this IOverlayBuilder builder, Func<IServiceProvider, ISubnetRegistry> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        return builder;
    }

    /// <summary>
    /// Uses an embedded <see cref="InMemorySubnetRegistry"/> configured from a net-conf.json file
    /// (flanneld's <c>--net-config-path</c>), read when the agent is created. Leases then live in this
    /// process only: fine for one node or for several agents in one process, until the etcd and
    /// Kubernetes registries are used.
    /// </summary>
    public static IOverlayBuilder UseNetConfFile(this IOverlayBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(path);
        return builder.UseSubnetRegistry(sp =>
        {
            ILoggerFactory loggerFactory = sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            NetworkConfig config = NetworkConfig.Parse(File.ReadAllText(path), loggerFactory.CreateLogger("Overlay.Hosting.NetConf"));
            return new InMemorySubnetRegistry(config, null, sp.GetService<TimeProvider>(), loggerFactory);
        });
    }

    /// <summary>Registers the masquerade implementation called when <see cref="OverlayAgentOptions.IPMasq"/> is on.</summary>
    public static IOverlayBuilder UseMasquerade<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] THook>(this IOverlayBuilder builder)
        where THook : class, IMasqueradeHook
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IMasqueradeHook, THook>());
        return builder;
    }
}
