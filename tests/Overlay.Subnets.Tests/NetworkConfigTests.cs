using System.Net;
using System.Text;
using CsCheck;
using Overlay.Testing;

namespace Overlay.Subnets.Tests;

public sealed class NetworkConfigTests
{
    private static NetworkConfig Golden(string name) => NetworkConfig.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", name)));

    [Fact]
    public void Lower_case_member_names_parse_and_defaults_are_derived()
    {
        // spec §7.1, flannel config_test.go
        NetworkConfig config = NetworkConfig.Parse("""{"network":"10.3.0.0/16"}""").Validate();
        Assert.Equal(IPNetwork.Parse("10.3.0.0/16"), config.Network);
        Assert.Equal(IPAddress.Parse("10.3.1.0"), config.SubnetMin);
        Assert.Equal(IPAddress.Parse("10.3.255.0"), config.SubnetMax);
        Assert.Equal(24, config.SubnetLen);
        Assert.Equal((UInt128)255, config.SubnetCount);
    }

    [Fact]
    public void Ipv6_only_defaults_print_in_go_canonical_text()
    {
        NetworkConfig config = Golden("ipv6-only.json").Validate();
        Assert.False(config.EnableIPv4);
        Assert.True(config.EnableIPv6);
        Assert.Equal(64, config.IPv6SubnetLen);
        Assert.Equal("fc00:0:0:1::", Internal.IPAddressText.Format(config.IPv6SubnetMin!));
        Assert.Equal("fc00:0:0:ffff::", Internal.IPAddressText.Format(config.IPv6SubnetMax!));
    }

    [Fact]
    public void Explicit_ipv4_range_is_kept_by_parsing()
    {
        NetworkConfig config = Golden("explicit-range.json");
        Assert.Equal(IPAddress.Parse("10.3.5.0"), config.SubnetMin);
        Assert.Equal(IPAddress.Parse("10.3.8.0"), config.SubnetMax);
        Assert.Equal(28, config.SubnetLen);
        Assert.Equal(config, config.Validate());
    }

    [Fact]
    public void Explicit_ipv6_range_is_kept_by_parsing()
    {
        NetworkConfig config = Golden("explicit-ipv6-range.json");
        Assert.Equal(IPAddress.Parse("fc00:0:0:1::"), config.IPv6SubnetMin);
        Assert.Equal(IPAddress.Parse("fc00:0:0:f::"), config.IPv6SubnetMax);
        Assert.Equal(124, config.IPv6SubnetLen);
    }

    [Theory]
    [InlineData("""{"Network":"10.0.0.0/24"}""", 26, "10.0.0.64", "10.0.0.192", 3)]
    [InlineData("""{"Network":"10.0.0.0/28"}""", 30, "10.0.0.4", "10.0.0.12", 3)]
    [InlineData("""{"Network":"10.3.0.0/16"}""", 24, "10.3.1.0", "10.3.255.0", 255)]
    [InlineData("""{"Network":"10.0.0.0/8"}""", 24, "10.0.1.0", "10.255.255.0", 65535)]
    [InlineData("""{"Network":"10.0.0.0/22"}""", 24, "10.0.1.0", "10.0.3.0", 3)]
    [InlineData("""{"Network":"10.0.0.0/23"}""", 25, "10.0.0.128", "10.0.1.128", 3)]
    [InlineData("""{"Network":"255.255.0.0/16"}""", 24, "255.255.1.0", "255.255.255.0", 255)]
    public void Derived_defaults_match_the_spec_table(string json, int len, string min, string max, int count)
    {
        NetworkConfig config = NetworkConfig.Parse(json).Validate();
        Assert.Equal(len, config.SubnetLen);
        Assert.Equal(IPAddress.Parse(min), config.SubnetMin);
        Assert.Equal(IPAddress.Parse(max), config.SubnetMax);
        Assert.Equal((UInt128)count, config.SubnetCount);
    }

    [Fact]
    public void Host_bits_of_the_network_are_masked()
    {
        Assert.Equal(IPNetwork.Parse("10.3.0.0/16"), NetworkConfig.Parse("""{"Network":"10.3.1.5/16"}""").Network);
        Assert.Equal(IPNetwork.Parse("fc00::/48"), NetworkConfig.Parse("""{"IPv6Network":"fc00::1/48"}""").IPv6Network);
    }

    [Theory]
    [InlineData("""{"Network":"10.0.0.0/29"}""", "Network", "network is too small. Minimum useful network prefix is /28")]
    [InlineData("""{}""", "Network", "please define a correct Network parameter in the flannel config")]
    [InlineData("""{"Network":"0.0.0.0/0"}""", "Network", "please define a correct Network parameter in the flannel config")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetLen":31}""", "SubnetLen", "SubnetLen must be less than /31")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetLen":17}""", "SubnetLen", "network must be able to accommodate at least four subnets")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetMin":"10.1.0.0"}""", "SubnetMin", "SubnetMin is not in the range of the Network")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetMax":"11.0.0.0"}""", "SubnetMax", "SubnetMax is not in the range of the Network")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetMin":"10.0.1.1"}""", "SubnetMin", "SubnetMin is not on a SubnetLen boundary: 10.0.1.1")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetMax":"10.0.1.128"}""", "SubnetMax", "SubnetMax is not on a SubnetLen boundary: 10.0.1.128")]
    [InlineData("""{"EnableIPv4":false,"EnableIPv6":true}""", "IPv6Network", "please define a correct IPv6Network parameter in the flannel config")]
    [InlineData("""{"EnableIPv4":false,"EnableIPv6":true,"IPv6Network":"fc00::/125"}""", "IPv6Network", "IPv6Network is too small. Minimum useful network prefix is /124")]
    [InlineData("""{"EnableIPv4":false,"EnableIPv6":true,"IPv6Network":"fc00::/48","IPv6SubnetLen":127}""", "IPv6SubnetLen", "SubnetLen must be less than /127")]
    [InlineData("""{"EnableIPv4":false,"EnableIPv6":true,"IPv6Network":"fc00::/48","IPv6SubnetLen":49}""", "IPv6SubnetLen", "network must be able to accommodate at least four subnets")]
    [InlineData("""{"EnableIPv4":false,"EnableIPv6":true,"IPv6Network":"fc00::/48","IPv6SubnetMin":"fd00::"}""", "IPv6SubnetMin", "IPv6SubnetMin is not in the range of the IPv6Network")]
    [InlineData("""{"EnableIPv4":false,"EnableIPv6":true,"IPv6Network":"fc00::/48","IPv6SubnetMin":"fc00:0:0:1::1"}""", "IPv6SubnetMin", "IPv6SubnetMin is not on a SubnetLen boundary: fc00:0:0:1::1")]
    [InlineData("""{"EnableIPv4":false,"EnableIPv6":false}""", "EnableIPv4", "neither IPv4 nor IPv6 is enabled (none defined stack)")]
    [InlineData("""{"EnableIPv4":false,"EnableIPv6":true,"IPv6Network":"::ffff:0:0/96"}""", "IPv6Network", "::ffff:0:0/96 cannot be used: flannel prints addresses of this network as IPv4, so its subnet keys would not parse")]
    public void Validation_errors_name_the_member_and_use_flannels_text(string json, string member, string reason)
    {
        var ex = Assert.Throws<NetworkConfigException>(() => NetworkConfig.Parse(json).Validate());
        Assert.Equal(member, ex.Member);
        Assert.Equal(reason, ex.Reason);
        Assert.Contains(member, ex.Message);
    }

    [Theory]
    [InlineData("""{"Network":null}""", "Network")]
    [InlineData("""{"Network":10}""", "Network")]
    [InlineData("""{"Network":"fc00::/48"}""", "Network")]
    [InlineData("""{"Network":"10.0.0.0"}""", "Network")]
    [InlineData("""{"Network":"010.0.0.0/8"}""", "Network")]
    [InlineData("""{"Network":"10.0.0.0/33"}""", "Network")]
    [InlineData("""{"IPv6Network":"10.0.0.0/8"}""", "IPv6Network")]
    [InlineData("""{"SubnetLen":-1}""", "SubnetLen")]
    [InlineData("""{"SubnetLen":24.5}""", "SubnetLen")]
    [InlineData("""{"SubnetLen":"24"}""", "SubnetLen")]
    [InlineData("""{"SubnetMin":null}""", "SubnetMin")]
    [InlineData("""{"SubnetMin":"fc00::"}""", "SubnetMin")]
    [InlineData("""{"SubnetMax":"x"}""", "SubnetMax")]
    [InlineData("""{"IPv6SubnetMin":"10.0.0.0"}""", "IPv6SubnetMin")]
    [InlineData("""{"EnableIPv6":"true"}""", "EnableIPv6")]
    [InlineData("""{"Backend":"vxlan"}""", "Backend")]
    [InlineData("""{"Backend":{"Type":1}}""", "Backend.Type")]
    public void Type_and_value_errors_name_the_member(string json, string member)
    {
        var ex = Assert.Throws<NetworkConfigException>(() => NetworkConfig.Parse(json));
        Assert.Equal(member, ex.Member);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{")]
    [InlineData("\"x\"")]
    public void Non_object_documents_are_rejected_without_a_member(string json)
    {
        var ex = Assert.Throws<NetworkConfigException>(() => NetworkConfig.Parse(json));
        Assert.Null(ex.Member);
    }

    [Fact]
    public void Empty_object_parses_and_unknown_members_are_ignored()
    {
        NetworkConfig config = NetworkConfig.Parse("""{"Whatever":[1,2],"network":"10.1.0.0/16"}""");
        Assert.Equal(IPNetwork.Parse("10.1.0.0/16"), config.Network);
        Assert.NotNull(NetworkConfig.Parse("{}"));
    }

    [Fact]
    public void Null_keeps_booleans_and_numbers_at_their_default_and_last_duplicate_wins()
    {
        NetworkConfig config = NetworkConfig.Parse("""{"EnableIPv4":null,"SubnetLen":null,"subnetlen":26,"SUBNETLEN":25,"IPv6SubnetMin":null}""");
        Assert.True(config.EnableIPv4);
        Assert.Equal(25, config.SubnetLen);
        Assert.Null(config.IPv6SubnetMin);
    }

    [Fact]
    public void Zero_subnet_min_means_unset_and_ipv4_mapped_text_is_accepted()
    {
        Assert.Null(NetworkConfig.Parse("""{"SubnetMin":"0.0.0.0"}""").SubnetMin);
        Assert.Equal(IPAddress.Parse("10.3.5.0"), NetworkConfig.Parse("""{"SubnetMin":"::ffff:10.3.5.0"}""").SubnetMin);
    }

    [Fact]
    public void Absent_backend_means_udp_and_is_flagged()
    {
        NetworkConfig config = NetworkConfig.Parse("""{"Network":"10.1.0.0/16"}""");
        Assert.Equal("udp", config.BackendType);
        Assert.True(config.IsBackendDefaulted);
        Assert.Null(config.Backend);
    }

    [Fact]
    public void Absent_backend_logs_a_warning_recommending_vxlan()
    {
        var logger = new ListLogger();
        NetworkConfig.Parse("""{"Network":"10.1.0.0/16"}""", logger);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(SubnetsEventIds.BackendDefaulted, entry.EventId.Id);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, entry.Level);
        Assert.Contains("vxlan", entry.Message);
    }

    [Theory]
    [InlineData("""{"Backend":null}""", "")]
    [InlineData("""{"Backend":{}}""", "")]
    [InlineData("""{"Backend":{"type":"host-gw"}}""", "host-gw")]
    [InlineData("""{"Backend":{"Type":"vxlan","VNI":4096,"Port":4789}}""", "vxlan")]
    public void Backend_type_is_read_case_insensitively(string json, string type)
    {
        NetworkConfig config = NetworkConfig.Parse(json);
        Assert.Equal(type, config.BackendType);
        Assert.False(config.IsBackendDefaulted);
    }

    [Fact]
    public void Backend_is_kept_as_raw_json()
    {
        NetworkConfig config = NetworkConfig.Parse("""{"Backend": {"Type": "vxlan", "VNI": 4096, "Port": 4789, "DirectRouting": true}}""");
        Assert.Equal(4096, config.Backend!.Value.GetProperty("VNI").GetInt32());
        Assert.Contains("\"Backend\":{\"Type\":\"vxlan\",\"VNI\":4096,\"Port\":4789,\"DirectRouting\":true}", config.ToJson());
    }

    [Theory]
    [InlineData("etcd-vxlan.json", """{"Network":"10.5.0.0/16","Backend":{"Type":"vxlan"}}""")]
    [InlineData("kube-flannel.json", """{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}""")]
    [InlineData("dual-stack.json", """{"Network":"10.244.0.0/16","IPv6Network":"2001:cafe:42::/56","EnableIPv6":true,"Backend":{"Type":"vxlan"}}""")]
    [InlineData("ipv6-only.json", """{"IPv6Network":"fc00::/48","EnableIPv4":false,"EnableIPv6":true}""")]
    [InlineData("explicit-range.json", """{"Network":"10.3.0.0/16","SubnetLen":28,"SubnetMin":"10.3.5.0","SubnetMax":"10.3.8.0"}""")]
    public void Golden_documents_round_trip_through_canonical_json(string file, string canonical)
    {
        NetworkConfig config = Golden(file);
        Assert.Equal(canonical, config.ToJson());
        Assert.Equal(config, NetworkConfig.Parse(config.ToJson()));
        NetworkConfig validated = config.Validate();
        Assert.Equal(validated, NetworkConfig.Parse(validated.ToJson()));
    }

    [Fact]
    public void Dual_stack_golden_validates_both_families()
    {
        NetworkConfig config = Golden("dual-stack.json").Validate();
        Assert.Equal(24, config.SubnetLen);
        Assert.Equal(64, config.IPv6SubnetLen);
        Assert.Equal("2001:cafe:42:1::", Internal.IPAddressText.Format(config.IPv6SubnetMin!));
        Assert.Equal("2001:cafe:42:ff::", Internal.IPAddressText.Format(config.IPv6SubnetMax!));
    }

    [Fact]
    public void Arbitrary_input_never_crashes_the_parser()
    {
        // spec §7.1 fuzz: only NetworkConfigException may come out, for any bytes.
        Gen.Byte.Array[0, 64].Sample(bytes => ParseOrReject(bytes), iter: 3000);
        Gen.String.Sample(text => ParseOrReject(Encoding.UTF8.GetBytes("{\"Network\":\"" + text + "\",\"SubnetLen\":" + text.Length + "}")), iter: 2000);
    }

    private static void ParseOrReject(byte[] bytes)
    {
        try
        {
            NetworkConfig.Parse(bytes).Validate();
        }
        catch (NetworkConfigException)
        {
        }
    }
}
