using System.Text.Json;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.Vxlan.Tests;

public sealed class VxlanLeaseDataTests
{
    [Fact]
    public void BackendData_is_exactly_flannels_form_VNI_first_then_VtepMAC()
    {
        var data = new VxlanLeaseData(1, MacAddress.Parse("0A:1B:2C:3D:4E:5F"));
        Assert.Equal("{\"VNI\":1,\"VtepMAC\":\"0a:1b:2c:3d:4e:5f\"}", data.ToJson());

        // And inside the lease value as flanneld writes it.
        var attributes = new LeaseAttributes { PublicIP = System.Net.IPAddress.Parse("198.18.1.1"), BackendType = "vxlan", BackendData = data.ToJsonElement() };
        Assert.Equal("{\"PublicIP\":\"198.18.1.1\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:1b:2c:3d:4e:5f\"}}", attributes.ToJson());
    }

    [Theory]
    [InlineData("{\"VNI\":1,\"VtepMAC\":\"0a:1b:2c:3d:4e:5f\"}", 1)]
    [InlineData("{\"vtepmac\":\"0A:1B:2C:3D:4E:5F\",\"vni\":4096}", 4096)] // Go: names case-insensitive, order free
    [InlineData("{\"VtepMAC\":\"0a:1b:2c:3d:4e:5f\"}", 0)]
    [InlineData("{\"VNI\":null,\"VtepMAC\":\"0a:1b:2c:3d:4e:5f\",\"Other\":[1]}", 0)]
    public void Peers_BackendData_is_read_with_Go_rules(string json, int vni)
    {
        Assert.True(VxlanLeaseData.TryParse(JsonDocument.Parse(json).RootElement, out VxlanLeaseData data, out string? error), error);
        Assert.Equal(vni, data.Vni);
        Assert.Equal(MacAddress.Parse("0a:1b:2c:3d:4e:5f"), data.VtepMac);
    }

    [Theory]
    [InlineData("{\"VNI\":1}", "no VtepMAC")]
    [InlineData("{\"VNI\":\"1\",\"VtepMAC\":\"0a:1b:2c:3d:4e:5f\"}", "VNI")]
    [InlineData("{\"VNI\":1,\"VtepMAC\":\"not-a-mac\"}", "VtepMAC")]
    [InlineData("{\"VNI\":1,\"VtepMAC\":7}", "VtepMAC")]
    [InlineData("[1]", "not an object")]
    [InlineData("\"x\"", "not an object")]
    public void Unusable_BackendData_is_reported(string json, string reason)
    {
        Assert.False(VxlanLeaseData.TryParse(JsonDocument.Parse(json).RootElement, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.False(VxlanLeaseData.TryParse(null, out _, out _));
    }

    [Fact]
    public void The_stable_MAC_is_deterministic_locally_administered_and_unicast()
    {
        MacAddress a = VxlanLeaseData.StableMac(1, "IPv4", "198.18.1.1");
        Assert.Equal(a, VxlanLeaseData.StableMac(1, "IPv4", "198.18.1.1"));
        Assert.NotEqual(a, VxlanLeaseData.StableMac(1, "IPv6", "198.18.1.1"));
        Assert.NotEqual(a, VxlanLeaseData.StableMac(2, "IPv4", "198.18.1.1"));
        Assert.NotEqual(a, VxlanLeaseData.StableMac(1, "IPv4", "198.18.1.2"));
        for (int i = 0; i < 256; i++)
        {
            byte[] bytes = new byte[6];
            VxlanLeaseData.StableMac(i, "IPv4", "198.18.1.1").WriteTo(bytes);
            Assert.Equal(0x02, bytes[0] & 0x03); // locally administered, not multicast
        }
    }
}
