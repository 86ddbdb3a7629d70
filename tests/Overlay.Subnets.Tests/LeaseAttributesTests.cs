using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace Overlay.Subnets.Tests;

public sealed class LeaseAttributesTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void Minimal_value_is_byte_identical_to_flannels_registry_test()
    {
        // spec §2.1 / §7.3: TestEtcdRegistry asserts these exact bytes.
        var attributes = new LeaseAttributes { PublicIP = IPAddress.Parse("1.2.3.4") };
        Assert.Equal("""{"PublicIP":"1.2.3.4","PublicIPv6":null}""", attributes.ToJson());
    }

    [Fact]
    public void Vxlan_value_matches_flannels_member_order_and_compaction()
    {
        // spec "At a glance" table.
        var attributes = new LeaseAttributes
        {
            PublicIP = IPAddress.Parse("192.0.2.10"),
            BackendType = "vxlan",
            BackendData = Json("""{ "VNI": 1, "VtepMAC": "aa:bb:cc:dd:ee:ff" }"""),
        };
        Assert.Equal("""{"PublicIP":"192.0.2.10","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"aa:bb:cc:dd:ee:ff"}}""", attributes.ToJson());
    }

    [Fact]
    public void Dual_stack_value_carries_ipv6_in_go_text_and_v6_data_last()
    {
        var attributes = new LeaseAttributes
        {
            PublicIP = IPAddress.Parse("192.168.64.3"),
            PublicIPv6 = IPAddress.Parse("2001:DB8:0:0:0:0:0:10"),
            BackendType = "vxlan",
            BackendData = Json("""{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}"""),
            BackendV6Data = Json("""{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:45"}"""),
        };
        Assert.Equal("""{"PublicIP":"192.168.64.3","PublicIPv6":"2001:db8::10","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"},"BackendV6Data":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:45"}}""", attributes.ToJson());
    }

    [Fact]
    public void Raw_data_is_compacted_with_gos_html_escaping()
    {
        var attributes = new LeaseAttributes { PublicIP = IPAddress.Parse("1.2.3.4"), BackendType = "a<b", BackendData = Json("{ \"Dummy\" : \"x<y>&z\\u00e9\" }") };
        Assert.Equal("""{"PublicIP":"1.2.3.4","PublicIPv6":null,"BackendType":"a\u003cb","BackendData":{"Dummy":"x\u003cy\u003e\u0026z\u00e9"}}""", attributes.ToJson());
    }

    [Fact]
    public void Reading_is_case_insensitive_and_ignores_unknown_members()
    {
        var attributes = LeaseAttributes.Parse("""{"publicip":"10.0.0.1","PUBLICIPV6":"fd00::1","backendType":"host-gw","Extra":1,"backenddata":{"x":1}}"""u8);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), attributes.PublicIP);
        Assert.Equal(IPAddress.Parse("fd00::1"), attributes.PublicIPv6);
        Assert.Equal("host-gw", attributes.BackendType);
        Assert.Equal(1, attributes.BackendData!.Value.GetProperty("x").GetInt32());
    }

    [Fact]
    public void Absent_public_ip_reads_as_none_and_is_written_as_flannels_zero()
    {
        var attributes = LeaseAttributes.Parse("""{"BackendType":"udp"}"""u8);
        Assert.Null(attributes.PublicIP);
        Assert.Equal("""{"PublicIP":"0.0.0.0","PublicIPv6":null,"BackendType":"udp"}""", attributes.ToJson());
    }

    [Fact]
    public void An_ipv6_only_value_keeps_flannels_zero_public_ip_byte_for_byte()
    {
        // flanneld's LeaseAttrs.PublicIP is an ip.IP4 (a uint32): a node without IPv4 stores "0.0.0.0".
        byte[] stored = """{"PublicIP":"0.0.0.0","PublicIPv6":"2001:db8::10","BackendType":"vxlan","BackendV6Data":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:45"}}"""u8.ToArray();
        var parsed = LeaseAttributes.Parse(stored);
        Assert.Null(parsed.PublicIP);
        Assert.Equal(stored, parsed.ToUtf8Json());

        var built = new LeaseAttributes
        {
            PublicIPv6 = IPAddress.Parse("2001:db8::10"),
            BackendType = "vxlan",
            BackendV6Data = Json("""{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:45"}"""),
        };
        Assert.Equal(stored, built.ToUtf8Json());
        Assert.Equal(parsed, built);
    }

    [Fact]
    public void Setting_the_unspecified_address_means_none()
    {
        var attributes = new LeaseAttributes { PublicIP = IPAddress.Any };
        Assert.Null(attributes.PublicIP);
        Assert.Equal(new LeaseAttributes(), attributes);
        Assert.Equal("""{"PublicIP":"0.0.0.0","PublicIPv6":null}""", attributes.ToJson());
        Assert.Throws<ArgumentException>(() => new LeaseAttributes { PublicIP = IPAddress.IPv6Loopback });
    }

    [Theory]
    [InlineData("""{"PublicIP":"fd00::1"}""")]
    [InlineData("""{"PublicIP":null}""")]
    [InlineData("""{"PublicIP":"1.2.3"}""")]
    [InlineData("""{"PublicIPv6":"1.2.3.4"}""")]
    [InlineData("""{"BackendType":1}""")]
    [InlineData("""[]""")]
    [InlineData("""{""")]
    public void Values_flannel_rejects_are_rejected(string json)
    {
        Assert.Throws<FormatException>(() => LeaseAttributes.Parse(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Equality_compares_raw_data_by_content()
    {
        var a = new LeaseAttributes { PublicIP = IPAddress.Parse("1.2.3.4"), BackendData = Json("""{"VNI": 1}""") };
        var b = new LeaseAttributes { PublicIP = IPAddress.Parse("1.2.3.4"), BackendData = Json("""{"VNI":1}""") };
        var c = new LeaseAttributes { PublicIP = IPAddress.Parse("1.2.3.4"), BackendData = Json("""{"VNI":2}""") };
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Wrong_families_are_refused_at_construction()
    {
        Assert.Throws<ArgumentException>(() => new LeaseAttributes { PublicIP = IPAddress.Parse("fd00::1") });
        Assert.Throws<ArgumentException>(() => new LeaseAttributes { PublicIPv6 = IPAddress.Parse("1.2.3.4") });
    }

    [Fact]
    public void Values_round_trip()
    {
        Gen.Select(Gen.UInt, Gen.Byte.Array[16].Null(), Gen.String["abcdefghijklmnopqrstuvwxyz-<&"].Null(), Gen.Int).Sample((ip, v6, type, vni) =>
        {
            var attributes = new LeaseAttributes
            {
                PublicIP = new IPAddress(BitConverter.GetBytes(ip)),
                PublicIPv6 = v6 is null ? null : new IPAddress(v6),
                BackendType = type,
                BackendData = Json($$"""{"VNI":{{vni}},"VtepMAC":"{{type}}"}"""),
            };
            LeaseAttributes back = LeaseAttributes.Parse(attributes.ToUtf8Json());
            Assert.Equal(attributes with { BackendType = string.IsNullOrEmpty(type) ? null : type }, back);
            Assert.Equal(attributes.ToJson(), back.ToJson());
        }, iter: 1000);
    }

    [Fact]
    public void Arbitrary_bytes_never_crash_the_reader()
    {
        Gen.Byte.Array[0, 80].Sample(bytes =>
        {
            try
            {
                LeaseAttributes.Parse(bytes);
            }
            catch (FormatException)
            {
            }
        }, iter: 3000);
    }
}

public sealed class LeaseRecordTests
{
    [Fact]
    public void Etcd_record_decodes_into_a_lease()
    {
        Assert.True(Lease.TryDecodeRecord("/coreos.com/network/subnets/10.1.5.0-24", """{"PublicIP":"1.2.3.4","PublicIPv6":null}"""u8, DateTimeOffset.UnixEpoch, false, out Lease? lease, out LeaseRecordError? error));
        Assert.Null(error);
        Assert.Equal(IPNetwork.Parse("10.1.5.0/24"), lease.Subnet);
        Assert.Equal(IPAddress.Parse("1.2.3.4"), lease.Attributes.PublicIP);
        Assert.Equal(DateTimeOffset.UnixEpoch, lease.Expiration);
        Assert.Equal("10.1.5.0-24", lease.Key);
    }

    [Fact]
    public void Record_without_expiry_is_a_reservation()
    {
        Assert.True(Lease.TryDecodeRecord("10.1.5.0-24", """{"PublicIP":"1.2.3.4"}"""u8, DateTimeOffset.UnixEpoch, true, out Lease? lease, out _));
        Assert.True(lease.IsReservation);
        Assert.Null(lease.Expiration);
    }

    [Fact]
    public void Bad_value_is_an_error_that_keeps_the_subnet_and_bad_key_is_an_error_without_one()
    {
        // spec §7.3 fuzz seed: an IPv6 PublicIP must be rejected.
        Assert.False(Lease.TryDecodeRecord("/coreos.com/network/subnets/10.1.5.0-24", """{"PublicIP":"fd00::1"}"""u8, null, false, out _, out LeaseRecordError? error));
        Assert.Equal(IPNetwork.Parse("10.1.5.0/24"), error.Subnet);
        Assert.Contains("PublicIP", error.Reason);

        Assert.False(Lease.TryDecodeRecord("/coreos.com/network/subnetsX/whatever", """{"PublicIP":"1.2.3.4"}"""u8, null, false, out _, out error));
        Assert.Null(error.Subnet);
        Assert.Equal("/coreos.com/network/subnetsX/whatever", error.Key);
    }

    [Fact]
    public void Arbitrary_records_never_crash_the_decoder()
    {
        CsCheck.Gen.Select(CsCheck.Gen.String, CsCheck.Gen.Byte.Array[0, 60], CsCheck.Gen.Long).Sample((key, value, ttl) =>
        {
            bool ok = Lease.TryDecodeRecord(key, value, DateTimeOffset.UnixEpoch.AddSeconds(ttl % 1_000_000), ttl < 0, out Lease? lease, out LeaseRecordError? error);
            Assert.True(ok ? lease is not null && error is null : lease is null && error is not null);
        }, iter: 3000);
    }
}
