using Overlay.Subnets.Etcd.Tests.Support;

namespace Overlay.Subnets.Etcd.Tests;

[Trait("Category", "Etcd")]
public sealed class RegistryConfigTests(EtcdFixture fixture) : EtcdTestBase(fixture), IClassFixture<EtcdFixture>
{
    [Fact]
    public async Task Missing_config_fails_with_flannels_message_then_the_stored_config_is_read()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        SubnetRegistryException missing = await Assert.ThrowsAsync<SubnetRegistryException>(async () => await registry.GetNetworkConfigAsync(Ct));
        Assert.Contains("flannel config not found in etcd store", missing.Message);
        Assert.Contains(ConfigKey, missing.Message);
        Assert.Contains(Logs.Entries, e => e.EventId.Id == EtcdEventIds.ConfigNotFound);

        const string json = "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
        await PutConfigAsync(json);
        Assert.Equal(json, Text((await Etcd.GetAsync(ConfigKey))!.Value.Value));
        NetworkConfig config = await registry.GetNetworkConfigAsync(Ct);
        Assert.Equal(System.Net.IPNetwork.Parse("10.5.0.0/16"), config.Network);
        Assert.Equal("vxlan", config.BackendType);
        Assert.Equal(24, config.SubnetLen);
        Assert.Equal(System.Net.IPAddress.Parse("10.5.1.0"), config.SubnetMin);
        Assert.Equal(System.Net.IPAddress.Parse("10.5.255.0"), config.SubnetMax);
    }

    [Fact]
    public async Task Invalid_config_is_reported_with_the_member_at_fault()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.0.0.0/29\"}");
        NetworkConfigException small = await Assert.ThrowsAsync<NetworkConfigException>(async () => await registry.GetNetworkConfigAsync(Ct));
        Assert.Contains("network is too small", small.Message);

        await PutConfigAsync("{\"Network\":5}");
        NetworkConfigException type = await Assert.ThrowsAsync<NetworkConfigException>(async () => await registry.GetNetworkConfigAsync(Ct));
        Assert.Equal("Network", type.Member);

        await PutConfigAsync("not json");
        await Assert.ThrowsAsync<NetworkConfigException>(async () => await registry.GetNetworkConfigAsync(Ct));
    }

    [Fact]
    public async Task IPv6_only_config_is_rejected_with_a_clear_message()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"enableIPv6\":true,\"ipv6Network\":\"fc00::/48\",\"enableIPv4\":false}");
        NetworkConfigException ex = await Assert.ThrowsAsync<NetworkConfigException>(async () => await registry.GetNetworkConfigAsync(Ct));
        Assert.Equal("EnableIPv4", ex.Member);
        Assert.Contains("IPv6-only", ex.Message);
        Assert.Contains("dual stack", ex.Message);
        await Assert.ThrowsAsync<NetworkConfigException>(async () =>
            await registry.AcquireLeaseAsync(new LeaseRequest(Node("0.0.0.0", "2001:db8::1")), Ct));
        Assert.Empty(await Etcd.KeysAsync(Prefix + "/subnets"));
    }

    [Fact]
    public async Task Dual_stack_config_is_accepted()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"2001:cafe:42::/56\",\"Backend\":{\"Type\":\"vxlan\"}}");
        NetworkConfig config = await registry.GetNetworkConfigAsync(Ct);
        Assert.True(config.EnableIPv4 && config.EnableIPv6);
        Assert.Equal(64, config.IPv6SubnetLen);
    }

    [Fact]
    public async Task TryCreateNetworkConfig_writes_once_and_an_existing_config_wins()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        NetworkConfig mine = NetworkConfig.Parse("{\"Network\":\"10.7.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        Assert.True(await registry.TryCreateNetworkConfigAsync(mine, Ct));
        Assert.Equal(mine.ToJson(), Text((await Etcd.GetAsync(ConfigKey))!.Value.Value));
        Assert.False(await registry.TryCreateNetworkConfigAsync(NetworkConfig.Parse("{\"Network\":\"10.8.0.0/16\"}"), Ct));
        Assert.Equal(System.Net.IPNetwork.Parse("10.7.0.0/16"), (await registry.GetNetworkConfigAsync(Ct)).Network);
    }

    [Fact]
    public async Task A_trailing_slash_in_the_prefix_gives_the_same_keys()
    {
        using EtcdSubnetRegistry registry = NewRegistry(o => o.Prefix = Prefix + "/");
        Assert.Equal(ConfigKey, registry.ConfigKey);
        await PutConfigAsync("{\"Network\":\"10.9.0.0/16\"}");
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.9")), Ct);
        Assert.Equal(SubnetKey(lease.Key), registry.GetLeaseKey(lease));
        Assert.Equal([SubnetKey(lease.Key)], await Etcd.KeysAsync(Prefix + "/subnets"));
    }
}
