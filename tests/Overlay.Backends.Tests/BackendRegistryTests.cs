using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Overlay.Backends.Alloc;
using Overlay.Backends.HostGw;

namespace Overlay.Backends.Tests;

public sealed class BackendRegistryTests
{
    [Fact]
    public void Types_are_matched_case_insensitively()
    {
        var registry = new BackendRegistry().Add(new HostGwBackend()).Add(new AllocBackend());
        Assert.IsType<HostGwBackend>(registry.Get("HOST-GW"));
        Assert.IsType<AllocBackend>(registry.Get("alloc"));
        Assert.Equal(["alloc", "host-gw"], registry.Types);
    }

    [Fact]
    public void Unknown_type_lists_the_registered_ones()
    {
        var registry = new BackendRegistry().Add(new HostGwBackend()).Add(new AllocBackend());
        var ex = Assert.Throws<BackendConfigException>(() => registry.Get("vxlan"));
        Assert.Equal("Backend.Type", ex.JsonPath);
        Assert.Contains("unknown backend type 'vxlan'; registered: alloc, host-gw", ex.Message);
        Assert.Contains("Overlay.Backends.Vxlan", ex.Message);
        Assert.Contains("none is registered", Assert.Throws<BackendConfigException>(() => new BackendRegistry().Get("")).Message);
    }

    [Fact]
    public void Di_registration_fills_the_registry_and_a_second_registration_of_a_backend_is_an_error()
    {
        var services = new ServiceCollection();
        IOverlayBuilder builder = services.AddOverlayBackends().AddHostGwBackend().AddAllocBackend();

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddHostGwBackend());

        Assert.Contains("HostGwBackend is registered already", error.Message, StringComparison.Ordinal);
        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.Equal(["alloc", "host-gw"], provider.GetRequiredService<BackendRegistry>().Types);
    }

    [Fact]
    public void A_different_backend_for_a_taken_type_is_refused()
    {
        var registry = new BackendRegistry().Add(new HostGwBackend());
        Assert.Throws<InvalidOperationException>(() => registry.Add(new OtherHostGw()));
    }

    [Theory]
    [InlineData("""{"Type":"host-gw"}""")]
    [InlineData("""{"type":"host-gw","Name":"cbr0","DNSServerList":"1.1.1.1"}""")]
    [InlineData("null")]
    public void Host_gw_config_accepts_flannels_documents(string json)
    {
        HostGwBackendConfig config = HostGwBackendConfig.Parse(JsonDocument.Parse(json).RootElement);
        Assert.NotNull(config);
    }

    [Fact]
    public void Config_type_mismatch_names_the_member()
    {
        var ex = Assert.Throws<BackendConfigException>(() => HostGwBackendConfig.Parse(JsonDocument.Parse("""{"Type":5}""").RootElement));
        Assert.Equal("host-gw", ex.BackendType);
        Assert.Equal("Backend.Type", ex.JsonPath);
        Assert.Contains("Backend", Assert.Throws<BackendConfigException>(() => AllocBackendConfig.Parse(JsonDocument.Parse("[1]").RootElement)).Message);
    }

    private sealed class OtherHostGw : IOverlayBackend
    {
        public string Type => "host-gw";

        public ValueTask<IOverlayNetwork> RegisterNetworkAsync(NetworkRegistration registration, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
