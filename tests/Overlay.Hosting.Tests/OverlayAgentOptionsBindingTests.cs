using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Overlay.Backends;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Hosting.Tests;

/// <summary>
/// <see cref="OverlayAgentOptions"/> is plain data: a host binds it from configuration (here an in-memory
/// provider standing in for appsettings.json or environment variables) and the agent validates it at start.
/// The node's network namespace is an option by name or path; options carry no handles.
/// </summary>
public sealed class OverlayAgentOptionsBindingTests
{
    private static IHost BuildHost(Dictionary<string, string?> settings, string netConf)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddOverlay().UseNetConfFile(netConf).AddHostGwBackend();
        builder.Services.AddOptions<OverlayAgentOptions>().BindConfiguration("Overlay");
        return builder.Build();
    }

    [Fact]
    public void Every_kind_of_member_binds_from_configuration_including_the_namespace()
    {
        using var dir = new TempDirectory();
        string netConf = Path.Combine(dir.Path, "net-conf.json");
        File.WriteAllText(netConf, """{"Network":"198.19.0.0/16","Backend":{"Type":"host-gw"}}""");
        using IHost host = BuildHost(new()
        {
            ["Overlay:SubnetFilePath"] = Path.Combine(dir.Path, "subnet.env"),
            ["Overlay:NetworkNamespace"] = "ovl-bound-node",
            ["Overlay:SubnetLeaseRenewMargin"] = "00:30:00",
            ["Overlay:HealthzIP"] = "127.0.0.2",
            ["Overlay:HealthzPort"] = "8471",
            ["Overlay:IPMasq"] = "false",
            ["Overlay:IPBlackholeRoute"] = "true",
            ["Overlay:ExternalInterface:Interfaces:0"] = "eth1",
            ["Overlay:ExternalInterface:InterfaceRegexes:0"] = "^ens",
            ["Overlay:ExternalInterface:PublicIP"] = "198.18.0.7",
            ["Overlay:Reconcile:RouteProtocol"] = "99",
            ["Overlay:Reconcile:FullReconcileInterval"] = "00:02:00",
            ["Overlay:NetlinkOptions:ReceiveBufferSize"] = "1048576",
        }, netConf);

        OverlayAgentOptions options = host.Services.GetRequiredService<IOptions<OverlayAgentOptions>>().Value;
        Assert.Equal(Path.Combine(dir.Path, "subnet.env"), options.SubnetFilePath);
        Assert.Equal("ovl-bound-node", options.NetworkNamespace);
        Assert.Equal(TimeSpan.FromMinutes(30), options.SubnetLeaseRenewMargin);
        Assert.Equal("127.0.0.2", options.HealthzIP);
        Assert.Equal(8471, options.HealthzPort);
        Assert.True(options.IPBlackholeRoute);
        Assert.Equal(["eth1"], options.ExternalInterface.Interfaces);
        Assert.Equal(["^ens"], options.ExternalInterface.InterfaceRegexes);
        Assert.Equal("198.18.0.7", options.ExternalInterface.PublicIP);
        Assert.Equal(99, options.Reconcile.RouteProtocol);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Reconcile.FullReconcileInterval);
        Assert.Equal(1048576, options.NetlinkOptions.ReceiveBufferSize);
        Assert.Null(options.NetlinkOptions.NetworkNamespace);

        // The agent the container builds runs with exactly these options.
        Assert.Same(options, host.Services.GetRequiredService<OverlayAgent>().Options);
    }

    [Fact]
    public async Task Invalid_bound_values_fail_the_host_start_naming_each_member()
    {
        using var dir = new TempDirectory();
        string netConf = Path.Combine(dir.Path, "net-conf.json");
        File.WriteAllText(netConf, """{"Network":"198.19.0.0/16","Backend":{"Type":"host-gw"}}""");
        using IHost host = BuildHost(new()
        {
            ["Overlay:SubnetFilePath"] = Path.Combine(dir.Path, "subnet.env"),
            ["Overlay:NetworkNamespace"] = "nodes/a",
            ["Overlay:SubnetLeaseRenewMargin"] = "1.00:00:00",
            ["Overlay:HealthzPort"] = "70000",
        }, netConf);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("NetworkNamespace 'nodes/a'", error.Message, StringComparison.Ordinal);
        Assert.Contains("subnet-lease-renew-margin", error.Message, StringComparison.Ordinal);
        Assert.Contains("HealthzPort 70000", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "subnet.env")));
    }

    [Theory]
    [InlineData("ovl-a", true)]
    [InlineData("/proc/1/ns/net", true)]
    [InlineData("/run/netns/ovl-a", true)]
    [InlineData("", false)]
    [InlineData("..", false)]
    [InlineData("netns/ovl-a", false)]
    public void A_namespace_is_a_name_or_an_absolute_path(string value, bool valid)
    {
        ValidateOptionsResult result = new OverlayAgentOptionsValidator().Validate(null, new OverlayAgentOptions { NetworkNamespace = value });
        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("NetworkNamespace", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_namespace_handle_in_the_options_is_rejected()
    {
        using NetworkNamespace current = NetworkNamespace.OpenCurrent();
        var options = new OverlayAgentOptions { NetlinkOptions = new NetlinkClientOptions { NetworkNamespace = current } };
        ValidateOptionsResult result = new OverlayAgentOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains("NetlinkOptions.NetworkNamespace", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Set NetworkNamespace", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_namespace_that_does_not_exist_fails_the_start_naming_the_option()
    {
        using var dir = new TempDirectory();
        string name = $"ovl-missing-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"198.19.0.0/16","Backend":{"Type":"host-gw"}}"""));
        await using var agent = new OverlayAgent(registry, new BackendRegistry(), new OverlayAgentOptions
        {
            SubnetFilePath = Path.Combine(dir.Path, "subnet.env"),
            NetworkNamespace = name,
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => agent.StartAsync(TestContext.Current.CancellationToken));
        Assert.StartsWith($"NetworkNamespace '{name}' cannot be opened", error.Message, StringComparison.Ordinal);
        Assert.Contains($"/run/netns/{name}", error.Message, StringComparison.Ordinal);
        Assert.Empty(await registry.GetLeasesAsync(TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(dir.Path, "subnet.env")));
    }
}
