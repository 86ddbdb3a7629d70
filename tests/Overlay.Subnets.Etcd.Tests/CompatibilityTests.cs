using System.Net;
using System.Text.Json;
using Overlay.Subnets.Etcd.Tests.Support;

namespace Overlay.Subnets.Etcd.Tests;

/// <summary>Records written in flannel's format by someone else (etcdctl standing in for flanneld).</summary>
[Trait("Category", "Etcd")]
public sealed class CompatibilityTests(EtcdFixture fixture) : EtcdTestBase(fixture), IClassFixture<EtcdFixture>
{
    [Fact]
    public async Task A_flanneld_lease_is_read_as_flanneld_reads_it()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/48\"}");
        long etcdLease = await Etcd.GrantAsync(86400);
        await Etcd.PutAsync(SubnetKey("10.244.3.0-24&fd00:10:244:3::-64"),
            "{\"PublicIP\":\"192.168.64.3\",\"PublicIPv6\":\"2001:db8::3\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"},\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:45\"}}",
            etcdLease);

        Lease lease = Assert.Single((await registry.ListLeasesAsync(Ct)).Leases);
        Assert.Equal(IPNetwork.Parse("10.244.3.0/24"), lease.Subnet);
        Assert.Equal(IPNetwork.Parse("fd00:10:244:3::/64"), lease.IPv6Subnet);
        Assert.Equal(IPAddress.Parse("192.168.64.3"), lease.Attributes.PublicIP);
        Assert.Equal(IPAddress.Parse("2001:db8::3"), lease.Attributes.PublicIPv6);
        Assert.Equal("vxlan", lease.Attributes.BackendType);
        Assert.Equal("c6:d2:32:6f:8f:44", lease.Attributes.BackendData!.Value.GetProperty("VtepMAC").GetString());
        Assert.Equal("c6:d2:32:6f:8f:45", lease.Attributes.BackendV6Data!.Value.GetProperty("VtepMAC").GetString());
        Assert.False(lease.IsReservation);
    }

    [Fact]
    public async Task A_node_restarting_with_the_public_ip_of_a_flanneld_lease_takes_it_over_and_revokes_the_old_etcd_lease()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        long flannelLease = await Etcd.GrantAsync(86400);
        await Etcd.PutAsync(SubnetKey("10.5.34.0-24"), "{\"PublicIP\":\"192.0.2.10\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:00\"}}", flannelLease);

        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("192.0.2.10", backendData: "{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:ff\"}")), Ct);
        Assert.Equal("10.5.34.0-24", lease.Key);
        (byte[] value, long etcdLease) = (await Etcd.GetAsync(SubnetKey("10.5.34.0-24")))!.Value;
        Assert.Equal("{\"PublicIP\":\"192.0.2.10\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:ff\"}}", Text(value));
        Assert.NotEqual(flannelLease, etcdLease);
        Assert.Equal(-1, await Etcd.TimeToLiveAsync(flannelLease));
    }

    [Fact]
    public async Task Our_records_are_what_etcdctl_shows_in_flannels_format()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.5.0.0/16\"}");
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.7", backendData: "{\"VtepMAC\":\"aa:bb:cc:dd:ee:ff\",\"VNI\":1}")), Ct);
        string output = await Etcd.CtlAsync("get", "--prefix", Prefix + "/subnets");
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(SubnetKey(lease.Key), lines[0]);
        // BackendData is opaque: kept as the backend wrote it, compacted.
        Assert.Equal("{\"PublicIP\":\"198.18.0.7\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VtepMAC\":\"aa:bb:cc:dd:ee:ff\",\"VNI\":1}}", lines[1]);
        Assert.True(SubnetKeyRoundTrips(lines[0]));
        using JsonDocument parsed = JsonDocument.Parse(lines[1]);
        Assert.Equal(["PublicIP", "PublicIPv6", "BackendType", "BackendData"], parsed.RootElement.EnumerateObject().Select(p => p.Name));
    }

    private static bool SubnetKeyRoundTrips(string key) =>
        Overlay.Subnets.SubnetKey.TryParse(key, out IPNetwork? s4, out IPNetwork? s6) && key.EndsWith(Overlay.Subnets.SubnetKey.Format(s4, s6), StringComparison.Ordinal);
}
