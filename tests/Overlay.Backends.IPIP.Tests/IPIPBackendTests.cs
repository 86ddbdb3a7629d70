using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Backends.IPIP.Internal;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.IPIP.Tests;

/// <summary>What the backend decides before it touches the kernel, and the data-path choice against the fake kernel.</summary>
public sealed class IPIPBackendTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NetworkRegistration Registration(string netconf, InMemorySubnetRegistry registry, IPAddress? address = null) =>
        new(NetworkConfig.Parse(netconf), new ExternalInterface("eth0", 2, 1500)
        {
            Address = address ?? IPAddress.Parse("198.18.1.1"),
            PublicIP = address ?? IPAddress.Parse("198.18.1.1"),
            PublicIPv6 = IPAddress.Parse("2001:db8:18::1"),
        }, registry);

    private static IPIPDevice Device(FakeIPIPKernel kernel) =>
        new(kernel, "flannel.ipip", IPAddress.Parse("198.18.1.1"), 1480, NetworkConfig.Parse("{\"Network\":\"198.19.0.0/16\"}"), NullLogger.Instance);

    [Fact]
    public async Task An_ipv6_only_network_is_a_clear_permanent_error_before_any_lease()
    {
        const string NetConf = "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"2001:db8:19::/48\",\"Backend\":{\"Type\":\"ipip\"}}";
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(NetConf));
        var ex = await Assert.ThrowsAsync<NetworkRegistrationException>(() => new IPIPBackend().RegisterNetworkAsync(Registration(NetConf, registry), Ct).AsTask());
        Assert.Contains("IPv4 only", ex.Message, StringComparison.Ordinal);
        Assert.Contains("IPv6-only", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
        Assert.Equal("ipip", ex.BackendType);
    }

    [Fact]
    public async Task An_interface_without_ipv4_is_refused()
    {
        const string NetConf = "{\"Network\":\"198.19.0.0/16\",\"Backend\":{\"Type\":\"ipip\"}}";
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(NetConf));
        var ex = await Assert.ThrowsAsync<NetworkRegistrationException>(() => new IPIPBackend().RegisterNetworkAsync(Registration(NetConf, registry, IPAddress.Parse("2001:db8:18::1")), Ct).AsTask());
        Assert.Contains("IPv4 address", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_config_member_fails_naming_it()
    {
        const string NetConf = "{\"Network\":\"198.19.0.0/16\",\"Backend\":{\"Type\":\"ipip\",\"DirectRouting\":\"yes\"}}";
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(NetConf));
        var ex = await Assert.ThrowsAsync<BackendConfigException>(() => new IPIPBackend().RegisterNetworkAsync(Registration(NetConf, registry), Ct).AsTask());
        Assert.Contains("DirectRouting", ex.JsonPath ?? ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_kernel_ipip_the_probe_chooses_user_space()
    {
        var kernel = new FakeIPIPKernel { HasIPIP = false };
        Assert.True(await new IPIPBackend().PrepareAsync(kernel, Device(kernel), NullLogger.Instance, Ct));
        Assert.Contains(kernel.Requests, r => r.StartsWith("link add flannel.ipip type ipip", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_kernel_ipip_the_probe_keeps_the_kernel_device()
    {
        var kernel = new FakeIPIPKernel();
        Assert.False(await new IPIPBackend().PrepareAsync(kernel, Device(kernel), NullLogger.Instance, Ct));
        Assert.True(kernel.Links.ContainsKey("flannel.ipip"));
    }

    [Fact]
    public async Task Forcing_the_kernel_data_path_without_kernel_ipip_is_a_permanent_error_with_the_probe_reason()
    {
        var kernel = new FakeIPIPKernel { HasIPIP = false };
        var backend = new IPIPBackend(new IPIPBackendOptions { DataPath = IPIPDataPath.Kernel });
        var ex = await Assert.ThrowsAsync<NetworkRegistrationException>(() => backend.PrepareAsync(kernel, Device(kernel), NullLogger.Instance, Ct).AsTask());
        Assert.False(ex.IsTransient);
        Assert.Contains("EOPNOTSUPP", ex.Message, StringComparison.Ordinal);
        Assert.IsType<NetlinkException>(ex.InnerException);
    }

    [Fact]
    public async Task Forced_user_space_refuses_an_existing_device_of_that_name_and_never_deletes_it()
    {
        var kernel = new FakeIPIPKernel();
        kernel.AddLink("flannel.ipip", "ipip", new IPIPLinkSpec { Name = "flannel.ipip" });
        var backend = new IPIPBackend(new IPIPBackendOptions { DataPath = IPIPDataPath.UserSpace });
        var ex = await Assert.ThrowsAsync<NetworkRegistrationException>(() => backend.PrepareAsync(kernel, Device(kernel), NullLogger.Instance, Ct).AsTask());
        Assert.Contains("flannel.ipip", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(kernel.Requests, r => r.StartsWith("link del", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Forced_user_space_looks_for_tunl0()
    {
        var kernel = new FakeIPIPKernel();
        kernel.AddLink("tunl0", "ipip", new IPIPLinkSpec { Name = "tunl0" });
        var backend = new IPIPBackend(new IPIPBackendOptions { DataPath = IPIPDataPath.UserSpace });
        Assert.True(await backend.PrepareAsync(kernel, Device(kernel), NullLogger.Instance, Ct));
        Assert.Equal(["link get flannel.ipip", "link get tunl0"], kernel.Requests);
    }

    [Fact]
    public void AddIPIPBackend_registers_the_type_once_and_a_second_call_is_an_error()
    {
        var services = new ServiceCollection();
        IOverlayBuilder builder = services.AddOverlayBackends().AddIPIPBackend();
        Assert.Throws<InvalidOperationException>(() => builder.AddIPIPBackend());
        Assert.Throws<InvalidOperationException>(() => builder.AddIPIPBackend(o => { })); // its options would be lost
        using ServiceProvider provider = services.BuildServiceProvider();
        BackendRegistry registry = provider.GetRequiredService<BackendRegistry>();
        Assert.True(registry.TryGet("IPIP", out IOverlayBackend? backend));
        Assert.IsType<IPIPBackend>(backend);
        Assert.Single(provider.GetServices<IOverlayBackend>());
    }

    [Fact]
    public void Event_ids_lie_in_the_ipip_range()
    {
        int[] ids = [.. typeof(IPIPEventIds).GetFields().Select(f => (int)f.GetRawConstantValue()!)];
        Assert.All(ids, id => Assert.InRange(id, 4400, 4499));
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }
}
