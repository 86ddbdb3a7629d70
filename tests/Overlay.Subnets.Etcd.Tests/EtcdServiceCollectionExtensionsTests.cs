using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Subnets.Etcd.Tests.Support;
using Overlay.Testing;

namespace Overlay.Subnets.Etcd.Tests;

/// <summary><c>AddEtcdSubnetRegistry</c>: the container builds the registry from validated options
/// and its own logger factory, and disposes it. No etcd needed: nothing is sent until an operation.</summary>
public sealed class EtcdServiceCollectionExtensionsTests
{
    private const string Secret = "Pa55-w0rd-never-shown";

    [Fact]
    public async Task Valid_options_resolve_an_EtcdSubnetRegistry_built_from_them_and_the_containers_logger_factory()
    {
        var logs = new ListLogger();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddEtcdSubnetRegistry(o =>
        {
            o.Endpoints = ["http://127.0.0.1:1"];
            o.Prefix = "/ovl-di/network/";
            o.Username = "ovl";
            o.Password = Secret;
        });
        EtcdSubnetRegistry registry;
        await using (ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }))
        {
            registry = Assert.IsType<EtcdSubnetRegistry>(provider.GetRequiredService<ISubnetRegistry>());
            Assert.Same(registry, provider.GetRequiredService<EtcdSubnetRegistry>());
            Assert.Same(registry, provider.GetRequiredService<ISubnetRegistry>()); // a singleton
            Assert.Equal("/ovl-di/network", registry.Prefix);
            Assert.Equal("/ovl-di/network/config", registry.ConfigKey);
            Assert.Equal(["http://127.0.0.1:1"], provider.GetRequiredService<IOptions<EtcdSubnetRegistryOptions>>().Value.Endpoints);

            // The registry logs through the container's factory (here: the plain-HTTP warning at creation).
            Assert.Contains(logs.Entries, e => e.EventId.Id == EtcdEventIds.InsecureEndpoint && e.Message.Contains("http://127.0.0.1:1"));
        }

        // Disposed with the container.
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await registry.GetNetworkConfigAsync(TestContext.Current.CancellationToken));
        Assert.DoesNotContain(Secret, logs.AllText);
    }

    [Fact]
    public void Without_configure_the_defaults_are_flannels()
    {
        var logs = new ListLogger();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddEtcdSubnetRegistry();
        using ServiceProvider provider = services.BuildServiceProvider();
        var registry = (EtcdSubnetRegistry)provider.GetRequiredService<ISubnetRegistry>();
        Assert.Equal(EtcdSubnetRegistryOptions.DefaultPrefix, registry.Prefix);
        Assert.Empty(provider.GetRequiredService<IOptions<EtcdSubnetRegistryOptions>>().Value.Endpoints); // empty: the default endpoint
        Assert.Contains(logs.Entries, e => e.EventId.Id == EtcdEventIds.InsecureEndpoint && e.Message.Contains(EtcdSubnetRegistryOptions.DefaultEndpoint));
    }

    [Fact]
    public async Task Options_bound_from_configuration_replace_the_defaults_and_are_validated_on_start()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Etcd:Endpoints:0"] = "http://127.0.0.1:1",
            ["Etcd:Endpoints:1"] = "http://127.0.0.1:2",
            ["Etcd:Prefix"] = "/ovl-bound/network",
            ["Etcd:RequestTimeout"] = "00:00:03",
        });
        builder.Services.AddOptions<EtcdSubnetRegistryOptions>().BindConfiguration("Etcd");
        builder.Services.AddEtcdSubnetRegistry();
        using (IHost host = builder.Build())
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
            EtcdSubnetRegistryOptions options = host.Services.GetRequiredService<IOptions<EtcdSubnetRegistryOptions>>().Value;
            Assert.Equal(["http://127.0.0.1:1", "http://127.0.0.1:2"], options.Endpoints); // not appended to a default
            Assert.Equal(TimeSpan.FromSeconds(3), options.RequestTimeout);
            Assert.Equal("/ovl-bound/network", ((EtcdSubnetRegistry)host.Services.GetRequiredService<ISubnetRegistry>()).Prefix);
            await host.StopAsync(TestContext.Current.CancellationToken);
        }

        builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Etcd:Password"] = Secret, ["Etcd:LeaseTtl"] = "00:00:00.5" });
        builder.Services.AddOptions<EtcdSubnetRegistryOptions>().BindConfiguration("Etcd");
        builder.Services.AddEtcdSubnetRegistry();
        using (IHost host = builder.Build())
        {
            OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
            Assert.Contains("EtcdSubnetRegistryOptions.Username: Username and Password must be given together.", ex.Message);
            Assert.Contains("EtcdSubnetRegistryOptions.LeaseTtl: LeaseTtl must be at least 1 second", ex.Message);
            Assert.DoesNotContain(Secret, ex.ToString());
        }
    }

    [Fact]
    public void Calling_it_twice_keeps_one_registry_and_applies_both_configurations()
    {
        var services = new ServiceCollection();
        services.AddEtcdSubnetRegistry(o => o.Prefix = "/first/network");
        services.AddEtcdSubnetRegistry(o => o.Endpoints = ["http://127.0.0.1:2"]);
        Assert.Single(services, d => d.ServiceType == typeof(ISubnetRegistry));
        Assert.Single(services, d => d.ServiceType == typeof(EtcdSubnetRegistry));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<EtcdSubnetRegistryOptions>));
        using ServiceProvider provider = services.BuildServiceProvider();
        EtcdSubnetRegistryOptions options = provider.GetRequiredService<IOptions<EtcdSubnetRegistryOptions>>().Value;
        Assert.Equal("/first/network", options.Prefix);
        Assert.Equal(["http://127.0.0.1:2"], options.Endpoints);
    }

    [Fact]
    public async Task Invalid_options_fail_the_hosts_start_naming_each_option_and_never_the_password()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddEtcdSubnetRegistry(o =>
        {
            o.Endpoints = ["https://127.0.0.1:2379"];
            o.CertificateFile = "/nonexistent/client.pem"; // without KeyFile
            o.Username = "ovl";
            o.Password = Secret;
            o.DialTimeout = TimeSpan.Zero;
        });
        using IHost host = builder.Build();

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Equal(typeof(EtcdSubnetRegistryOptions), ex.OptionsType);
        Assert.Contains("EtcdSubnetRegistryOptions.KeyFile: CertificateFile and KeyFile must be given together.", ex.Message);
        Assert.Contains("EtcdSubnetRegistryOptions.DialTimeout:", ex.Message);
        Assert.Equal(2, ex.Failures.Count());
        Assert.DoesNotContain(Secret, ex.ToString());
    }

    [Fact]
    public async Task Valid_options_let_the_host_start()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddEtcdSubnetRegistry(o => o.Endpoints = ["http://127.0.0.1:1"]);
        using IHost host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        Assert.IsType<EtcdSubnetRegistry>(host.Services.GetRequiredService<ISubnetRegistry>());
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Resolving_the_registry_with_invalid_options_fails_with_the_same_message()
    {
        var services = new ServiceCollection();
        services.AddEtcdSubnetRegistry(o => o.Prefix = "coreos.com/network");
        using ServiceProvider provider = services.BuildServiceProvider();
        OptionsValidationException ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ISubnetRegistry>());
        Assert.Equal("EtcdSubnetRegistryOptions.Prefix: The etcd prefix 'coreos.com/network' must start with '/'.", ex.Message);
    }

    [Theory]
    [InlineData("http://ovl:" + Secret + "@127.0.0.1:2379")]
    [InlineData("ovl:" + Secret + "@127.0.0.1:2379")]
    public async Task An_endpoint_with_a_password_in_it_is_rejected_without_echoing_it(string endpoint)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddEtcdSubnetRegistry(o => o.Endpoints = [endpoint]);
        using IHost host = builder.Build();
        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("EtcdSubnetRegistryOptions.Endpoints: An etcd endpoint must not carry user information", ex.Message);
        Assert.DoesNotContain(Secret, ex.ToString());
    }

    [Fact]
    public void Validate_throws_the_first_failure_the_validator_reports()
    {
        var options = new EtcdSubnetRegistryOptions { Username = "ovl", RequestTimeout = TimeSpan.Zero, MaxAcquireAttempts = 0 };
        ArgumentException first = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal("Password", first.ParamName);

        var services = new ServiceCollection();
        services.AddEtcdSubnetRegistry(o => (o.Username, o.RequestTimeout, o.MaxAcquireAttempts) = ("ovl", TimeSpan.Zero, 0));
        using ServiceProvider provider = services.BuildServiceProvider();
        OptionsValidationException all = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EtcdSubnetRegistryOptions>>().Value);
        Assert.Equal(
            ["EtcdSubnetRegistryOptions.Password: Username and Password must be given together.",
             "EtcdSubnetRegistryOptions.RequestTimeout: RequestTimeout must be positive; it is 00:00:00.",
             "EtcdSubnetRegistryOptions.MaxAcquireAttempts: MaxAcquireAttempts must be at least 1; it is 0."],
            all.Failures);
    }
}
