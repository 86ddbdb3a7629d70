using System.Net;
using Overlay.Subnets.Etcd.Tests.Support;

namespace Overlay.Subnets.Etcd.Tests;

/// <summary>Acquisition, renewal, release, reservations and expiry against a real etcd (spec §7.3).</summary>
[Trait("Category", "Etcd")]
public sealed class LeaseTests(EtcdFixture fixture) : EtcdTestBase(fixture), IClassFixture<EtcdFixture>
{
    private const string FlannelTestConfig = "{\"Network\":\"10.3.0.0/16\",\"SubnetMin\":\"10.3.1.0\",\"SubnetMax\":\"10.3.25.0\"}";

    [Fact]
    public async Task Created_lease_has_flannels_key_and_exact_value_and_a_24_hour_etcd_lease()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.1.0.0/16\"}");
        DateTimeOffset before = DateTimeOffset.UtcNow;
        Lease lease = await registry.AcquireLeaseAsync(
            new LeaseRequest(Node("1.2.3.4", backendType: null)) { PreviousSubnet = IPNetwork.Parse("10.1.5.0/24") }, Ct);

        Assert.Equal(IPNetwork.Parse("10.1.5.0/24"), lease.Subnet);
        Assert.True(lease.Expiration > before.AddHours(23.9));
        Assert.Equal([Prefix + "/subnets/10.1.5.0-24"], await Etcd.KeysAsync(Prefix + "/subnets"));
        (byte[] value, long etcdLease) = (await Etcd.GetAsync(Prefix + "/subnets/10.1.5.0-24"))!.Value;
        Assert.Equal("{\"PublicIP\":\"1.2.3.4\",\"PublicIPv6\":null}", Text(value));
        Assert.NotEqual(0, etcdLease);
        Assert.InRange(await Etcd.TimeToLiveAsync(etcdLease), 86_300, 86_400);
    }

    [Fact]
    public async Task Spec_example_value_and_dual_stack_key_are_byte_identical()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/48\",\"Backend\":{\"Type\":\"vxlan\"}}");
        Lease lease = await registry.AcquireLeaseAsync(
            new LeaseRequest(Node("192.0.2.10", backendData: "{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:ff\"}"))
            {
                PreviousSubnet = IPNetwork.Parse("10.244.3.0/24"),
                PreviousIPv6Subnet = IPNetwork.Parse("fd00:10:244:3::/64"),
            }, Ct);

        Assert.Equal("10.244.3.0-24&fd00:10:244:3::-64", lease.Key);
        (byte[] value, _) = (await Etcd.GetAsync(Prefix + "/subnets/10.244.3.0-24&fd00:10:244:3::-64"))!.Value;
        Assert.Equal("{\"PublicIP\":\"192.0.2.10\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:ff\"}}", Text(value));
    }

    [Fact]
    public async Task Listing_returns_the_lease_without_expiry_lookups_and_release_deletes_key_and_etcd_lease()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync(FlannelTestConfig);
        int leasesBefore = await Etcd.LeaseCountAsync();
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);

        LeaseListing listing = await registry.ListLeasesAsync(Ct);
        Lease listed = Assert.Single(listing.Leases);
        Assert.Equal(lease.Key, listed.Key);
        Assert.Equal(lease.Attributes, listed.Attributes);
        Assert.Null(listed.Expiration); // no LeaseTimeToLive per key
        Assert.False(listed.IsReservation);
        Assert.True(listing.Revision > 0);
        Assert.Equal(leasesBefore + 1, await Etcd.LeaseCountAsync());

        await registry.ReleaseLeaseAsync(lease, Ct);
        Assert.Empty(await Etcd.KeysAsync(Prefix + "/subnets"));
        Assert.Equal(leasesBefore, await Etcd.LeaseCountAsync());
        await registry.ReleaseLeaseAsync(lease, Ct); // releasing again is not an error
    }

    [Fact]
    public async Task New_node_gets_a_free_subnet_in_range_and_the_same_one_again()
    {
        // spec §7.3: existing 10.3.1/2/4/5.0/24 and an out-of-range 10.3.31.0/24, all PublicIP 1.1.1.1.
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync(FlannelTestConfig);
        string[] existing = ["10.3.1.0-24", "10.3.2.0-24", "10.3.4.0-24", "10.3.5.0-24", "10.3.31.0-24"];
        long etcdLease = await Etcd.GrantAsync(3600);
        foreach (string key in existing)
        {
            await Etcd.PutAsync(SubnetKey(key), "{\"PublicIP\":\"1.1.1.1\",\"PublicIPv6\":null}", etcdLease);
        }

        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);
        AssertInRange(lease.Subnet!.Value, "10.3.1.0", "10.3.25.0");
        Assert.DoesNotContain(lease.Key, existing);

        Lease again = await registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);
        Assert.Equal(lease.Subnet, again.Subnet);
        Assert.Equal(6, (await Etcd.KeysAsync(Prefix + "/subnets")).Length);
    }

    [Fact]
    public async Task Previous_subnet_is_used_when_free_and_compatible_and_ignored_otherwise()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync(FlannelTestConfig);
        Lease previous = await registry.AcquireLeaseAsync(
            new LeaseRequest(Node("1.2.3.4")) { PreviousSubnet = IPNetwork.Parse("10.3.6.0/24") }, Ct);
        Assert.Equal(IPNetwork.Parse("10.3.6.0/24"), previous.Subnet);

        Lease outside = await registry.AcquireLeaseAsync(
            new LeaseRequest(Node("1.2.3.5")) { PreviousSubnet = IPNetwork.Parse("10.4.1.0/24") }, Ct);
        AssertInRange(outside.Subnet!.Value, "10.3.1.0", "10.3.25.0");

        Lease taken = await registry.AcquireLeaseAsync(
            new LeaseRequest(Node("1.2.3.6")) { PreviousSubnet = IPNetwork.Parse("10.3.6.0/24") }, Ct);
        Assert.NotEqual(IPNetwork.Parse("10.3.6.0/24"), taken.Subnet);
    }

    [Fact]
    public async Task A_config_change_replaces_the_now_incompatible_lease()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync(FlannelTestConfig);
        Lease old = await registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);

        await PutConfigAsync("{\"Network\":\"10.4.0.0/16\"}");
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);
        AssertInRange(lease.Subnet!.Value, "10.4.1.0", "10.4.255.0");
        Assert.Equal([SubnetKey(lease.Key)], await Etcd.KeysAsync(Prefix + "/subnets"));
        Assert.Null(await Etcd.GetAsync(SubnetKey(old.Key)));
    }

    [Fact]
    public async Task Reservations_are_never_given_to_others_and_stay_leaseless_for_their_node()
    {
        // 10.0.0.0/28: three /30 subnets (.4, .8, .12).
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.0.0.0/28\"}");
        await Etcd.PutAsync(SubnetKey("10.0.0.4-30"), "{\"PublicIP\":\"5.5.5.5\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\"}");
        await Etcd.PutAsync(SubnetKey("10.0.0.8-30"), "{\"PublicIP\":\"6.6.6.6\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\"}");

        Lease other = await registry.AcquireLeaseAsync(new LeaseRequest(Node("7.7.7.7")), Ct);
        Assert.Equal(IPNetwork.Parse("10.0.0.12/30"), other.Subnet);
        await Assert.ThrowsAsync<SubnetsExhaustedException>(async () => await registry.AcquireLeaseAsync(new LeaseRequest(Node("8.8.8.8")), Ct));

        Lease owner = await registry.AcquireLeaseAsync(new LeaseRequest(Node("5.5.5.5", backendType: "host-gw")), Ct);
        Assert.Equal(IPNetwork.Parse("10.0.0.4/30"), owner.Subnet);
        Assert.True(owner.IsReservation);
        Assert.Null(owner.Expiration);
        (byte[] value, long etcdLease) = (await Etcd.GetAsync(SubnetKey("10.0.0.4-30")))!.Value;
        Assert.Equal(0, etcdLease);
        Assert.Equal("{\"PublicIP\":\"5.5.5.5\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}", Text(value));

        Lease renewed = await registry.RenewLeaseAsync(owner, Ct);
        Assert.True(renewed.IsReservation);
        Assert.Equal(0, (await Etcd.GetAsync(SubnetKey("10.0.0.4-30")))!.Value.Lease);
    }

    [Fact]
    public async Task Renewal_puts_a_fresh_24_hour_lease_and_revokes_the_old_one()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync(FlannelTestConfig);
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4", backendData: "{\"Dummy\":\"test string\"}")), Ct);
        string key = SubnetKey(lease.Key);
        long oldLease = (await Etcd.GetAsync(key))!.Value.Lease;
        int leasesBefore = await Etcd.LeaseCountAsync();

        await Task.Delay(TimeSpan.FromSeconds(2), Ct); // so that a refreshed TTL is distinguishable
        Lease renewed = await registry.RenewLeaseAsync(lease, Ct);

        (byte[] value, long newLease) = (await Etcd.GetAsync(key))!.Value;
        Assert.NotEqual(oldLease, newLease);
        Assert.InRange(await Etcd.TimeToLiveAsync(newLease), 86_390, 86_400);
        Assert.Equal(-1, await Etcd.TimeToLiveAsync(oldLease)); // revoked (flannel leaves it: Q4)
        Assert.Equal(leasesBefore, await Etcd.LeaseCountAsync());
        Assert.Equal("{\"PublicIP\":\"1.2.3.4\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"Dummy\":\"test string\"}}", Text(value));
        Assert.True(renewed.Expiration > lease.Expiration);
    }

    [Fact]
    public async Task Renewing_a_deleted_or_taken_lease_reports_it_lost()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync(FlannelTestConfig);
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);
        await Etcd.PutAsync(SubnetKey(lease.Key), "{\"PublicIP\":\"9.9.9.9\",\"PublicIPv6\":null}");
        await Assert.ThrowsAsync<LeaseLostException>(async () => await registry.RenewLeaseAsync(lease, Ct));

        await Etcd.CtlAsync("del", SubnetKey(lease.Key));
        await Assert.ThrowsAsync<LeaseLostException>(async () => await registry.RenewLeaseAsync(lease, Ct));
    }

    [Fact]
    public async Task A_lease_with_a_short_ttl_is_added_then_removed_when_etcd_expires_it()
    {
        using EtcdSubnetRegistry watcher = NewRegistry();
        using EtcdSubnetRegistry shortLived = NewRegistry(o => o.LeaseTtl = TimeSpan.FromSeconds(3));
        await PutConfigAsync(FlannelTestConfig);
        Lease own = await watcher.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);
        var peers = new PeerWatcher(own);
        await using var watch = new WatchSession(ct => Batches(peers, watcher, ct));
        Assert.Empty((await watch.NextAsync()).Events); // the initial (empty) peer set

        Lease foreign = await shortLived.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.5")), Ct);
        LeaseEvent added = Assert.Single((await watch.NextAsync()).Events);
        Assert.Equal(LeaseEventKind.Added, added.Kind);
        Assert.Equal(foreign.Key, added.Lease.Key);

        LeaseEvent removed = Assert.Single((await watch.NextAsync()).Events);
        Assert.Equal(LeaseEventKind.Removed, removed.Kind);
        Assert.Equal(foreign.Key, removed.Lease.Key);
        Assert.Null(await Etcd.GetAsync(SubnetKey(foreign.Key)));
    }

    [Fact]
    public async Task Dual_stack_nodes_get_one_subnet_of_each_family()
    {
        using EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.12.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:12::/48\"}");
        Lease a = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1", "2001:db8:18::1")), Ct);
        Lease b = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.2", "2001:db8:18::2")), Ct);
        Assert.NotNull(a.IPv6Subnet);
        Assert.NotEqual(a.Subnet, b.Subnet);
        Assert.NotEqual(a.IPv6Subnet, b.IPv6Subnet);
        Assert.Contains("&fd00:12:", a.Key);
        (byte[] value, _) = (await Etcd.GetAsync(SubnetKey(a.Key)))!.Value;
        Assert.Equal("{\"PublicIP\":\"198.18.0.1\",\"PublicIPv6\":\"2001:db8:18::1\",\"BackendType\":\"vxlan\"}", Text(value));
        LeaseListing listing = await registry.ListLeasesAsync(Ct);
        Assert.Equal(2, listing.Leases.Length);
        Assert.All(listing.Leases, l => Assert.NotNull(l.IPv6Subnet));
    }

    internal static async IAsyncEnumerable<LeaseEventBatch> Batches(PeerWatcher peers, ISubnetRegistry registry,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (System.Collections.Immutable.ImmutableArray<LeaseEvent> events in peers.WatchAsync(registry, cancellationToken))
        {
            yield return new LeaseEventBatch(events, IsSnapshot: false);
        }
    }

    private static void AssertInRange(IPNetwork subnet, string min, string max)
    {
        uint value = ToUInt(subnet.BaseAddress);
        Assert.InRange(value, ToUInt(IPAddress.Parse(min)), ToUInt(IPAddress.Parse(max)));
    }

    private static uint ToUInt(IPAddress address) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
}
