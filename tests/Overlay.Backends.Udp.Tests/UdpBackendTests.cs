using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Overlay.Subnets;

namespace Overlay.Backends.Udp.Tests;

/// <summary>What the backend decides before it touches the kernel: no root needed.</summary>
public sealed class UdpBackendTests
{
    private static NetworkRegistration Registration(string netconf, InMemorySubnetRegistry registry, IPAddress? address = null) =>
        new(NetworkConfig.Parse(netconf), new ExternalInterface("eth0", 2, 1500) { Address = address ?? IPAddress.Parse("198.18.1.1"), PublicIP = address ?? IPAddress.Parse("198.18.1.1") }, registry);

    [Fact]
    public async Task An_invalid_port_fails_before_a_lease_is_taken()
    {
        const string NetConf = "{\"Network\":\"198.19.0.0/16\",\"Backend\":{\"Type\":\"udp\",\"Port\":70000}}";
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(NetConf));
        var ex = await Assert.ThrowsAsync<BackendConfigException>(() => new UdpBackend().RegisterNetworkAsync(Registration(NetConf, registry), TestContext.Current.CancellationToken).AsTask());
        Assert.Equal("Backend.Port", ex.JsonPath);
        await AssertNoLeaseAsync(registry);
    }

    [Fact]
    public async Task IPv6_is_refused_because_the_wire_format_is_ipv4_only()
    {
        const string NetConf = "{\"Network\":\"198.19.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"2001:db8:19::/48\",\"Backend\":{\"Type\":\"udp\"}}";
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(NetConf));
        var ex = await Assert.ThrowsAsync<NetworkRegistrationException>(() => new UdpBackend().RegisterNetworkAsync(Registration(NetConf, registry), TestContext.Current.CancellationToken).AsTask());
        Assert.Contains("IPv4 only", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
        Assert.Equal("udp", ex.BackendType);
        await AssertNoLeaseAsync(registry);
    }

    [Fact]
    public async Task An_interface_without_ipv4_is_refused()
    {
        const string NetConf = "{\"Network\":\"198.19.0.0/16\",\"Backend\":{\"Type\":\"udp\"}}";
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(NetConf));
        var ex = await Assert.ThrowsAsync<NetworkRegistrationException>(() => new UdpBackend().RegisterNetworkAsync(Registration(NetConf, registry, IPAddress.Parse("2001:db8:18::1")), TestContext.Current.CancellationToken).AsTask());
        Assert.Contains("IPv4 address", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a-name-longer-than-15")]
    public async Task Invalid_device_names_are_refused(string name)
    {
        const string NetConf = "{\"Network\":\"198.19.0.0/16\",\"Backend\":{\"Type\":\"udp\"}}";
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(NetConf));
        var backend = new UdpBackend(new UdpBackendOptions { DeviceName = name });
        await Assert.ThrowsAnyAsync<ArgumentException>(() => backend.RegisterNetworkAsync(Registration(NetConf, registry), TestContext.Current.CancellationToken).AsTask());
    }

    [Fact]
    public void Options_default_to_flannels_device_template_and_offloads()
    {
        var options = new UdpBackendOptions();
        Assert.Equal("flannel%d", options.DeviceName);
        Assert.True(options.Offloads);
        Assert.InRange(options.Queues, 1, 4);
        Assert.Equal(Overlay.Encap.UdpTunnelOptions.DefaultBusyPoll, options.BusyPoll);
    }

    [Fact]
    public async Task Negative_busy_poll_is_rejected_naming_the_option()
    {
        const string NetConf = "{\"Network\":\"198.19.0.0/16\",\"Backend\":{\"Type\":\"udp\"}}";
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(NetConf));
        var backend = new UdpBackend(new UdpBackendOptions { BusyPoll = TimeSpan.FromMicroseconds(-1) });
        ArgumentOutOfRangeException e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => backend.RegisterNetworkAsync(Registration(NetConf, registry), TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(nameof(UdpBackendOptions.BusyPoll), e.ParamName);
    }

    [Fact]
    public void AddUdpBackend_registers_the_type_once_and_a_second_call_is_an_error()
    {
        var services = new ServiceCollection();
        IOverlayBuilder builder = services.AddOverlayBackends().AddUdpBackend();
        Assert.Throws<InvalidOperationException>(() => builder.AddUdpBackend());
        Assert.Throws<InvalidOperationException>(() => builder.AddUdpBackend(o => o.Queues = 2)); // its options would be lost
        using ServiceProvider provider = services.BuildServiceProvider();
        BackendRegistry registry = provider.GetRequiredService<BackendRegistry>();
        Assert.True(registry.TryGet("UDP", out IOverlayBackend? backend));
        Assert.IsType<UdpBackend>(backend);
        Assert.Single(provider.GetServices<IOverlayBackend>());
    }

    [Fact]
    public void AddUdpBackend_with_options_uses_them()
    {
        UdpBackendOptions? configured = null;
        var services = new ServiceCollection();
        services.AddOverlayBackends().AddUdpBackend(o =>
        {
            o.Queues = 1;
            o.DeviceName = "ovltest%d";
            o.Offloads = false;
            o.BatchSize = 7;
            o.BusyPoll = TimeSpan.Zero;
            configured = o;
        });
        using ServiceProvider provider = services.BuildServiceProvider();
        UdpBackend backend = Assert.IsType<UdpBackend>(provider.GetRequiredService<BackendRegistry>().Get("udp"));

        // The backend registers networks with exactly the options the delegate set.
        Assert.NotNull(configured);
        Assert.Same(configured, backend.Options);
        Assert.Equal(1, backend.Options.Queues);
        Assert.Equal("ovltest%d", backend.Options.DeviceName);
        Assert.False(backend.Options.Offloads);
        Assert.Equal(7, backend.Options.BatchSize);
        Assert.Equal(TimeSpan.Zero, backend.Options.BusyPoll);
    }

    [Fact]
    public void AddUdpBackend_validates_its_options_at_the_call_naming_the_bad_one()
    {
        // Observable without internals: an invalid option fails AddUdpBackend itself, naming the option.
        var services = new ServiceCollection();
        IOverlayBuilder builder = services.AddOverlayBackends();

        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddUdpBackend(o => o.BatchSize = 0));

        Assert.Equal(nameof(UdpBackendOptions.BatchSize), e.ParamName);
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IOverlayBackend));
    }

    [Fact]
    public void Event_ids_lie_in_the_udp_range()
    {
        int[] ids = [.. typeof(UdpEventIds).GetFields().Select(f => (int)f.GetRawConstantValue()!)];
        Assert.All(ids, id => Assert.InRange(id, 4300, 4399));
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    private static async Task AssertNoLeaseAsync(InMemorySubnetRegistry registry)
    {
        await using IAsyncEnumerator<LeaseEventBatch> watch = registry.WatchLeasesAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        Assert.True(await watch.MoveNextAsync());
        Assert.Empty(watch.Current.Events);
    }
}
