using Overlay.Subnets.Etcd.Tests.Support;

namespace Overlay.Subnets.Etcd.Tests;

[Trait("Category", "Etcd")]
public sealed class RegistryConfigTests(EtcdFixture fixture) : EtcdTestBase(fixture), IClassFixture<EtcdFixture>
{
    [Fact]
    public async Task Missing_config_fails_with_flannels_message_then_the_stored_config_is_read()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        NetworkConfigNotFoundException missing = await Assert.ThrowsAsync<NetworkConfigNotFoundException>(async () => await registry.GetNetworkConfigAsync(Ct));
        Assert.Equal(ConfigKey, missing.Location);
        Assert.True(missing.IsTransient);
        Assert.Contains("flannel config not found in etcd store", missing.Message);
        Assert.Contains($"etcdctl put {ConfigKey} '{{\"Network\":\"10.5.0.0/16\",\"Backend\":{{\"Type\":\"vxlan\"}}}}'", missing.Message);
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
    public async Task Acquiring_a_lease_without_a_config_fails_with_NetworkConfigNotFoundException_and_writes_nothing()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        NetworkConfigNotFoundException missing = await Assert.ThrowsAsync<NetworkConfigNotFoundException>(async () =>
            await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.7")), Ct));
        Assert.Equal(ConfigKey, missing.Location);
        Assert.Empty(await Etcd.KeysAsync(Prefix));
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

    [Fact]
    public async Task SetNetworkConfig_creates_the_config_key_only_once_unless_told_to_overwrite()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        NetworkConfig first = NetworkConfig.Parse("{\"Network\":\"10.11.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        Assert.True(await registry.SetNetworkConfigAsync(first, cancellationToken: Ct));
        Assert.Equal(first.ToJson(), Text((await Etcd.GetAsync(ConfigKey))!.Value.Value));
        Assert.Equal(0, (await Etcd.GetAsync(ConfigKey))!.Value.Lease); // no etcd lease: the config never expires

        // Create-only: an existing config wins and is left byte for byte.
        NetworkConfig second = NetworkConfig.Parse("{\"Network\":\"10.12.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}");
        Assert.False(await registry.SetNetworkConfigAsync(second, cancellationToken: Ct));
        Assert.Equal(first.ToJson(), Text((await Etcd.GetAsync(ConfigKey))!.Value.Value));
        Assert.Equal(System.Net.IPNetwork.Parse("10.11.0.0/16"), (await registry.GetNetworkConfigAsync(Ct)).Network);

        // Overwrite replaces it, and the registry reads the new one.
        Assert.True(await registry.SetNetworkConfigAsync(second, overwrite: true, Ct));
        Assert.Equal(second.ToJson(), Text((await Etcd.GetAsync(ConfigKey))!.Value.Value));
        NetworkConfig read = await registry.GetNetworkConfigAsync(Ct);
        Assert.Equal(System.Net.IPNetwork.Parse("10.12.0.0/16"), read.Network);
        Assert.Equal("host-gw", read.BackendType);
        Assert.Equal([ConfigKey], await Etcd.KeysAsync(Prefix)); // nothing else written
    }

    [Fact]
    public async Task SetNetworkConfig_from_json_stores_the_document_as_given_and_a_lease_can_then_be_acquired()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        const string json = "{ \"network\": \"10.13.0.0/16\", \"SubnetLen\": 26, \"Backend\": { \"Type\": \"vxlan\", \"VNI\": 7 } }";
        Assert.True(await registry.SetNetworkConfigAsync(json, cancellationToken: Ct));
        Assert.Equal(json, Text((await Etcd.GetAsync(ConfigKey))!.Value.Value)); // as etcdctl put would store it
        Assert.False(await registry.SetNetworkConfigAsync("{\"Network\":\"10.14.0.0/16\"}", cancellationToken: Ct));
        Assert.Equal(json, Text((await Etcd.GetAsync(ConfigKey))!.Value.Value));

        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.13")), Ct);
        Assert.Equal(26, lease.Subnet!.Value.PrefixLength);
        Assert.True(System.Net.IPNetwork.Parse("10.13.0.0/16").Contains(lease.Subnet.Value.BaseAddress));

        Assert.True(await registry.SetNetworkConfigAsync("{\"Network\":\"10.14.0.0/16\"}", overwrite: true, Ct));
        Assert.Equal("{\"Network\":\"10.14.0.0/16\"}", Text((await Etcd.GetAsync(ConfigKey))!.Value.Value));
    }

    [Fact]
    public async Task SetNetworkConfig_rejects_an_invalid_or_unsupported_config_and_writes_nothing()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        NetworkConfigException small = await Assert.ThrowsAsync<NetworkConfigException>(async () =>
            await registry.SetNetworkConfigAsync("{\"Network\":\"10.0.0.0/29\"}", cancellationToken: Ct));
        Assert.Contains("network is too small", small.Message);
        await Assert.ThrowsAsync<NetworkConfigException>(async () => await registry.SetNetworkConfigAsync("not json", overwrite: true, Ct));
        NetworkConfigException ipv6Only = await Assert.ThrowsAsync<NetworkConfigException>(async () =>
            await registry.SetNetworkConfigAsync(NetworkConfig.Parse("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\"}"), overwrite: true, Ct));
        Assert.Equal("EnableIPv4", ipv6Only.Member);
        Assert.Null(await Etcd.GetAsync(ConfigKey));
        await Assert.ThrowsAsync<NetworkConfigNotFoundException>(async () => await registry.GetNetworkConfigAsync(Ct));
    }

    [Fact]
    public async Task Concurrent_seeders_agree_on_one_config()
    {
        EtcdSubnetRegistry[] seeders = [.. Enumerable.Range(0, 8).Select(_ => NewRegistry())];
        bool[] written = await Task.WhenAll(seeders.Select((r, i) => r.SetNetworkConfigAsync($"{{\"Network\":\"10.{20 + i}.0.0/16\"}}", cancellationToken: Ct).AsTask()));
        int winner = Assert.Single(Enumerable.Range(0, written.Length), i => written[i]);
        Assert.Equal($"{{\"Network\":\"10.{20 + winner}.0.0/16\"}}", Text((await Etcd.GetAsync(ConfigKey))!.Value.Value));
    }
}
