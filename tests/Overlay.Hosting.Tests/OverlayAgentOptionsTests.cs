using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Overlay.Backends.Alloc;
using Overlay.Backends.HostGw;
using Overlay.Subnets;

namespace Overlay.Hosting.Tests;

public sealed class OverlayAgentOptionsTests
{
    [Theory]
    [InlineData(1, true)]
    [InlineData(60, true)]
    [InlineData(1439, true)]
    [InlineData(0, false)]
    [InlineData(1440, false)]
    public void Renew_margin_must_be_1_to_1439_minutes(int minutes, bool valid)
    {
        var options = new OverlayAgentOptions { SubnetLeaseRenewMargin = TimeSpan.FromMinutes(minutes) };
        ValidateOptionsResult result = new OverlayAgentOptionsValidator().Validate(null, options);
        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Invalid subnet-lease-renew-margin option, out of acceptable range", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Defaults_are_flannels_except_the_health_address()
    {
        var options = new OverlayAgentOptions();
        Assert.True(new OverlayAgentOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal("/run/flannel/subnet.env", options.SubnetFilePath);
        Assert.Equal(TimeSpan.FromMinutes(60), options.SubnetLeaseRenewMargin);
        Assert.Equal(0, options.HealthzPort);
        Assert.Equal("127.0.0.1", options.HealthzIP);
        Assert.False(options.IPMasq);
        Assert.False(options.IPBlackholeRoute);
        Assert.NotEqual(options.Reconcile.RouteProtocol, options.BlackholeRouteProtocol);
    }

    [Theory]
    [InlineData("HealthzIP")]
    [InlineData("HealthzPort")]
    [InlineData("BlackholeRouteProtocol")]
    [InlineData("PublicIP")]
    [InlineData("PublicIPv6")]
    [InlineData("CanReach")]
    public void Invalid_values_are_reported(string what)
    {
        var options = new OverlayAgentOptions();
        switch (what)
        {
            case "HealthzIP": options.HealthzIP = "localhost"; break;
            case "HealthzPort": options.HealthzPort = 70000; break;
            case "BlackholeRouteProtocol": options.BlackholeRouteProtocol = options.Reconcile.RouteProtocol; break;
            case "PublicIP": options.ExternalInterface.PublicIP = "2001:db8::1"; break;
            case "PublicIPv6": options.ExternalInterface.PublicIPv6 = "198.18.0.1"; break;
            case "CanReach": options.ExternalInterface.CanReach = "gateway"; break;
        }

        ValidateOptionsResult result = new OverlayAgentOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(what, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Agent_constructor_rejects_invalid_options()
    {
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"10.5.0.0/16"}"""));
        Assert.Throws<OptionsValidationException>(() => new OverlayAgent(registry, new Backends.BackendRegistry(), new OverlayAgentOptions { HealthzPort = -1 }));
    }

    [Fact]
    public async Task AddOverlay_registers_the_agent_its_hosted_service_and_the_backends()
    {
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"10.5.0.0/16","Backend":{"Type":"host-gw"}}"""));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOverlay(o => o.SubnetFilePath = "/tmp/x/subnet.env").UseSubnetRegistry(registry).AddHostGwBackend().AddAllocBackend();
        await using ServiceProvider provider = services.BuildServiceProvider();

        OverlayAgent agent = provider.GetRequiredService<OverlayAgent>();
        Assert.Equal("/tmp/x/subnet.env", agent.Options.SubnetFilePath);
        OverlayAgentService service = Assert.IsType<OverlayAgentService>(Assert.Single(provider.GetServices<IHostedService>()));
        Assert.Same(agent, service.Agent);
        Assert.Equal(["alloc", "host-gw"], provider.GetRequiredService<Backends.BackendRegistry>().Types);
    }

    [Fact]
    public void AddOverlay_without_a_registry_says_how_to_add_one()
    {
        var services = new ServiceCollection();
        services.AddOverlay();
        using ServiceProvider provider = services.BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<OverlayAgent>());
        Assert.Contains("UseNetConfFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_fail_validation_through_the_options_pipeline()
    {
        var services = new ServiceCollection();
        services.AddOverlay(o => o.SubnetLeaseRenewMargin = TimeSpan.Zero);
        using ServiceProvider provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<OverlayAgentOptions>>().Value);
        Assert.Contains("subnet-lease-renew-margin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseNetConfFile_builds_an_in_memory_registry_from_the_file()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "net-conf.json");
        File.WriteAllText(path, """{"Network":"10.6.0.0/16","Backend":{"Type":"host-gw"}}""");
        var services = new ServiceCollection();
        services.AddOverlay().UseNetConfFile(path).AddHostGwBackend();
        await using ServiceProvider provider = services.BuildServiceProvider();
        ISubnetRegistry registry = provider.GetRequiredService<ISubnetRegistry>();
        Assert.IsType<InMemorySubnetRegistry>(registry);
        Assert.Equal(IPNetwork.Parse("10.6.0.0/16"), (await registry.GetNetworkConfigAsync(TestContext.Current.CancellationToken)).Network);
    }
}
