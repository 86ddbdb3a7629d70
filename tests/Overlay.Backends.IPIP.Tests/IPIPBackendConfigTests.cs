using System.Text.Json;

namespace Overlay.Backends.IPIP.Tests;

public sealed class IPIPBackendConfigTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void Absent_backend_and_absent_members_take_flannels_defaults()
    {
        IPIPBackendConfig none = IPIPBackendConfig.Parse(null);
        Assert.False(none.DirectRouting);
        Assert.True(none.CheckSenderAddress);
        IPIPBackendConfig typeOnly = IPIPBackendConfig.Parse(Json("{\"Type\":\"ipip\"}"));
        Assert.False(typeOnly.DirectRouting);
        Assert.Equal("ipip", typeOnly.Type);
    }

    [Theory]
    [InlineData("{\"DirectRouting\":true}")]
    [InlineData("{\"directrouting\":true}")]
    [InlineData("{\"DIRECTROUTING\":true}")]
    public void Members_match_case_insensitively(string json) => Assert.True(IPIPBackendConfig.Parse(Json(json)).DirectRouting);

    [Fact]
    public void Null_keeps_the_default_and_unknown_members_are_kept()
    {
        IPIPBackendConfig config = IPIPBackendConfig.Parse(Json("{\"Type\":\"ipip\",\"DirectRouting\":null,\"CheckSenderAddress\":null,\"Future\":[1,2]}"));
        Assert.False(config.DirectRouting);
        Assert.True(config.CheckSenderAddress);
        Assert.Contains("\"Future\":[1,2]", config.ToJson(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"DirectRouting\":\"yes\"}", "DirectRouting")]
    [InlineData("{\"CheckSenderAddress\":1}", "CheckSenderAddress")]
    public void A_wrong_type_is_an_error_naming_the_member(string json, string member)
    {
        BackendConfigException ex = Assert.Throws<BackendConfigException>(() => IPIPBackendConfig.Parse(Json(json)));
        Assert.Equal("ipip", ex.BackendType);
        Assert.Contains(member, ex.JsonPath ?? ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Sender_check_can_be_switched_off_for_nat() =>
        Assert.False(IPIPBackendConfig.Parse(Json("{\"checksenderaddress\":false}")).CheckSenderAddress);
}
