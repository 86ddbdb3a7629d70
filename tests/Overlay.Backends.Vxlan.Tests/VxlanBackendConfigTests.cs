using System.Text.Json;

namespace Overlay.Backends.Vxlan.Tests;

public sealed class VxlanBackendConfigTests
{
    private static VxlanBackendConfig Parse(string json) => VxlanBackendConfig.Parse(JsonDocument.Parse(json).RootElement.Clone());

    [Theory]
    // flannel's Documentation/configuration.md and kube-flannel.yml
    [InlineData("{\"Type\":\"vxlan\"}", 1, null, 1500, false, false, false)]
    [InlineData("{\"Type\": \"vxlan\", \"DirectRouting\": true}", 1, null, 1500, false, false, true)]
    [InlineData("{\"Type\":\"vxlan\",\"VNI\":4096,\"Port\":4789}", 4096, (ushort)4789, 1500, false, false, false)]
    // flannel's fuzz seeds (pkg/backend/vxlan/fuzz_test.go)
    [InlineData("{}", 1, null, 1500, false, false, false)]
    [InlineData("{\"VNI\":1,\"Port\":8472}", 1, (ushort)8472, 1500, false, false, false)]
    [InlineData("{\"MTU\":1400,\"GBP\":true,\"DirectRouting\":true}", 1, null, 1400, true, false, true)]
    [InlineData("{\"Mac\":\"aa:bb:cc:dd:ee:ff\"}", 1, null, 1500, false, false, false)]
    // Go decoding: names case-insensitive, null keeps the default, Port 0 = kernel default
    [InlineData("{\"vni\":7,\"port\":0,\"mtu\":9000,\"gbp\":true,\"learning\":true,\"directrouting\":true}", 7, null, 9000, true, true, true)]
    [InlineData("{\"Directrouting\":true,\"Vni\":2}", 2, null, 1500, false, false, true)]
    [InlineData("{\"VNI\":null,\"Port\":null,\"MTU\":null,\"GBP\":null,\"Learning\":null,\"DirectRouting\":null}", 1, null, 1500, false, false, false)]
    [InlineData("{\"MTU\":0}", 1, null, 1500, false, false, false)]
    public void Parses_with_flannels_defaults_and_rules(string json, int vni, ushort? port, int mtu, bool gbp, bool learning, bool directRouting)
    {
        VxlanSettings s = Parse(json).Resolve(1500);
        Assert.Equal(new VxlanSettings(vni, port, mtu, gbp, learning, directRouting), s);
    }

    [Fact]
    public void Absent_or_null_backend_means_all_defaults()
    {
        Assert.Equal(new VxlanSettings(1, null, 1500, false, false, false), VxlanBackendConfig.Parse(null).Resolve(1500));
        Assert.Equal(new VxlanSettings(1, null, 1500, false, false, false), Parse("null").Resolve(1500));
    }

    [Fact]
    public void Device_names_and_MTUs_follow_the_VNI_and_the_underlay_family()
    {
        VxlanSettings s = Parse("{\"VNI\":42}").Resolve(9001);
        Assert.Equal("flannel.42", s.IPv4DeviceName);
        Assert.Equal("flannel-v6.42", s.IPv6DeviceName);
        Assert.Equal(8951, s.IPv4DeviceMtu);
        Assert.Equal(8931, s.IPv6DeviceMtu);
        Assert.Equal(8472, s.EffectivePort);
        Assert.Equal(4790, Parse("{\"Port\":4790}").Resolve(1500).EffectivePort);
    }

    [Theory]
    [InlineData("{\"VNI\":\"1\"}", "VNI")]
    [InlineData("{\"vni\":1.5}", "vni")]
    [InlineData("{\"Port\":\"8472\"}", "Port")]
    [InlineData("{\"MTU\":true}", "MTU")]
    [InlineData("{\"GBP\":\"true\"}", "GBP")]
    [InlineData("{\"Learning\":1}", "Learning")]
    [InlineData("{\"DirectRouting\":\"yes\"}", "DirectRouting")]
    [InlineData("{\"VNI\":99999999999}", "VNI")]
    public void A_type_mismatch_is_an_error_naming_the_member(string json, string member)
    {
        BackendConfigException ex = Assert.Throws<BackendConfigException>(() => Parse(json));
        Assert.Equal("vxlan", ex.BackendType);
        Assert.Equal("Backend." + member, ex.JsonPath);
        Assert.Contains(member, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"VNI\":-1}", "Backend.VNI")]
    [InlineData("{\"VNI\":16777216}", "Backend.VNI")]
    [InlineData("{\"Port\":-1}", "Backend.Port")]
    [InlineData("{\"Port\":65536}", "Backend.Port")]
    [InlineData("{\"MTU\":100}", "Backend.MTU")]
    [InlineData("{\"MTU\":70000}", "Backend.MTU")]
    public void Out_of_range_values_are_rejected_naming_the_member(string json, string path)
    {
        BackendConfigException ex = Assert.Throws<BackendConfigException>(() => Parse(json).Resolve(1500));
        Assert.Equal(path, ex.JsonPath);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_IPv6_device_below_1280_is_rejected()
    {
        BackendConfigException ex = Assert.Throws<BackendConfigException>(() => Parse("{\"MTU\":1300}").Resolve(1500, ipv6Overlay: true));
        Assert.Equal("Backend.MTU", ex.JsonPath);
        Assert.Contains("1280", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1300, Parse("{\"MTU\":1300}").Resolve(1500).UnderlayMtu); // fine for IPv4 only

        // A small interface MTU (no MTU member) names no member but says where the value came from.
        BackendConfigException small = Assert.Throws<BackendConfigException>(() => Parse("{}").Resolve(1280, ipv6Overlay: true));
        Assert.Null(small.JsonPath);
        Assert.Contains("external interface", small.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_VNI_boundaries_are_accepted()
    {
        Assert.Equal(0, Parse("{\"VNI\":0}").Resolve(1500).Vni);
        Assert.Equal(16777215, Parse("{\"VNI\":16777215}").Resolve(1500).Vni);
        Assert.Equal((ushort)65535, Parse("{\"Port\":65535}").Resolve(1500).Port);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("1")]
    [InlineData("\"vxlan\"")]
    public void A_backend_that_is_not_an_object_is_rejected(string json)
    {
        BackendConfigException ex = Assert.Throws<BackendConfigException>(() => Parse(json));
        Assert.Equal("Backend", ex.JsonPath);
    }

    [Fact]
    public void A_Windows_config_is_accepted_with_a_warning_naming_each_ignored_member()
    {
        // flannel's Windows example: VNI 4096, port 4789, MacPrefix and Name.
        VxlanBackendConfig config = Parse("{\"Type\":\"vxlan\",\"VNI\":4096,\"Port\":4789,\"MacPrefix\":\"0E-2A\",\"name\":\"vxlan0\"}");
        Assert.Equal(new VxlanSettings(4096, 4789, 1500, false, false, false), config.Resolve(1500));
        IReadOnlyList<string> warnings = config.GetWarnings();
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("Backend.MacPrefix", StringComparison.Ordinal) && w.Contains("Windows", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("Backend.name", StringComparison.Ordinal) && w.Contains("Windows", StringComparison.Ordinal));
    }

    [Fact]
    public void Windows_only_members_of_any_type_are_accepted()
    {
        VxlanBackendConfig config = Parse("{\"MacPrefix\":12,\"Name\":{\"x\":1}}");
        Assert.Equal(2, config.GetWarnings().Count);
    }

    [Fact]
    public void Unknown_members_are_ignored_with_a_warning_and_Type_is_not_one()
    {
        VxlanBackendConfig config = Parse("{\"Type\":\"vxlan\",\"DirectRoute\":true,\"Mac\":\"x\"}");
        Assert.False(config.Resolve(1500).DirectRouting); // a mis-spelt option does nothing, as in flanneld…
        IReadOnlyList<string> warnings = config.GetWarnings(); // …but it is reported
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("Backend.DirectRoute", StringComparison.Ordinal) && w.Contains("not a vxlan option", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("Backend.Mac ", StringComparison.Ordinal));
        Assert.Empty(Parse("{\"Type\":\"vxlan\",\"VNI\":1}").GetWarnings());
    }

    [Fact]
    public void Round_trips_without_losing_unknown_members()
    {
        VxlanBackendConfig config = Parse("{\"Type\":\"vxlan\",\"VNI\":3,\"Port\":4790,\"MTU\":1400,\"GBP\":true,\"Learning\":false,\"DirectRouting\":true,\"MacPrefix\":\"0E-2A\"}");
        string json = config.ToJson();
        VxlanBackendConfig again = Parse(json);
        Assert.Equal(config.Resolve(1500), again.Resolve(1500));
        Assert.Equal("\"0E-2A\"", again.AdditionalMembers!["MacPrefix"].GetRawText());
        Assert.Contains("\"VNI\":3", json, StringComparison.Ordinal);
        Assert.Contains("\"MTU\":1400", json, StringComparison.Ordinal);
        Assert.Contains("\"GBP\":true", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Arbitrary_objects_never_fail_with_anything_but_a_config_error()
    {
        var random = new Random(8);
        string[] names = ["VNI", "vni", "Port", "MTU", "GBP", "Learning", "DirectRouting", "MacPrefix", "Name", "Mac", "Type", "x"];
        string[] values = ["0", "-1", "1", "4096", "65536", "1e3", "1.5", "true", "false", "null", "\"\"", "\"1\"", "[]", "{}", "99999999999999999999"];
        for (int i = 0; i < 2000; i++)
        {
            var members = Enumerable.Range(0, random.Next(0, 5)).Select(_ => $"\"{names[random.Next(names.Length)]}\":{values[random.Next(values.Length)]}");
            string json = "{" + string.Join(",", members) + "}";
            try
            {
                VxlanBackendConfig config = Parse(json);
                config.GetWarnings();
                config.Resolve(1500, ipv6Overlay: random.Next(2) == 0);
            }
            catch (BackendConfigException)
            {
            }
        }
    }
}
