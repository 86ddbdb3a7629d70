using System.Text.Json;

namespace Overlay.Backends.Udp.Tests;

public sealed class UdpBackendConfigTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void Absent_backend_and_absent_members_take_flannels_defaults()
    {
        UdpBackendConfig none = UdpBackendConfig.Parse(null);
        Assert.Equal(8285, none.Port);
        Assert.True(none.CheckSenderAddress);

        UdpBackendConfig typeOnly = UdpBackendConfig.Parse(Json("{\"Type\":\"udp\"}"));
        Assert.Equal(8285, typeOnly.Port);
        Assert.True(typeOnly.CheckSenderAddress);
        Assert.Equal("udp", typeOnly.Type);
    }

    [Theory]
    [InlineData("{\"Port\":9000}")]
    [InlineData("{\"port\":9000}")]
    [InlineData("{\"PORT\":9000}")]
    public void Members_match_case_insensitively(string json) => Assert.Equal(9000, UdpBackendConfig.Parse(Json(json)).Port);

    [Fact]
    public void Null_keeps_the_default_and_unknown_members_are_kept()
    {
        UdpBackendConfig config = UdpBackendConfig.Parse(Json("{\"Type\":\"udp\",\"Port\":null,\"Future\":[1,2]}"));
        Assert.Equal(8285, config.Port);
        Assert.NotNull(config.AdditionalMembers);
        Assert.Contains("\"Future\":[1,2]", config.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void Sender_check_can_be_switched_off_for_nat()
    {
        Assert.False(UdpBackendConfig.Parse(Json("{\"checksenderaddress\":false}")).CheckSenderAddress);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    public void Port_outside_1_to_65535_is_an_error_naming_the_member(int port)
    {
        var ex = Assert.Throws<BackendConfigException>(() => UdpBackendConfig.Parse(Json($"{{\"Port\":{port}}}")));
        Assert.Equal("Backend.Port", ex.JsonPath);
        Assert.Equal("udp", ex.BackendType);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(65535)]
    public void Port_bounds_are_accepted(int port) => Assert.Equal(port, UdpBackendConfig.Parse(Json($"{{\"Port\":{port}}}")).Port);

    [Theory]
    [InlineData("{\"Port\":\"8285\"}", "Backend.Port")]
    [InlineData("{\"CheckSenderAddress\":\"no\"}", "Backend.CheckSenderAddress")]
    public void A_wrong_json_type_is_an_error_naming_the_member(string json, string member)
    {
        var ex = Assert.Throws<BackendConfigException>(() => UdpBackendConfig.Parse(Json(json)));
        Assert.Equal(member, ex.JsonPath);
    }

    [Fact]
    public void Backend_that_is_not_an_object_is_an_error()
    {
        Assert.Throws<BackendConfigException>(() => UdpBackendConfig.Parse(Json("[1]")));
    }
}
