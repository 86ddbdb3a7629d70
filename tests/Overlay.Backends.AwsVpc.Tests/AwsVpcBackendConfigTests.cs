using System.Text.Json;

namespace Overlay.Backends.AwsVpc.Tests;

/// <summary>RouteTableID with flannel's rules.</summary>
public sealed class AwsVpcBackendConfigTests
{
    private static AwsVpcBackendConfig Parse(string json) => AwsVpcBackendConfig.Parse(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void RouteTableID_is_a_string_an_array_or_absent()
    {
        Assert.Equal(["rtb-1"], Parse("""{"Type":"aws-vpc","RouteTableID":"rtb-1"}""").RouteTableIds);
        Assert.Equal(["rtb-1", "rtb-2"], Parse("""{"Type":"aws-vpc","routetableid":["rtb-1","rtb-2"]}""").RouteTableIds);
        Assert.Empty(Parse("""{"Type":"aws-vpc"}""").RouteTableIds);
        Assert.Empty(Parse("""{"Type":"aws-vpc","RouteTableID":null}""").RouteTableIds);
        Assert.Empty(AwsVpcBackendConfig.Parse(null).RouteTableIds);
    }

    [Theory]
    [InlineData("""{"RouteTableID":5}""", "Backend.RouteTableID")]
    [InlineData("""{"RouteTableID":{"a":1}}""", "Backend.RouteTableID")]
    [InlineData("""{"RouteTableID":["rtb-1",7]}""", "Backend.RouteTableID[1]")]
    [InlineData("""{"RouteTableID":""}""", "Backend.RouteTableID")]
    [InlineData("""{"RouteTableID":["rtb-1",""]}""", "Backend.RouteTableID[1]")]
    public void Anything_else_is_an_error_naming_the_member(string json, string member)
    {
        var error = Assert.Throws<BackendConfigException>(() => Parse(json));
        Assert.Contains(member, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_members_round_trip()
    {
        AwsVpcBackendConfig config = Parse("""{"Type":"aws-vpc","RouteTableID":"rtb-1","Extra":true}""");
        Assert.True(config.AdditionalMembers!.ContainsKey("Extra"));
    }

    [Fact]
    public void Options_name_the_bad_member()
    {
        var error = Assert.Throws<ArgumentException>(() => new AwsVpcBackendOptions { AccessKeyId = "AKID" }.Validate());
        Assert.Equal("SecretAccessKey", error.ParamName);
        Assert.DoesNotContain("secret", new AwsVpcBackendOptions { AccessKeyId = "AKID", SecretAccessKey = "secret" }.ToString(), StringComparison.Ordinal);
    }
}
